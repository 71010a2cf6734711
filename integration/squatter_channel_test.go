package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// squatterFixture is a Cyrus 3.6 instance with search_engine squat and the
// squatter channel, its master stopped, two users (fred: INBOX, Sent,
// "a b", a DELETED Trash, #sieve; alice: INBOX, Work), and our binary with
// a recording indexer (integration/squatterrec).
type squatterFixture struct {
	in                  *Instance
	sl                  *Syslog
	sp                  *spool.Spool
	deleted, sieve      string
	channelDir, shutdwn string
	ours, record        string
}

func newSquatterFixture(t *testing.T) *squatterFixture {
	t.Helper()
	RequireCyrus(t)
	f := &squatterFixture{sl: CatchSyslog(t)}
	in := NewInstance(t, TempDir(t), "master", "search_engine: squat", "sync_log: 1", "sync_log_channels: squatter")
	f.in = in
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
	in.Sieve(t, "fred", UserPassword).Put("main", "keep;\n")
	in.Stop()

	sp, err := spool.Open(in.LoadConf(t, "squatter", conf.NeedPartitionData))
	if err != nil {
		t.Fatal(err)
	}
	f.sp = sp
	for e, err := range sp.Mailboxes(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(e.Name, "DELETED.user.fred.Trash."):
			f.deleted = e.Name
		case strings.HasSuffix(e.Name, ".#sieve"):
			f.sieve = e.Name
		}
	}
	if f.deleted == "" || f.sieve == "" {
		t.Fatalf("no DELETED mailbox (%q) or #sieve mailbox (%q)", f.deleted, f.sieve)
	}
	f.channelDir = filepath.Join(in.ConfigDir(), "sync", "squatter")
	f.shutdwn = filepath.Join(in.ConfigDir(), "msg", "shutdown.squatter")
	f.ours = squatterRecorder(t)
	f.record = filepath.Join(TempDir(t), "record")
	os.WriteFile(f.record, nil, 0o666)
	os.Chmod(f.record, 0o666)
	f.sl.Take("squatter")
	return f
}

// squatterRecorder builds our binary with a recording indexer wired into
// squatter-channel (integration/squatterrec), named squatter-channel.
func squatterRecorder(t *testing.T) string {
	t.Helper()
	dir := TempDir(t)
	bin := filepath.Join(dir, "squatter-channel")
	cmd := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", bin, "./squatterrec")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cyrus is Cyrus's squatter with args; ours is ours, recording, with env.
func (f *squatterFixture) cyrus(args ...string) *exec.Cmd {
	return f.in.Cyrus.Command(f.in.Cyrus.Prog("squatter"), append([]string{"-C", f.in.Conf()}, args...)...)
}

// Ours runs where the instance's Cyrus runs (chrooted for 3.10), so that
// it follows that Cyrus.
func (f *squatterFixture) oursCmd(env []string, args ...string) *exec.Cmd {
	cmd := f.in.Cyrus.Command(f.ours, append([]string{"-C", f.in.Conf()}, args...)...)
	cmd.Env = append(append(os.Environ(), "SQUATTER_RECORD="+f.record), env...)
	return cmd
}

// recorded is what our indexer was asked for since the last call.
func (f *squatterFixture) recorded() []string {
	b, _ := os.ReadFile(f.record)
	os.Truncate(f.record, 0)
	return strings.FieldsFunc(string(b), func(r rune) bool { return r == '\n' })
}

// startLog puts a fresh channel log in place (no log-run, no shutdown
// file).
func (f *squatterFixture) startLog(t *testing.T, content string) {
	t.Helper()
	os.RemoveAll(f.channelDir)
	os.Remove(f.shutdwn)
	os.MkdirAll(f.channelDir, 0o755)
	if err := os.WriteFile(filepath.Join(f.channelDir, "log"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	Chown(t, f.in.ConfigDir())
}

// waitLogDone waits until neither log nor log-run is there (a rolling
// squatter removes log-run as its next cycle begins).
func (f *squatterFixture) waitLogDone(t *testing.T, who string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, e1 := os.Stat(filepath.Join(f.channelDir, "log"))
		_, e2 := os.Stat(filepath.Join(f.channelDir, "log-run"))
		if os.IsNotExist(e1) && os.IsNotExist(e2) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not take the log", who)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wait waits for cmd (10 s at most) and returns its exit status.
func waitExit(t *testing.T, cmd *exec.Cmd, who string) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not stop", who)
	}
	return cmd.ProcessState.ExitCode()
}

// squatStats is one line of the SQUAT engine's statistics on stdout
// with -v -v.
//
// cyrus: imap/search_squat.c stats_callback (3.6.1, 3.10.2)
var squatStats = regexp.MustCompile(`Processing index character \d+, \d+ total words, temp file size is \d+\n`)

// squatterLines are the syslog lines both squatters write about the
// mailboxes of a log and about stopping, with their facility and
// severity ("<2.6> …").
// Not compared: the search engine's own lines ("squat: user.fred indexed 2
// messages …"), which are the indexer's, not the loop's.
var syserrorField = regexp.MustCompile(` syserror=<[^>]*>`)

func squatterLines(lines []SyslogLine) []string {
	var out []string
	for _, l := range lines {
		for _, p := range []string{"do_rolling: indexing ", "do_synclogfile: indexing ", "indexing mailbox ", "error looking up ",
			"error opening ", "skipping nonexistent", "IOERROR", "Reprocessing sync log file", "No sync log filename",
			"mailbox ", "graceful shutdown", "can not lock mailbox"} {
			if strings.HasPrefix(l.Msg, p) {
				// Cyrus adds syserror=<…> whenever errno happens to be set.
				msg := syserrorField.ReplaceAllString(l.Msg, "")
				out = append(out, fmt.Sprintf("<%d.%d> %s", l.Facility, l.Severity, msg))
				break
			}
		}
	}
	return out
}

func diffLines(t *testing.T, what string, cyrus, ours []string) {
	t.Helper()
	if !reflect.DeepEqual(cyrus, ours) {
		t.Errorf("%s: syslog lines differ\nCyrus:\n  %s\nours:\n  %s", what, strings.Join(cyrus, "\n  "), strings.Join(ours, "\n  "))
	}
}

// TestSquatterChannel runs the same sync log through Cyrus 3.6's squatter
// -R and -f and through ours (with a recording indexer): the same
// mailboxes are taken up in the same order, with the same syslog lines
// and exit statuses.
func TestSquatterChannel(t *testing.T) {
	f := newSquatterFixture(t)
	logContent := strings.Join([]string{
		"APPEND user.fred",
		"USER alice",
		"MAILBOX user.fred.Sent",
		`APPEND "user.fred.a b"`,
		"APPEND " + f.sieve,
		"APPEND " + f.deleted,
		"APPEND user.nobody",
		"FOO bar",
		"APPEND user.fred",
		"APPEND user.fred.Sent",
	}, "\n") + "\n"
	want := []string{"user.alice", "user.alice.Work", "user.fred", "user.fred.Sent", "user.fred.a b"}

	// -R -d: the log is taken, its cycle done, then the shutdown file ends
	// it with 75
	rolling := func(who string, cmd *exec.Cmd) ([]string, int) {
		f.startLog(t, logContent)
		if err := cmd.Start(); err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		f.waitLogDone(t, who)
		os.WriteFile(f.shutdwn, nil, 0o644)
		code := waitExit(t, cmd, who)
		os.Remove(f.shutdwn)
		return squatterLines(f.sl.Take("squatter")), code
	}
	cyrusLines, cyrusCode := rolling("Cyrus's squatter", f.cyrus("-R", "-d", "-n", "squatter", "-v", "-v"))
	t.Logf("rolling, Cyrus's lines:\n  %s", strings.Join(cyrusLines, "\n  "))
	ourLines, ourCode := rolling("our squatter-channel", f.oursCmd(nil, "-R", "-d", "-n", "squatter", "-v", "-v"))
	if cyrusCode != 75 || ourCode != 75 {
		t.Errorf("shutdown file: Cyrus exits %d, ours %d (want 75)", cyrusCode, ourCode)
	}
	var cyrusOrder []string
	for _, l := range cyrusLines {
		if _, m, ok := strings.Cut(l, "6> do_rolling: indexing "); ok {
			cyrusOrder = append(cyrusOrder, m)
		}
	}
	if !reflect.DeepEqual(cyrusOrder, want) {
		t.Errorf("Cyrus indexed %q, the test expects %q", cyrusOrder, want)
	}
	if got := f.recorded(); !reflect.DeepEqual(got, cyrusOrder) {
		t.Errorf("ours indexed %q, Cyrus %q", got, cyrusOrder)
	}
	diffLines(t, "-R", cyrusLines, ourLines)

	// -R without -d: the parent exits 0 at once, the background process
	// works on
	for _, who := range []string{"Cyrus's squatter", "our squatter-channel"} {
		f.startLog(t, logContent)
		cmd := f.oursCmd(nil, "-R", "-v", "-v")
		if who == "Cyrus's squatter" {
			cmd = f.cyrus("-R", "-v", "-v")
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, cmd, who); code != 0 {
			t.Errorf("%s -R in the background: the parent exits %d: %s", who, code, out.String())
		}
		f.waitLogDone(t, who+" in the background")
		os.WriteFile(f.shutdwn, nil, 0o644)
		waitGone(t, f.in.Conf(), who)
		os.Remove(f.shutdwn)
		if got := squatterLines(f.sl.Take("squatter")); !reflect.DeepEqual(got, cyrusLines) {
			diffLines(t, who+" in the background", cyrusLines, got)
		}
	}
	f.recorded()

	// -f: the same file, kept; then a missing file
	file := filepath.Join(f.in.ConfigDir(), "squatter-file")
	if err := os.WriteFile(file, []byte(logContent), 0o644); err != nil {
		t.Fatal(err)
	}
	Chown(t, file)
	for _, name := range []string{file, file + "-missing"} {
		cres := runCmd(t, f.cyrus("-f", name, "-v", "-v"), nil)
		cl := squatterLines(f.sl.Take("squatter"))
		t.Logf("-f %s: Cyrus exits %d, lines:\n  %s", filepath.Base(name), cres.Code, strings.Join(cl, "\n  "))
		ores := runCmd(t, f.oursCmd(nil, "-f", name, "-v", "-v"), nil)
		ol := squatterLines(f.sl.Take("squatter"))
		if cres.Code != ores.Code {
			t.Errorf("-f %s: Cyrus exits %d, ours %d\nCyrus: %s\nours: %s", filepath.Base(name), cres.Code, ores.Code, cres.Stderr, ores.Stderr)
		}
		diffLines(t, "-f "+filepath.Base(name), cl, ol)
		// the engine's -v -v statistics (Cyrus 3.10's squatter prints
		// them here; a recording indexer has none) are not the loop's
		cres.Stdout = squatStats.ReplaceAllString(cres.Stdout, "")
		if cres.Stdout != ores.Stdout {
			t.Errorf("-f -v %s: stdout differs\nCyrus: %q\nours:  %q", filepath.Base(name), cres.Stdout, ores.Stdout)
		}
		if got := f.recorded(); name == file && !reflect.DeepEqual(got, want) {
			t.Errorf("-f: ours indexed %q, want %q", got, want)
		}
		if name == file {
			if cres.Code != 0 {
				t.Errorf("-f: Cyrus exits %d: %s", cres.Code, cres.Stderr)
			}
			if _, err := os.Stat(file); err != nil {
				t.Error("-f removed the file")
			}
		}
	}
}

// TestSquatterChannelNotSquat: with search_engine none Cyrus's squatter
// cannot index: -R ends with 78 at the first mailbox, -f with 75. Ours
// refuses at once, with the same statuses.
func TestSquatterChannelNotSquat(t *testing.T) {
	f := newSquatterFixture(t)
	b, err := os.ReadFile(f.in.Conf())
	if err != nil {
		t.Fatal(err)
	}
	none := filepath.Join(f.in.Dir, "imapd-none.conf")
	if err := os.WriteFile(none, bytes.Replace(b, []byte("search_engine: squat"), []byte("search_engine: none"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(f.in.ConfigDir(), "squatter-file")
	os.WriteFile(file, []byte("APPEND user.fred\n"), 0o644)
	Chown(t, f.in.Dir)
	for _, mode := range [][]string{{"-R", "-d"}, {"-f", file}} {
		f.startLog(t, "APPEND user.fred\n")
		cmd := f.in.Cyrus.Command(f.in.Cyrus.Prog("squatter"), append([]string{"-C", none}, mode...)...)
		var cerr bytes.Buffer
		cmd.Stderr = &cerr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cc := waitExit(t, cmd, "Cyrus's squatter "+mode[0])
		ores := runCmd(t, f.oursCmd(nil, append([]string{"-C", none}, mode...)...), nil)
		t.Logf("%s: Cyrus exits %d: %q; ours %d: %q", mode[0], cc, cerr.String(), ores.Code, ores.Stderr)
		if cc != ores.Code {
			t.Errorf("search_engine none, %s: Cyrus exits %d, ours %d", mode[0], cc, ores.Code)
		}
		if !strings.Contains(ores.Stderr, "search_engine") {
			t.Errorf("search_engine none, %s: ours says %q", mode[0], ores.Stderr)
		}
		if got := f.recorded(); len(got) != 0 {
			t.Errorf("search_engine none: ours indexed %q", got)
		}
		f.sl.Take("squatter")
	}
}

// TestSquatterChannelLockedAndSignals: a locked mailbox is re-queued on
// the channel cycle after cycle until the lock goes, SIGTERM ends the
// loop with 75, SIGHUP under master (CYRUS_ISDAEMON) with 0, as with
// Cyrus's squatter; ours reports readiness on a wait daemon's fd 3.
func TestSquatterChannelLockedAndSignals(t *testing.T) {
	f := newSquatterFixture(t)
	fred, err := f.sp.LookupName("user.fred")
	if err != nil {
		t.Fatal(err)
	}
	run := func(who string, cmd *exec.Cmd, stop syscall.Signal) ([]string, int) {
		f.startLog(t, "APPEND user.fred\nAPPEND user.alice\n")
		lock, err := f.sp.Lock(context.Background(), spool.MailboxLockName(fred), true)
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			lock.Release()
			t.Fatalf("%s: %v", who, err)
		}
		// re-queued at least twice, then unlocked
		deadline := time.Now().Add(10 * time.Second)
		for n := 0; n < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if b, _ := os.ReadFile(filepath.Join(f.channelDir, "log")); string(b) == "APPEND user.fred\n" {
				n++
			}
		}
		time.Sleep(300 * time.Millisecond)
		lock.Release()
		f.waitLogDone(t, who)
		time.Sleep(200 * time.Millisecond)
		cmd.Process.Signal(stop)
		code := waitExit(t, cmd, who)
		return collapseLocked(squatterLines(f.sl.Take("squatter"))), code
	}
	cl, cc := run("Cyrus's squatter", f.cyrus("-R", "-d", "-v", "-v"), syscall.SIGTERM)
	t.Logf("Cyrus's lines:\n  %s", strings.Join(cl, "\n  "))
	ol, oc := run("our squatter-channel", f.oursCmd(nil, "-R", "-d", "-v", "-v"), syscall.SIGTERM)
	if cc != 75 || oc != 75 {
		t.Errorf("SIGTERM: Cyrus exits %d, ours %d (want 75)", cc, oc)
	}
	diffLines(t, "locked, SIGTERM", cl, ol)
	if got := f.recorded(); !reflect.DeepEqual(got, []string{"user.alice", "user.fred"}) {
		t.Errorf("ours indexed %q", got)
	}

	// under master: SIGHUP ends it with 0 and log-run is gone; ours
	// writes "ok\r\n" on fd 3 (Cyrus 3.12's wait-daemon report, not 3.6's)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	daemon := []string{"CYRUS_ISDAEMON=1"}
	ccmd := f.cyrus("-R", "-v", "-v")
	ccmd.Env = append(os.Environ(), daemon...)
	cl, cc = run("Cyrus's squatter under master", ccmd, syscall.SIGHUP)
	ocmd := f.oursCmd(daemon, "-R", "-v", "-v")
	ocmd.ExtraFiles = []*os.File{pw}
	ol, oc = run("our squatter-channel under master", ocmd, syscall.SIGHUP)
	pw.Close()
	ready, _ := io.ReadAll(pr)
	if cc != 0 || oc != 0 {
		t.Errorf("SIGHUP under master: Cyrus exits %d, ours %d (want 0)", cc, oc)
	}
	diffLines(t, "locked, SIGHUP under master", cl, ol)
	if string(ready) != "ok\r\n" {
		t.Errorf("ours wrote %q on fd 3", ready)
	}
}

// collapseLocked makes one of a run of retries of a locked mailbox (the
// "indexing" line, 3.10's "can not lock mailbox", "locked, retrying"):
// how many cycles pass while it is locked is a matter of timing.
func collapseLocked(lines []string) []string {
	var out []string
	for i := 0; i < len(lines); i++ {
		n := 2 // the retry's lines, up to "locked, retrying"
		if i+2 < len(lines) && strings.Contains(lines[i+1], "can not lock mailbox") {
			n = 3
		}
		if i+n-1 < len(lines) && strings.HasSuffix(lines[i+n-1], "locked, retrying") && len(out) >= n &&
			slices.Equal(out[len(out)-n:], lines[i:i+n]) {
			i += n - 1
			continue
		}
		out = append(out, lines[i])
	}
	return out
}

// waitGone waits until no process runs with confPath on its command line
// (a squatter gone to the background), 10 s at most.
func waitGone(t *testing.T, confPath, who string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		found := false
		dirs, _ := os.ReadDir("/proc")
		for _, d := range dirs {
			b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
			if err == nil && bytes.Contains(b, []byte(confPath)) && bytes.Contains(b, []byte("-R")) && !zombieStr(d.Name()) {
				found = true
			}
		}
		if !found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s in the background did not stop on the shutdown file", who)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func zombieStr(pid string) bool {
	n := 0
	fmt.Sscan(pid, &n)
	return n == 0 || zombie(n)
}
