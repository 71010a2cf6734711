package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// squatterRecorder builds our binary with a recording indexer wired into
// squatter-channel (integration/squatterrec), named squatter-channel.
func squatterRecorder(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "cyrepl-sqrec-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "squatter-channel")
	cmd := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", bin, "./squatterrec")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// squatterLines are the syslog lines both squatters write about the
// mailboxes of a log, with their severity ("<6> …"). Not compared: the
// search engine's own lines ("squat: user.fred indexed 2 messages …"),
// which are the indexer's, not the loop's.
func squatterLines(lines []SyslogLine) []string {
	var out []string
	for _, l := range lines {
		for _, p := range []string{"do_rolling: indexing ", "do_synclogfile: indexing ", "indexing mailbox ", "error looking up ",
			"error opening ", "skipping nonexistent", "IOERROR", "Reprocessing sync log file", "No sync log filename"} {
			if strings.HasPrefix(l.Msg, p) {
				out = append(out, fmt.Sprintf("<%d> %s", l.Severity, l.Msg))
				break
			}
		}
	}
	return out
}

// TestSquatterChannel runs the same sync log through Cyrus 3.6's squatter
// -R and -f and through ours (with a recording indexer): the same
// mailboxes are taken up in the same order, with the same syslog lines
// and exit statuses.
func TestSquatterChannel(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	in := NewInstance(t, TempDir(t), "master", "search_engine: squat", "sync_log: 1", "sync_log_channels: squatter")
	in.Start(t)
	in.CreateUser(t, "fred")
	in.CreateUser(t, "alice")
	c := in.IMAP(t, AdminUser, AdminPassword)
	for _, m := range []string{"user/fred/Sent", "user/fred/a b", "user/fred/Trash", "user/alice/Work"} {
		if err := c.Create(m, nil).Wait(); err != nil {
			t.Fatalf("create %s: %v", m, err)
		}
	}
	if err := in.IMAP(t, "fred", UserPassword).Delete("Trash").Wait(); err != nil {
		t.Fatal(err)
	}
	in.Deliver(t, "fred", 2)
	in.Deliver(t, "alice", 1)
	s := in.Sieve(t, "fred", UserPassword)
	s.Put("main", "keep;\n")
	in.Stop()

	sp, err := spool.Open(in.LoadConf(t, "squatter", conf.NeedPartitionData))
	if err != nil {
		t.Fatal(err)
	}
	var deleted, sieve string
	for e, err := range sp.Mailboxes(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(e.Name, "DELETED.user.fred.Trash."):
			deleted = e.Name
		case strings.HasSuffix(e.Name, ".#sieve"):
			sieve = e.Name
		}
	}
	if deleted == "" || sieve == "" {
		t.Fatalf("no DELETED mailbox (%q) or #sieve mailbox (%q)", deleted, sieve)
	}
	logContent := strings.Join([]string{
		"APPEND user.fred",
		"USER alice",
		"MAILBOX user.fred.Sent",
		`APPEND "user.fred.a b"`,
		"APPEND " + sieve,
		"APPEND " + deleted,
		"APPEND user.nobody",
		"FOO bar",
		"APPEND user.fred",
		"APPEND user.fred.Sent",
	}, "\n") + "\n"
	channelDir := filepath.Join(in.ConfigDir(), "sync", "squatter")
	shutdown := filepath.Join(in.ConfigDir(), "msg", "shutdown.squatter")
	want := []string{"user.alice", "user.alice.Work", "user.fred", "user.fred.Sent", "user.fred.a b"}
	sl.Take("squatter")

	// rolling: the log is taken, its cycle done (log-run removed as the
	// next begins), then the shutdown file ends it with 75
	rolling := func(name string, cmd *exec.Cmd) ([]string, int) {
		os.RemoveAll(channelDir)
		os.Remove(shutdown)
		os.MkdirAll(channelDir, 0o755)
		if err := os.WriteFile(filepath.Join(channelDir, "log"), []byte(logContent), 0o644); err != nil {
			t.Fatal(err)
		}
		Chown(t, in.ConfigDir())
		if err := cmd.Start(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			_, e1 := os.Stat(filepath.Join(channelDir, "log"))
			_, e2 := os.Stat(filepath.Join(channelDir, "log-run"))
			if os.IsNotExist(e1) && os.IsNotExist(e2) {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("%s did not take the log", name)
			}
			time.Sleep(50 * time.Millisecond)
		}
		os.WriteFile(shutdown, nil, 0o644)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%s did not stop on the shutdown file", name)
		}
		os.Remove(shutdown)
		return squatterLines(sl.Take("squatter")), cmd.ProcessState.ExitCode()
	}
	cyrusLines, cyrusCode := rolling("Cyrus's squatter", in.Cyrus.Command(in.Cyrus.Prog("squatter"), "-C", in.Conf(), "-R", "-d", "-n", "squatter", "-v", "-v"))
	record := filepath.Join(TempDir(t), "record")
	os.WriteFile(record, nil, 0o666)
	os.Chmod(record, 0o666)
	ours := squatterRecorder(t)
	cmd := exec.Command(ours, "-C", in.Conf(), "-R", "-d", "-n", "squatter", "-v", "-v")
	cmd.Env = append(os.Environ(), "SQUATTER_RECORD="+record)
	ourLines, ourCode := rolling("our squatter-channel", cmd)

	t.Logf("rolling, Cyrus's lines:\n  %s", strings.Join(cyrusLines, "\n  "))
	if cyrusCode != 75 || ourCode != 75 {
		t.Errorf("shutdown file: Cyrus exits %d, ours %d (want 75)", cyrusCode, ourCode)
	}
	var cyrusOrder []string
	for _, l := range cyrusLines {
		if m, ok := strings.CutPrefix(l, "<6> do_rolling: indexing "); ok {
			cyrusOrder = append(cyrusOrder, m)
		}
	}
	if !reflect.DeepEqual(cyrusOrder, want) {
		t.Errorf("Cyrus indexed %q, the test expects %q", cyrusOrder, want)
	}
	b, _ := os.ReadFile(record)
	if got := strings.Fields(strings.ReplaceAll(string(b), "a b", "a\x00b")); !reflect.DeepEqual(strings.Split(strings.ReplaceAll(strings.Join(got, "\n"), "\x00", " "), "\n"), cyrusOrder) {
		t.Errorf("ours indexed %q, Cyrus %q", string(b), cyrusOrder)
	}
	if !reflect.DeepEqual(ourLines, cyrusLines) {
		t.Errorf("syslog lines differ\nCyrus:\n  %s\nours:\n  %s", strings.Join(cyrusLines, "\n  "), strings.Join(ourLines, "\n  "))
	}

	// -f: the same file, kept; then a missing file
	file := filepath.Join(in.ConfigDir(), "squatter-file")
	if err := os.WriteFile(file, []byte(logContent), 0o644); err != nil {
		t.Fatal(err)
	}
	Chown(t, file)
	for _, f := range []string{file, file + "-missing"} {
		cres := in.Cyrus.Run(t, nil, in.Cyrus.Prog("squatter"), "-C", in.Conf(), "-f", f, "-v", "-v")
		cl := squatterLines(sl.Take("squatter"))
		os.Truncate(record, 0)
		cmd := exec.Command(ours, "-C", in.Conf(), "-f", f, "-v", "-v")
		cmd.Env = append(os.Environ(), "SQUATTER_RECORD="+record)
		ores := runCmd(t, cmd, nil)
		ol := squatterLines(sl.Take("squatter"))
		t.Logf("-f %s: Cyrus exits %d, lines:\n  %s", filepath.Base(f), cres.Code, strings.Join(cl, "\n  "))
		if cres.Code != ores.Code {
			t.Errorf("-f %s: Cyrus exits %d, ours %d\nCyrus: %s\nours: %s", filepath.Base(f), cres.Code, ores.Code, cres.Stderr, ores.Stderr)
		}
		if !reflect.DeepEqual(cl, ol) {
			t.Errorf("-f %s: syslog lines differ\nCyrus:\n  %s\nours:\n  %s", filepath.Base(f), strings.Join(cl, "\n  "), strings.Join(ol, "\n  "))
		}
		if f == file {
			if cres.Code != 0 {
				t.Errorf("-f: Cyrus exits %d: %s", cres.Code, cres.Stderr)
			}
			if _, err := os.Stat(file); err != nil {
				t.Error("-f removed the file")
			}
		}
	}
}
