package syncclient

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol"
)

func rollingOptions(channel string) *Options {
	return &Options{Mode: ModeRolling, Channel: channel, Timeout: 600}
}

var lockedNo = &protocol.RemoteError{Code: protocol.CodeMailboxLocked, Text: protocol.StatusText(protocol.CodeMailboxLocked)}

// TestRollingOnce: -1 takes the channel's log, processes it (a mailbox
// uploaded, a quota root, a subscription, a deleted user) and deletes
// it; with no log it exits at once, without error.
func TestRollingOnce(t *testing.T) {
	rep := startRecReplica(t, "")
	o := rollingOptions("chan")
	o.Once = true
	fx := newRollingFixture(t, rep.addr, o)
	fx.writeLog(t, "log", "QUOTA user.cb\nSUB cb user.cb.SplitBrain\nUNUSER ghost\nMAILBOX user.cb\n")
	if err := fx.r.rolling(context.Background()); err != nil {
		t.Fatalf("rolling -1: %v", err)
	}
	if fx.exists("log") || fx.exists("log-run") {
		t.Error("the log was not consumed")
	}
	cmds := rep.commands()
	if !inOrder(cmds, "GET MAILBOXES", "APPLY MESSAGE", "APPLY MAILBOX", "RESTART", "APPLY QUOTA user.cb",
		"APPLY UNSUB", "APPLY UNUSER ghost") {
		t.Errorf("commands: %q", cmds)
	}
	if err := fx.r.rolling(context.Background()); err != nil {
		t.Fatalf("rolling -1 without a log: %v", err)
	}
	for _, c := range rep.commands() {
		if c != "RESTART" {
			t.Errorf("without a log: %s", c)
		}
	}
}

// TestRollingLeftoverFirst: a log-run left by an earlier run is processed
// (and noted) before the live log, which waits for the next cycle.
func TestRollingLeftoverFirst(t *testing.T) {
	rep := startRecReplica(t, "")
	o := rollingOptions("chan")
	o.Once = true
	fx := newRollingFixture(t, rep.addr, o)
	fx.writeLog(t, "log-run", "UNUSER first\n")
	fx.writeLog(t, "log", "UNUSER second\n")
	if err := fx.r.rolling(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !fx.logged("NOTICE Reprocessing sync log file " + filepath.Join(fx.syncDir, "log-run")) {
		t.Errorf("syslog: %q", fx.logs.lines)
	}
	if cmds := rep.commands(); count(cmds, "APPLY UNUSER first") != 1 || count(cmds, "APPLY UNUSER second") != 0 {
		t.Errorf("first cycle: %q", cmds)
	}
	if fx.exists("log-run") || !fx.exists("log") {
		t.Error("log-run kept or log taken")
	}
	if err := fx.r.rolling(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cmds := rep.commands(); count(cmds, "APPLY UNUSER second") != 1 {
		t.Errorf("second cycle: %q", cmds)
	}
}

// TestRollingShutdownFile: the loop follows the log (woken by its
// growth) until the shutdown file appears, which it removes; it returns
// without error, nothing left unprocessed.
func TestRollingShutdownFile(t *testing.T) {
	for _, poll := range []bool{false, true} {
		rep := startRecReplica(t, "")
		o := rollingOptions("chan")
		o.Poll = poll
		o.ShutdownFile = filepath.Join(t.TempDir(), "stop")
		fx := newRollingFixture(t, rep.addr, o, "sync_repeat_interval: 1")
		wait := fx.start(context.Background())
		time.Sleep(100 * time.Millisecond)
		start := time.Now()
		fx.writeLog(t, "log", "UNUSER a\n")
		eventually(t, "UNUSER a", func() bool { return !fx.exists("log") && !fx.exists("log-run") })
		took := time.Since(start)
		if !poll && took > 700*time.Millisecond {
			t.Errorf("woken after %v: the log's growth did not wake the loop", took)
		}
		os.WriteFile(o.ShutdownFile, nil, 0o644)
		if err := wait(t); err != nil {
			t.Errorf("poll=%v: %v", poll, err)
		}
		if _, err := os.Stat(o.ShutdownFile); err == nil {
			t.Error("the shutdown file was not removed")
		}
		if cmds := rep.commands(); count(cmds, "APPLY UNUSER a") != 1 {
			t.Errorf("commands: %q", cmds)
		}
	}
}

// drop makes the replica go away without waiting for its sessions.
func (f *recReplica) drop() {
	f.l.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
}

// TestRollingReplicaGone: the replica goes away while a file is
// processed: the file fails, the NOOP fails, and sync_client stops without
// error leaving log-run; started again with the replica back, it finishes
// that file first.
func TestRollingReplicaGone(t *testing.T) {
	rep := startRecReplica(t, "")
	rep.fail = func(verb, key string, arg dlist.Value) error {
		if verb == "APPLY" && key == "UNUSER" && arg.Text() == "b" {
			rep.drop()
			return errors.New("gone")
		}
		return nil
	}
	fx := newRollingFixture(t, rep.addr, rollingOptions("chan"))
	fx.writeLog(t, "log", "UNUSER a\nUNUSER b\nUNUSER c\n")
	if err := fx.start(context.Background())(t); err != nil {
		t.Fatalf("rolling: %v, want a clean stop", err)
	}
	if !fx.exists("log-run") {
		t.Fatal("log-run was not kept")
	}
	failed := "ERR Processing sync log file " + filepath.Join(fx.syncDir, "log-run") + " failed: "
	found := false
	for _, l := range fx.logs.lines {
		found = found || strings.HasPrefix(l, failed)
	}
	if !found {
		t.Errorf("syslog: %q", fx.logs.lines)
	}
	rep.kill()
	back := startRecReplica(t, rep.addr)
	fx.r.o.Once = true
	if err := fx.r.rolling(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fx.exists("log-run") {
		t.Error("log-run left after the restart")
	}
	if cmds := back.commands(); !inOrder(cmds, "APPLY UNUSER a", "APPLY UNUSER b", "APPLY UNUSER c") {
		t.Errorf("after the restart: %q", cmds)
	}
}

// TestRollingRetryAfterFailure: a file failing with the replica still
// there is retried at once over a new connection.
func TestRollingRetryAfterFailure(t *testing.T) {
	rep := startRecReplica(t, "")
	var once sync.Once
	rep.fail = func(verb, key string, arg dlist.Value) error {
		var err error
		if verb == "APPLY" && key == "UNUSER" {
			once.Do(func() { err = &protocol.RemoteError{Code: protocol.CodeRemoteDenied, Text: "Unknown error"} })
		}
		return err
	}
	o := rollingOptions("chan")
	o.ShutdownFile = filepath.Join(t.TempDir(), "stop")
	fx := newRollingFixture(t, rep.addr, o)
	fx.writeLog(t, "log", "UNUSER a\n")
	wait := fx.start(context.Background())
	// log before log-run: the client renames log to log-run, so the other
	// order can see neither while it renames
	eventually(t, "the retry", func() bool { return !fx.exists("log") && !fx.exists("log-run") })
	os.WriteFile(o.ShutdownFile, nil, 0o644)
	if err := wait(t); err != nil {
		t.Fatal(err)
	}
	if cmds := rep.commands(); count(cmds, "APPLY UNUSER a") != 2 || rep.sessionCount() != 2 {
		t.Errorf("%d sessions, commands %q", rep.sessionCount(), cmds)
	}
	if !fx.logged("ERR Error in do_sync(): bailing out! The remote Server(s) denied the operation") {
		t.Errorf("syslog: %q", fx.logs.lines)
	}
}

// TestRollingTimeout: past -t seconds the loop sends RESTART, logs it and
// reconnects.
func TestRollingTimeout(t *testing.T) {
	rep := startRecReplica(t, "")
	o := rollingOptions("chan")
	o.Timeout = 60
	o.ShutdownFile = filepath.Join(t.TempDir(), "stop")
	fx := newRollingFixture(t, rep.addr, o)
	d := fx.r.newDaemon()
	var mu sync.Mutex
	clock := time.Unix(1_000_000, 0)
	d.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(31 * time.Second) // each look at the clock: half a timeout
		return clock
	}
	done := make(chan error, 1)
	go func() { done <- d.run(context.Background()) }()
	eventually(t, "a second session", func() bool { return rep.sessionCount() >= 2 })
	os.WriteFile(o.ShutdownFile, nil, 0o644)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !fx.logged("INFO sync_client RESTART succeeded") {
		t.Errorf("syslog: %q", fx.logs.lines)
	}
}

// TestRollingDeferralNoBusyLoop: an item deferred to our own log waits a
// whole cycle, not woken by our own write. The cycle is 3 s: Cyrus's
// whole-second arithmetic may shorten it by up to a second, and the test
// watches one second after the deferral.
func TestRollingDeferralNoBusyLoop(t *testing.T) {
	rep := startRecReplica(t, "")
	rep.fail = func(verb, key string, arg dlist.Value) error {
		if verb == "GET" && key == "USER" {
			return lockedNo
		}
		return nil
	}
	o := rollingOptions("chan")
	o.ShutdownFile = filepath.Join(t.TempDir(), "stop")
	fx := newRollingFixture(t, rep.addr, o, "sync_repeat_interval: 3")
	fx.writeLog(t, "log", "USER cb\n")
	wait := fx.start(context.Background())
	eventually(t, "the deferral", func() bool { return fx.logged("INFO   Deferred: USER cb") })
	time.Sleep(time.Second)
	os.WriteFile(o.ShutdownFile, nil, 0o644)
	if err := wait(t); err != nil {
		t.Fatal(err)
	}
	if n := count(rep.commands(), "GET USER cb"); n != 1 {
		t.Errorf("GET USER sent %d times in a second", n)
	}
	if !fx.exists("log") {
		t.Error("the deferred item is not in the log")
	}
}

// TestRollingFile: -f FILE is processed once and kept ("Reprocessing"
// noted, as Cyrus does); a missing file, and "-", are Cyrus's "No sync log
// filename" with exit status 1; a failed file exits with Cyrus's error
// code's low byte.
func TestRollingFile(t *testing.T) {
	rep := startRecReplica(t, "")
	path := filepath.Join(t.TempDir(), "replay")
	os.WriteFile(path, []byte("UNUSER a\nUNUSER \"b c\"\n"), 0o644)
	o := rollingOptions("")
	o.InputFile = path
	fx := newRollingFixture(t, rep.addr, o)
	if err := fx.r.rolling(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the file is gone: %v", err)
	}
	if !fx.logged("NOTICE Reprocessing sync log file "+path) || !inOrder(rep.commands(), "APPLY UNUSER a", "APPLY UNUSER b c") {
		t.Errorf("syslog %q", fx.logs.lines)
	}
	for _, f := range []string{filepath.Join(t.TempDir(), "missing"), "-"} {
		o.InputFile = f
		err := fx.r.rolling(context.Background())
		var fe *cyrus.Fatal
		if !errors.As(err, &fe) || fe.Code != 1 || !fx.logged("ERR No sync log filename") {
			t.Errorf("%s: %v", f, err)
		}
	}
	rep.fail = func(verb, key string, _ dlist.Value) error {
		if key == "UNUSER" {
			return lockedNo
		}
		return nil
	}
	o.InputFile = path
	err := fx.r.rolling(context.Background())
	var fe *cyrus.Fatal
	if !errors.As(err, &fe) || fe.Code != placeLocked {
		t.Errorf("locked: %v, want exit %d", err, placeLocked)
	}
}

// TestRollingSignal: a cancelled context (SIGTERM) ends the loop with
// EX_TEMPFAIL and Cyrus's "graceful shutdown".
func TestRollingSignal(t *testing.T) {
	rep := startRecReplica(t, "")
	fx := newRollingFixture(t, rep.addr, rollingOptions("chan"))
	ctx, cancel := context.WithCancel(context.Background())
	wait := fx.start(ctx)
	eventually(t, "the session", func() bool { return rep.sessionCount() == 1 })
	cancel()
	err := wait(t)
	var fe *cyrus.Fatal
	if !errors.As(err, &fe) || fe.Code != cyrus.ExitTempFail || !fx.logged("NOTICE graceful shutdown") {
		t.Errorf("%v %q", err, fx.logs.lines)
	}
}

// TestLogWaker: the waker returns soon after the log is written, after
// the whole wait when it is not, and at once (after coalescing) when the
// log is already there; with no directory to watch it just sleeps.
func TestLogWaker(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	w := newLogWaker(log)
	if w == nil {
		t.Skip("no inotify here")
	}
	defer w.Close()
	ctx := context.Background()
	start := time.Now()
	go func() {
		time.Sleep(100 * time.Millisecond)
		os.WriteFile(log, []byte("USER a\n"), 0o644)
	}()
	w.wait(ctx, 5*time.Second, nil)
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("woken after %v", d)
	}
	start = time.Now()
	w.wait(ctx, 5*time.Second, nil)
	if d := time.Since(start); d < coalesceWindow || d > time.Second {
		t.Errorf("log present: waited %v", d)
	}
	os.Remove(log)
	os.WriteFile(filepath.Join(dir, "log-run"), nil, 0o644)
	start = time.Now()
	w.wait(ctx, 300*time.Millisecond, nil)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("woken by another file after %v", d)
	}
	nodir := newLogWaker(filepath.Join(dir, "none", "log"))
	defer nodir.Close()
	start = time.Now()
	nodir.wait(ctx, 200*time.Millisecond, nil)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("no directory: waited %v", d)
	}
}

// TestAnnotationItem: an ANNOTATION item removes what only the replica
// has. The fixture is unixhierarchysep: as in Cyrus 3.6, the item's name
// "user.cb" is looked up as the admin's external name (user^cb), so no
// master annotation is found for it.
func TestAnnotationItem(t *testing.T) {
	rep := startRecReplica(t, "")
	rep.answer = func(verb, key string, arg dlist.Value) []protocol.Item {
		if verb != "GET" || key != "ANNOTATION" {
			return nil
		}
		var items []protocol.Item
		for _, e := range []string{"/motd", "/comment"} {
			a := &protocol.MailboxAnnotation{MboxName: arg.Text(), Entry: e, Data: "x"}
			items = append(items, protocol.Item{Key: "ANNOTATION", Value: a.Value()})
		}
		return items
	}
	o := rollingOptions("")
	o.Once = true
	fx := newRollingFixture(t, rep.addr, o)
	fx.r.o.InputFile = filepath.Join(t.TempDir(), "items")
	os.WriteFile(fx.r.o.InputFile, []byte("ANNOTATION \"\"\nANNOTATION user.cb\n"), 0o644)
	if err := fx.r.rolling(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cmds := rep.commands(); !inOrder(cmds, "GET ANNOTATION", "APPLY UNANNOTATION", "APPLY UNANNOTATION",
		"GET ANNOTATION user.cb", "APPLY UNANNOTATION", "APPLY UNANNOTATION") || count(cmds, "APPLY ANNOTATION") != 0 {
		t.Errorf("commands %q", cmds)
	}
	if l, err := fx.r.s.localAnnotations("user.cb"); l != nil || err != nil {
		t.Errorf("user.cb: %v %v", l, err)
	}
}

// TestRollingUntakableLog: a log that cannot be taken (here log-run is a
// directory, which cannot be opened) is retried once a cycle, not as fast
// as the waker, seeing log there, could go.
func TestRollingUntakableLog(t *testing.T) {
	rep := startRecReplica(t, "")
	o := rollingOptions("chan")
	o.ShutdownFile = filepath.Join(t.TempDir(), "stop")
	fx := newRollingFixture(t, rep.addr, o, "sync_repeat_interval: 1")
	fx.writeLog(t, "log", "UNUSER a\n")
	os.Mkdir(filepath.Join(fx.syncDir, "log-run"), 0o755)
	os.WriteFile(filepath.Join(fx.syncDir, "log-run", "x"), nil, 0o644)
	wait := fx.start(context.Background())
	time.Sleep(1500 * time.Millisecond)
	os.WriteFile(o.ShutdownFile, nil, 0o644)
	if err := wait(t); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range fx.logs.lines {
		if strings.HasPrefix(l, "ERR Failed to open ") {
			n++
		}
	}
	if n == 0 || n > 3 {
		t.Errorf("%d failures logged in 1.5 s: %q", n, fx.logs.lines)
	}
}
