package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool"
)

// TestSquatterChannelNative: our squatter-channel -R with its built-in
// SQUAT indexer against Cyrus's squatter -R, each run on the same channel
// log from the same starting indexes: the cyrus.squat files they leave are
// equal byte for byte and so are the engine's -v lines ("squat: user.fred
// indexed N messages (B bytes) into I index bytes"), first building the
// indexes, then updating them after more deliveries. With imapd.conf's
// debug, Cyrus 3.10's LOG_DEBUG lines around its second pass (the corpus's
// attachment message) are compared too.
func TestSquatterChannelNative(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	in := NewInstance(t, TempDir(t), "master", "search_engine: squat", "sync_log: 1", "sync_log_channels: squatter", "munge8bit: no", "debug: yes")
	in.Start(t)
	in.CreateUser(t, "fred")
	in.CreateUser(t, "alice")
	corpus := searchTextCorpus(t)
	// Fixed messages only: Cyrus's squatter -i dies ("assertion failed:
	// imap/squat_internal.c: 134: v64 >= 0") on some word sets, so the
	// input must not change between runs (Deliver's Message-IDs do).
	appendCorpus(t, in, "fred", "INBOX", corpus)
	appendCorpus(t, in, "alice", "INBOX", corpus[5:9])
	if err := in.IMAP(t, "alice", UserPassword).Create("Work", nil).Wait(); err != nil {
		t.Fatal(err)
	}

	sp := openSpool(t, in)
	squatFile := func(name string) string {
		e, err := sp.LookupName(name)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := sp.MetaPath(e, spool.MetaSquat)
		return p
	}
	files := map[string]string{"user.fred": squatFile("user.fred"), "user.alice": squatFile("user.alice"),
		"user.alice.Work": squatFile("user.alice.Work")}
	channelDir := filepath.Join(in.ConfigDir(), "sync", "squatter")
	shutdown := filepath.Join(in.ConfigDir(), "msg", "shutdown.squatter")
	ours := OursApplet(t, "squatter-channel")
	seconds := regexp.MustCompile(` in \d+ seconds$`)
	epoch := regexp.MustCompile(`unixepoch=<\d+>`)
	// Cyrus adds syserror=<…> whenever errno happens to be set; we never do.
	syserror := regexp.MustCompile(` syserror=<[^>]*>`)

	type state map[string][]byte // mailbox → cyrus.squat (nil: none)
	snapshot := func() state {
		s := state{}
		for m, p := range files {
			b, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			s[m] = b
		}
		return s
	}
	restore := func(s state) {
		for m, p := range files {
			os.Remove(p)
			if s[m] != nil {
				os.WriteFile(p, s[m], 0o600)
				Chown(t, p)
			}
		}
	}
	engineLines := func() []string {
		var lines []string
		for _, l := range sl.Take("squatter") {
			switch {
			case strings.HasPrefix(l.Msg, "squat: "):
				lines = append(lines, fmt.Sprintf("<%d> %s", l.Severity, seconds.ReplaceAllString(l.Msg, " in N seconds")))
			case strings.HasPrefix(l.Msg, "released mailbox lock: "), strings.HasPrefix(l.Msg, "reacquired mailbox lock: "):
				lines = append(lines, fmt.Sprintf("<%d> %s", l.Severity, syserror.ReplaceAllString(epoch.ReplaceAllString(l.Msg, "unixepoch=<N>"), "")))
			}
		}
		return lines
	}
	// run runs one squatter on log from the indexes in from (with file
	// set: -f file, log unused), until the
	// log is done and the shutdown file ends it; it returns the indexes
	// and the engine's lines, or what the squatter said if it died.
	run := func(who, prog, file string, log []byte, from state) (state, []string, string) {
		t.Helper()
		restore(from)
		os.RemoveAll(channelDir)
		os.MkdirAll(channelDir, 0o755)
		os.WriteFile(filepath.Join(channelDir, "log"), log, 0o644)
		Chown(t, in.ConfigDir())
		sl.Take("squatter")
		if file != "" { // -f FILE: one pass over the file, then exit 0
			cmd := in.Cyrus.Command(prog, "-C", in.Conf(), "-f", file, "-v")
			out, err := cmd.CombinedOutput()
			if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() == 70 {
				return nil, nil, fmt.Sprintf("%v: %s", err, out)
			}
			if code := cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("%s -f: exit %d, want 0\n%s", who, code, out)
			}
			return snapshot(), engineLines(), ""
		}
		cmd := in.Cyrus.Command(prog, "-C", in.Conf(), "-R", "-d", "-v")
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		deadline := time.After(15 * time.Second)
		for !noFile(filepath.Join(channelDir, "log")) || !noFile(filepath.Join(channelDir, "log-run")) {
			select {
			case <-exited:
				return nil, nil, fmt.Sprintf("%v: %s", cmd.ProcessState, stderr.String())
			case <-deadline:
				cmd.Process.Kill()
				<-exited
				t.Fatalf("%s did not finish the log\n%s", who, stderr.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
		os.WriteFile(shutdown, nil, 0o644)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Fatalf("%s did not stop at the shutdown file", who)
		}
		os.Remove(shutdown)
		if code := cmd.ProcessState.ExitCode(); code != 75 {
			t.Errorf("%s: exit %d at the shutdown file, want 75\n%s", who, code, stderr.String())
		}
		return snapshot(), engineLines(), ""
	}
	takeLog := func() []byte {
		b, err := os.ReadFile(filepath.Join(channelDir, "log"))
		if err != nil {
			t.Fatalf("the squatter channel's log: %v", err)
		}
		return b
	}
	compare := func(phase, file string, from state, log []byte) state {
		t.Helper()
		// Cyrus 3.6.1's squatter sometimes dies on this corpus with
		// "assertion failed: imap/squat_internal.c: 134: v64 >= 0" (an
		// encoded length gone negative); another run of the same input
		// succeeds.
		var cyrus state
		var cyrusLines []string
		for try := 1; ; try++ {
			var died string
			cyrus, cyrusLines, died = run("Cyrus's squatter", in.Cyrus.Prog("squatter"), file, log, from)
			if died == "" {
				break
			}
			if try == 5 || !strings.Contains(died, "squat_internal.c") {
				t.Fatalf("%s: Cyrus's squatter died (try %d): %s", phase, try, died)
			}
			t.Logf("%s: Cyrus's squatter died (try %d), again: %s", phase, try, died)
		}
		got, ourLines, died := run("our squatter-channel", ours, file, log, from)
		if died != "" {
			t.Fatalf("%s: our squatter-channel died: %s", phase, died)
		}
		changed := 0
		for m := range files {
			if !bytes.Equal(cyrus[m], from[m]) {
				changed++
			}
			if !bytes.Equal(got[m], cyrus[m]) {
				t.Errorf("%s: %s: our cyrus.squat (%d bytes) differs from Cyrus's (%d bytes)", phase, m, len(got[m]), len(cyrus[m]))
			}
		}
		if changed == 0 {
			t.Errorf("%s: Cyrus's squatter changed no index", phase)
		}
		if strings.Join(ourLines, "\n") != strings.Join(cyrusLines, "\n") {
			t.Errorf("%s: engine lines\nours:\n  %s\nCyrus's:\n  %s", phase, strings.Join(ourLines, "\n  "), strings.Join(cyrusLines, "\n  "))
		}
		return cyrus
	}

	built := compare("build", "", state{}, takeLog())
	appendCorpus(t, in, "fred", "INBOX", corpus[10:12])
	appendCorpus(t, in, "alice", "INBOX", corpus[:4])
	updated := compare("update", "", built, takeLog())

	// -f FILE: a USER item indexes every mailbox of the user.
	appendCorpus(t, in, "alice", "Work", corpus[12:15])
	appendCorpus(t, in, "fred", "INBOX", corpus[15:16])
	file := filepath.Join(in.ConfigDir(), "squatter-file")
	os.WriteFile(file, []byte("USER alice\nAPPEND user.fred\n"), 0o644)
	Chown(t, file)
	compare("-f", file, updated, takeLog())
}

// noFile reports whether path is gone.
func noFile(path string) bool {
	_, err := os.Stat(path)
	return os.IsNotExist(err)
}
