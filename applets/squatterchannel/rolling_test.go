package squatterchannel

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

var testMailboxes = fakeMailboxes{
	"user.fred":                      spool.KindEmail,
	"user.fred.Sent":                 spool.KindEmail,
	"user.fred.Trash":                spool.KindEmail,
	"user.fred.gone":                 spool.KindEmail | spool.TypeDeleted,
	"user.fred.mid":                  spool.KindEmail | spool.TypeIntermediate,
	"user.fred.#sieve":               spool.KindSieve,
	"user.fred.#calendars":           spool.KindCollection,
	"user.fred.#calendars.Inbox":     spool.KindCalendar,
	"user.fred.#calendars.Default":   spool.KindCalendar,
	"user.fred.#addressbooks":        spool.KindCollection,
	"user.fred.#jmapsubmission":      spool.KindEmail,
	"user.alice":                     spool.KindEmail,
	"user.bob":                       spool.KindEmail,
	"user.bob.remote":                spool.KindEmail | spool.TypeRemote,
	"DELETED.user.fred.Old.5F000000": spool.KindEmail,
	"shared.folder":                  spool.KindEmail,
	"example.com!user.skipme":        spool.KindEmail,
	"user.skipuser":                  spool.KindEmail,
	"user.fred.a b":                  spool.KindEmail,
	"user.fred.reserved":             spool.KindEmail | spool.TypeReserve,
}

// runCycles runs the rolling loop until the indexer was called n times and
// the log is taken, then drops a shutdown file; it returns the loop's end.
func runCycles(t *testing.T, r *runner, dir string, rec *recorder, n int) error {
	t.Helper()
	done := make(chan error, 1)
	reader := synclog.NewChannelReader(dir+"/sync", DefaultChannel, r.log)
	go func() { done <- r.rolling(context.Background(), reader) }()
	waitFor(t, "the indexer's calls", func() bool { return len(rec.Calls()) >= n })
	time.Sleep(50 * time.Millisecond)
	if err := os.MkdirAll(dir+"/msg", 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(dir+"/msg/shutdown.squatter", []byte("bye\n"), 0o644)
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not stop on the shutdown file")
		return nil
	}
}

func TestRollingOrderDedupUserAndSkips(t *testing.T) {
	rec := &recorder{}
	r, ll, dir := testRunner(t, testMailboxes, rec, &Options{Verbose: 2})
	r.skip.skipDomains = []string{"example.com"}
	r.skip.skipUsers = []string{"skipuser"}
	writeLog(t, dir, strings.Join([]string{
		"APPEND user.fred.Trash",
		"APPEND user.bob",
		"MAILBOX user.alice", // not an item the squatter takes
		"USER fred",
		"APPEND user.bob",
		"APPEND user.nonexistent",
		"APPEND DELETED.user.fred.Old.5F000000",
		"APPEND shared.folder",
		"APPEND example.com!user.skipme",
		"APPEND user.skipuser",
		"APPEND user.bob.remote",
		`APPEND "user.fred.a b"`,
		"APPEND user.fred.reserved",
		"SEEN fred 123",
	}, "\n")+"\n")
	want := []string{"shared.folder", "user.bob", "user.fred", "user.fred.#calendars.Default", "user.fred.Sent", "user.fred.Trash", "user.fred.a b"}
	if err := runCycles(t, r, dir, rec, len(want)); !errors.Is(err, errShutdown) {
		t.Fatalf("loop ended with %v, want the shutdown file's", err)
	}
	if got := rec.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("indexed %q\nwant %q", got, want)
	}
	got := ll.List()
	for _, l := range []string{
		"error looking up user/nonexistent: Mailbox does not exist",
		"error looking up user/fred/reserved: Mailbox is currently reserved",
		"do_rolling: indexing user.fred.a b",
		"indexing mailbox user/fred/a b... ",
	} {
		if !contains(got, l) {
			t.Errorf("no syslog line %q in\n%s", l, strings.Join(got, "\n"))
		}
	}
	// USER's tree lists no tombstones or intermediates: nothing looked up
	for _, l := range got {
		if strings.Contains(l, "user/fred/gone") || strings.Contains(l, "user/fred/mid") {
			t.Errorf("a tombstone or intermediate was looked up: %q", l)
		}
	}
	// the log was taken; log-run stays until the next cycle begins
	if _, err := os.Stat(dir + "/sync/squatter/log"); err == nil {
		t.Error("the log is still there")
	}
}

func TestRollingRequeue(t *testing.T) {
	rec := &recorder{script: map[string][]Result{
		"user.fred":      {Again},
		"user.fred.Sent": {Locked},
		"user.alice":     {Nonexistent},
	}, errs: map[string]error{"user.bob": errBoom}}
	r, ll, dir := testRunner(t, testMailboxes, rec, &Options{Verbose: 1})
	writeLog(t, dir, "APPEND user.fred\nAPPEND user.fred.Sent\nAPPEND user.alice\nAPPEND user.bob\n")
	// first cycle: 4 calls; the two re-queued come back in a second cycle
	if err := runCycles(t, r, dir, rec, 6); !errors.Is(err, errShutdown) {
		t.Fatal(err)
	}
	want := []string{"user.alice", "user.bob", "user.fred", "user.fred.Sent", "user.fred", "user.fred.Sent"}
	if got := rec.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("indexed %q\nwant %q", got, want)
	}
	if rec.ends != 2 {
		t.Errorf("%d cycles ended, want 2", rec.ends)
	}
	got := ll.List()
	for _, l := range []string{
		"error opening user/alice: Mailbox does not exist",
		"skipping nonexistent mailbox: user.alice",
		"IOERROR: failed to index and forgetting: mailbox=<user.bob> error=<System I/O error> func=<do_rolling>",
		"mailbox user/fred/Sent locked, retrying",
	} {
		if !contains(got, l) {
			t.Errorf("no syslog line %q in\n%s", l, strings.Join(got, "\n"))
		}
	}
}

func TestRequeueWritesTheChannelLog(t *testing.T) {
	rec := &recorder{script: map[string][]Result{"user.fred.a b": {Again}}}
	r, _, dir := testRunner(t, testMailboxes, rec, nil)
	r.cycle(context.Background(), []string{"user.fred.a b"})
	b, err := os.ReadFile(dir + "/sync/squatter/log")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "APPEND \"user.fred.a b\"\n" {
		t.Errorf("log holds %q", b)
	}
}

func TestRollingShutdownFileAtOnce(t *testing.T) {
	for _, name := range []string{"shutdown.squatter", "shutdown"} {
		rec := &recorder{}
		r, _, dir := testRunner(t, testMailboxes, rec, nil)
		writeLog(t, dir, "APPEND user.fred\n")
		os.MkdirAll(dir+"/msg", 0o755)
		os.WriteFile(dir+"/msg/"+name, nil, 0o644)
		reader := synclog.NewChannelReader(dir+"/sync", DefaultChannel, r.log)
		if err := r.rolling(context.Background(), reader); !errors.Is(err, errShutdown) {
			t.Errorf("%s: %v", name, err)
		}
		if len(rec.Calls()) != 0 {
			t.Errorf("%s: indexed %q", name, rec.Calls())
		}
		if _, err := os.Stat(dir + "/msg/" + name); err != nil {
			t.Errorf("%s: the shutdown file was removed", name)
		}
	}
}

func TestRollingSignals(t *testing.T) {
	// SIGTERM (ctx): exit 75 with "graceful shutdown"
	rec := &recorder{}
	r, ll, dir := testRunner(t, testMailboxes, rec, nil)
	ctx, cancel := context.WithCancel(context.Background())
	reader := synclog.NewChannelReader(dir+"/sync", DefaultChannel, r.log)
	done := make(chan error, 1)
	go func() { done <- r.rolling(ctx, reader) }()
	time.Sleep(30 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, errShutdown) || !contains(ll.List(), "graceful shutdown") {
		t.Errorf("SIGTERM: %v, %q", err, ll.List())
	}

	// SIGHUP: ignored unless under master; under master the log-run of
	// the cycle done is removed and the exit is 0
	for _, daemon := range []bool{false, true} {
		rec := &recorder{}
		r, _, dir := testRunner(t, testMailboxes, rec, nil)
		hup := make(chan os.Signal, 1)
		r.hup, r.daemon = hup, daemon
		writeLog(t, dir, "APPEND user.fred\n")
		reader := synclog.NewChannelReader(dir+"/sync", DefaultChannel, r.log)
		done := make(chan error, 1)
		go func() { done <- r.rolling(context.Background(), reader) }()
		waitFor(t, "indexing", func() bool { return len(rec.Calls()) == 1 })
		hup <- syscall.SIGHUP
		select {
		case err := <-done:
			if !daemon || err != nil {
				t.Errorf("daemon=%v: SIGHUP ended the loop with %v", daemon, err)
			}
			if _, err := os.Stat(dir + "/sync/squatter/log-run"); err == nil {
				t.Error("log-run kept after SIGHUP")
			}
		case <-time.After(300 * time.Millisecond):
			if daemon {
				t.Error("SIGHUP under master did not end the loop")
			}
			os.MkdirAll(dir+"/msg", 0o755)
			os.WriteFile(dir+"/msg/shutdown", nil, 0o644)
			<-done
		}
	}
}

func TestParallelNeverTwice(t *testing.T) {
	mb := fakeMailboxes{}
	var names []string
	for _, c := range "abcdefghij" {
		n := "user." + string(c)
		mb[n] = spool.KindEmail
		names = append(names, n)
	}
	rec := &recorder{delay: 20 * time.Millisecond, script: map[string][]Result{"user.a": {Locked, Locked, Locked}}}
	r, _, _ := testRunner(t, mb, rec, &Options{Parallel: 3})
	// -f's retries put user.a back while it may still be in progress
	if err := r.file(context.Background(), writeLog(t, t.TempDir(), "APPEND "+strings.Join(names, "\nAPPEND ")+"\n")); err != nil {
		t.Fatal(err)
	}
	if rec.twice {
		t.Error("a mailbox was indexed twice at a time")
	}
	if rec.maxBusy != 3 {
		t.Errorf("at most %d at once, want 3", rec.maxBusy)
	}
	if n := len(rec.Calls()); n != len(names)+3 {
		t.Errorf("%d calls, want %d", n, len(names)+3)
	}
}

func TestSleepBetweenMailboxes(t *testing.T) {
	rec := &recorder{}
	r, _, _ := testRunner(t, testMailboxes, rec, &Options{Sleep: 30 * time.Millisecond})
	start := time.Now()
	r.cycle(context.Background(), []string{"user.alice", "user.bob", "user.nonexistent"})
	if d := time.Since(start); d < 60*time.Millisecond || d > time.Second {
		t.Errorf("two mailboxes with -S 0.03 took %v", d)
	}
}

func TestStartName(t *testing.T) {
	rec := &recorder{}
	r, _, _ := testRunner(t, testMailboxes, rec, &Options{StartName: "user.bob"})
	r.cycle(context.Background(), []string{"shared.folder", "user.alice", "user.bob", "user.fred"})
	if got := rec.Calls(); !reflect.DeepEqual(got, []string{"user.bob", "user.fred"}) {
		t.Errorf("-N user.bob indexed %q", got)
	}
}

// TestRollingSignalMidCycle: a shutdown signal in the middle of a cycle
// lets the mailbox in progress finish, takes up no other, and keeps
// log-run for the next run.
func TestRollingSignalMidCycle(t *testing.T) {
	rec := &recorder{delay: 100 * time.Millisecond}
	r, _, dir := testRunner(t, testMailboxes, rec, nil)
	writeLog(t, dir, "APPEND user.alice\nAPPEND user.bob\nAPPEND user.fred\n")
	ctx, cancel := context.WithCancel(context.Background())
	reader := synclog.NewChannelReader(dir+"/sync", DefaultChannel, r.log)
	done := make(chan error, 1)
	go func() { done <- r.rolling(ctx, reader) }()
	waitFor(t, "the first mailbox", func() bool { return len(rec.Calls()) == 1 })
	cancel()
	if err := <-done; !errors.Is(err, errShutdown) {
		t.Fatalf("got %v", err)
	}
	if got := rec.Calls(); !reflect.DeepEqual(got, []string{"user.alice"}) {
		t.Errorf("indexed %q", got)
	}
	if b, err := os.ReadFile(dir + "/sync/squatter/log-run"); err != nil || !strings.Contains(string(b), "user.fred") {
		t.Errorf("log-run: %q, %v", b, err)
	}
}

// TestRollingRecordsForStatus: -R holds the channel for `cyrus-replication
// status` and records each log file it processed, with its item count.
func TestRollingRecordsForStatus(t *testing.T) {
	rec := &recorder{}
	r, _, dir := testRunner(t, testMailboxes, rec, nil)
	chdir := synclog.ChannelDir(dir+"/sync", DefaultChannel)
	r.state = synclog.Record(chdir, func(msg string) { t.Error(msg) })
	defer r.state.Close()
	if held, err := synclog.ChannelHeld(chdir); err != nil || !held {
		t.Errorf("ChannelHeld = %v, %v while -R runs", held, err)
	}
	writeLog(t, dir, "APPEND user.fred\nAPPEND user.bob\nSEEN fred 1\n")
	if err := runCycles(t, r, dir, rec, 2); !errors.Is(err, errShutdown) {
		t.Fatalf("loop ended with %v", err)
	}
	st, err := synclog.ReadClientState(chdir)
	if err != nil || st == nil {
		t.Fatalf("ReadClientState = %v, %v", st, err)
	}
	if st.PID != os.Getpid() || st.LastCycle.IsZero() || st.LastItems != 3 {
		t.Errorf("state %+v: want this pid, a last cycle of 3 items", st)
	}
}
