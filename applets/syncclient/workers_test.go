package syncclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// concurrency watches work per key: how many at once per key (must stay
// 1) and overall.
type concurrency struct {
	mu      sync.Mutex
	inKey   map[string]int
	now     int
	maxAll  int
	maxKey  int
	perKey  map[string][]int // the order in which a key's work ran
	overlap []string
}

func newConcurrency() *concurrency {
	return &concurrency{inKey: map[string]int{}, perKey: map[string][]int{}}
}

func (c *concurrency) enter(key string, seq int) {
	c.mu.Lock()
	c.inKey[key]++
	c.now++
	c.maxAll = max(c.maxAll, c.now)
	c.maxKey = max(c.maxKey, c.inKey[key])
	if c.inKey[key] > 1 {
		c.overlap = append(c.overlap, key)
	}
	c.perKey[key] = append(c.perKey[key], seq)
	c.mu.Unlock()
}

func (c *concurrency) leave(key string) {
	c.mu.Lock()
	c.inKey[key]--
	c.now--
	c.mu.Unlock()
}

// TestSchedule: units sharing a key never overlap and run in their
// order; units with disjoint keys run at once; a unit holding two keys
// excludes both.
func TestSchedule(t *testing.T) {
	c := newConcurrency()
	var units []unit
	for i := range 40 {
		keys := []string{fmt.Sprintf("u%d", i%5)}
		if i%7 == 3 {
			keys = append(keys, fmt.Sprintf("u%d", (i+1)%5)) // a rename across users
		}
		units = append(units, unit{keys: keys, do: func(context.Context, *syncer) error {
			for _, k := range keys {
				c.enter(k, i)
			}
			time.Sleep(5 * time.Millisecond)
			for _, k := range keys {
				c.leave(k)
			}
			return nil
		}})
	}
	done := make([]bool, len(units))
	ws := []*syncer{{}, {}, {}, {}}
	schedule(context.Background(), ws, units, func(i int, err error) { done[i] = true })
	for i, d := range done {
		if !d {
			t.Errorf("unit %d did not run", i)
		}
	}
	if c.maxKey != 1 || len(c.overlap) > 0 {
		t.Errorf("a key ran on two workers at once: %q", c.overlap)
	}
	if c.maxAll < 2 {
		t.Errorf("at most %d units at once: nothing ran in parallel", c.maxAll)
	}
	for k, seq := range c.perKey {
		for i := 1; i < len(seq); i++ {
			if seq[i] < seq[i-1] {
				t.Errorf("%s's units ran out of order: %v", k, seq)
				break
			}
		}
	}
	// A cancelled context starts nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	schedule(ctx, ws, []unit{{keys: []string{"x"}, do: func(context.Context, *syncer) error { ran = true; return nil }}}, nil)
	if ran {
		t.Error("a unit started after the context ended")
	}
}

// TestSplitItems: items sharing a user, directly or through a RENAME or
// DOUBLEMAILBOX across users, are one part in file order; shared
// mailboxes and server annotations are the part of "".
func TestSplitItems(t *testing.T) {
	s, _, _ := decisionSyncer(t, "")
	items := []synclog.Item{
		synclog.Mailbox("user.a"), synclog.Mailbox("user.b.x"), synclog.Mailbox("shared.box"),
		synclog.Seen("c", "uid1"), synclog.Rename("user.b.x", "user.d.x"), synclog.Mailbox("user.a.Sent"),
		synclog.Annotation(""), synclog.User("d"), synclog.DoubleMailbox("user.e", "user.c.y"), {Type: "BOGUS", Args: []string{"z"}},
	}
	var got []string
	for _, p := range s.splitItems(items) {
		var its []string
		for _, it := range p.items {
			its = append(its, it.Type+" "+strings.Join(it.Args, " "))
		}
		got = append(got, fmt.Sprintf("%q: %s", p.keys, strings.Join(its, ", ")))
	}
	want := []string{
		`["a"]: MAILBOX user.a, MAILBOX user.a.Sent`,
		`["b" "d"]: MAILBOX user.b.x, RENAME user.b.x user.d.x, USER d`,
		`[""]: MAILBOX shared.box, ANNOTATION , BOGUS z`,
		`["c" "e"]: SEEN c uid1, DOUBLEMAILBOX user.e user.c.y`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parts:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// slowUsers makes the replica take 20 ms for each command naming a user
// (GET USER, APPLY UNUSER), watched by c.
func slowUsers(rep *recReplica, c *concurrency, fail func(verb, key, user string) error) {
	var mu sync.Mutex
	seq := 0
	rep.fail = func(verb, key string, arg dlist.Value) error {
		if !(verb == "GET" && key == "USER" || verb == "APPLY" && key == "UNUSER") {
			return nil
		}
		user := arg.Text()
		mu.Lock()
		seq++
		n := seq
		mu.Unlock()
		c.enter(user, n)
		defer c.leave(user)
		time.Sleep(20 * time.Millisecond)
		if fail != nil {
			return fail(verb, key, user)
		}
		return nil
	}
}

// checkGetUserOnce checks that each user named in -u got one GET USER per
// time it is named.
func checkGetUserOnce(t *testing.T, cmds, users []string) {
	t.Helper()
	for _, u := range users {
		if want, n := count(users, u), count(cmds, "GET USER "+u); n != want {
			t.Errorf("GET USER %s sent %d times, want %d", u, n, want)
		}
	}
}

// TestUsersWorkers: -u with several users and --workers 3 syncs them on
// three connections at once, one user never on two, and -v -v prints
// whole lines (actions on stdout, the sessions' traces on stderr).
func TestUsersWorkers(t *testing.T) {
	rep := startRecReplica(t, "")
	c := newConcurrency()
	slowUsers(rep, c, nil)
	users := []string{"cb", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u1"}
	o := &Options{Mode: ModeUsers, Workers: 3, Verbose: 2, Timeout: 600, Objects: users}
	fx := newRollingFixture(t, rep.addr, o)
	var out bytes.Buffer
	fx.r.stdout = &out
	fx.r.s.stdout = &out
	if err := fx.r.connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := fx.r.users(context.Background()); err != nil {
		t.Fatal(err)
	}
	fx.r.disconnect()
	if fx.r.failed {
		t.Errorf("failed; syslog %q", fx.logs.lines)
	}
	if rep.sessionCount() != 3 {
		t.Errorf("%d sessions, want 3", rep.sessionCount())
	}
	if c.maxKey != 1 || c.maxAll < 2 {
		t.Errorf("per user at most %d at once (%q), overall %d", c.maxKey, c.overlap, c.maxAll)
	}
	checkGetUserOnce(t, rep.commands(), users)
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if !strings.HasPrefix(l, "USER ") && !strings.HasPrefix(l, "Does not exist locally ") && !strings.HasPrefix(l, "MAILBOX") &&
			!strings.HasPrefix(l, "SEEN ") && !strings.HasPrefix(l, "SUB ") && !strings.HasPrefix(l, "QUOTA ") &&
			!strings.HasPrefix(l, "CREATE ") && !strings.HasPrefix(l, "ENABLE") {
			t.Errorf("-v line %q", l)
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(fx.stderr.String(), "\n"), "\n") {
		if !strings.HasPrefix(l, "C ") && !strings.HasPrefix(l, "S ") {
			t.Errorf("trace line %q", l)
		}
	}
}

// workersDaemon is a rolling loop with --workers n on channel "chan",
// recording its state; the back-off starts at first.
func workersDaemon(t *testing.T, rep *recReplica, n int, first time.Duration) (*rollingFixture, *daemon, string) {
	t.Helper()
	o := rollingOptions("chan")
	o.Workers = n
	o.ShutdownFile = filepath.Join(t.TempDir(), "stop")
	fx := newRollingFixture(t, rep.addr, o)
	t.Cleanup(fx.r.holdChannel())
	d := fx.r.newDaemon()
	d.retryFirst, d.retryMax = first, 4*first
	if d.waker != nil {
		t.Cleanup(func() { d.waker.Close() })
	}
	return fx, d, o.ShutdownFile
}

func runDaemon(ctx context.Context, d *daemon) (wait func(t *testing.T) error) {
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	return func(t *testing.T) error {
		t.Helper()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("the rolling loop did not stop")
			return nil
		}
	}
}

// TestRollingWorkers: a file's users are processed on several
// connections at once, never one user on two.
func TestRollingWorkers(t *testing.T) {
	rep := startRecReplica(t, "")
	c := newConcurrency()
	slowUsers(rep, c, nil)
	fx, d, stop := workersDaemon(t, rep, 4, time.Second)
	var log strings.Builder
	for i := range 12 {
		fmt.Fprintf(&log, "UNUSER u%d\nSUB u%d user.u%d.x\n", i%6, i%6, i%6)
	}
	fx.writeLog(t, "log", log.String())
	wait := runDaemon(context.Background(), d)
	eventually(t, "the log processed", func() bool { return !fx.exists("log") && !fx.exists("log-run") })
	os.WriteFile(stop, nil, 0o644)
	if err := wait(t); err != nil {
		t.Fatal(err)
	}
	cmds := rep.commands()
	for i := range 6 {
		if n := count(cmds, fmt.Sprintf("APPLY UNUSER u%d", i)); n != 1 {
			t.Errorf("UNUSER u%d sent %d times", i, n)
		}
	}
	if c.maxKey != 1 || c.maxAll < 2 || rep.sessionCount() < 2 {
		t.Errorf("per user at most %d at once (%q), overall %d, %d sessions", c.maxKey, c.overlap, c.maxAll, rep.sessionCount())
	}
}

// TestRollingUserRetry: a user whose items fail (the replica still
// answering) is re-queued and retried on its own back-off while the
// others, and later items, go on; the state file shows it waiting; its
// items are never lost; once it succeeds it waits no more.
func TestRollingUserRetry(t *testing.T) {
	rep := startRecReplica(t, "")
	c := newConcurrency()
	var mu sync.Mutex
	fails := 2
	var tries []time.Time
	slowUsers(rep, c, func(verb, key, user string) error {
		if user != "bad" {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		tries = append(tries, time.Now())
		if fails > 0 {
			fails--
			return &protocol.RemoteError{Code: protocol.CodeRemoteDenied, Text: "Unknown error"}
		}
		return nil
	})
	fx, d, stop := workersDaemon(t, rep, 2, 600*time.Millisecond)
	fx.writeLog(t, "log", "UNUSER a\nUNUSER bad\nUNUSER c\n")
	wait := runDaemon(context.Background(), d)
	eventually(t, "the first failure", func() bool {
		return fx.logged("ERR Replicating bad failed (attempt 1): The remote Server(s) denied the operation; 1 items re-queued, retry in 600ms")
	})
	// Waiting: the item is back in the log, the state file says so, and a
	// new user goes on meanwhile.
	var st *synclog.ClientState
	eventually(t, "the state file", func() bool {
		st, _ = synclog.ReadClientState(fx.syncDir)
		return st != nil && !st.LastCycle.IsZero()
	})
	if len(st.Retrying) != 1 || st.Retrying[0].User != "bad" || st.Retrying[0].Attempts != 1 ||
		st.Retrying[0].Error != "The remote Server(s) denied the operation" || st.Retrying[0].Items != 1 {
		t.Errorf("state while waiting: %+v", st)
	}
	if b, _ := os.ReadFile(filepath.Join(fx.syncDir, "log")); !strings.Contains(string(b), "UNUSER bad") {
		t.Errorf("the failed item is not in the log: %q", b)
	}
	start := time.Now()
	appendLog(t, fx, "UNUSER d\n")
	eventually(t, "UNUSER d", func() bool { return count(rep.commandsSoFar(), "APPLY UNUSER d") == 1 })
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("a new user waited %v behind the failing one", took)
	}
	eventually(t, "the recovery", func() bool { return fx.logged("INFO Replicating bad succeeded after 2 failed attempts") })
	held := 0
	fx.logs.mu.Lock()
	for _, l := range fx.logs.lines {
		if strings.HasPrefix(l, "INFO   Held for retry: 1 items of bad, retry due ") {
			held++
		}
	}
	fx.logs.mu.Unlock()
	if held < 1 || held > 2 {
		t.Errorf("%d lines for held items: want one per failure (held while others went on)", held)
	}
	eventually(t, "the log processed", func() bool { return !fx.exists("log") && !fx.exists("log-run") })
	os.WriteFile(stop, nil, 0o644)
	if err := wait(t); err != nil {
		t.Fatal(err)
	}
	cmds := rep.commands()
	for _, u := range []string{"a", "c", "d"} {
		if n := count(cmds, "APPLY UNUSER "+u); n != 1 {
			t.Errorf("UNUSER %s sent %d times", u, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tries) != 3 {
		t.Fatalf("bad tried %d times, want 3", len(tries))
	}
	// Doubling: 600 ms, then 1.2 s (less the slowness of one command).
	if g1, g2 := tries[1].Sub(tries[0]), tries[2].Sub(tries[1]); g1 < 550*time.Millisecond || g2 < 1100*time.Millisecond || g1 > 2*time.Second || g2 > 3*time.Second {
		t.Errorf("retries after %v and %v, want about 600ms and 1.2s", g1, g2)
	}
	if st, err := synclog.ReadClientState(fx.syncDir); err != nil || st == nil || len(st.Retrying) != 0 {
		t.Errorf("state after the recovery: %+v %v", st, err)
	}
}

// TestRollingWorkersReplicaGone: with workers, a replica that goes away
// still stops the client with the file kept, as Cyrus's does.
func TestRollingWorkersReplicaGone(t *testing.T) {
	rep := startRecReplica(t, "")
	rep.fail = func(verb, key string, arg dlist.Value) error {
		if verb == "APPLY" && key == "UNUSER" && arg.Text() == "b" {
			rep.drop()
			return errors.New("gone")
		}
		return nil
	}
	fx, d, _ := workersDaemon(t, rep, 3, time.Second)
	fx.writeLog(t, "log", "UNUSER a\nUNUSER b\nUNUSER c\n")
	if err := runDaemon(context.Background(), d)(t); err != nil {
		t.Fatalf("rolling: %v, want a clean stop", err)
	}
	if !fx.exists("log-run") {
		t.Fatal("log-run was not kept")
	}
	if b, _ := os.ReadFile(filepath.Join(fx.syncDir, "log-run")); string(b) != "UNUSER a\nUNUSER b\nUNUSER c\n" {
		t.Errorf("log-run holds %q", b)
	}
}

// appendLog appends to the channel's log as Cyrus's writers do.
func appendLog(t *testing.T, fx *rollingFixture, text string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		f := strings.Fields(l)
		if err := fx.r.s.synclog.LogChannel(context.Background(), "chan", synclog.Item{Type: f[0], Args: f[1:]}); err != nil {
			t.Fatal(err)
		}
	}
}

// commandsSoFar returns the commands seen so far, keeping them.
func (f *recReplica) commandsSoFar() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

// TestRollingWorkersDeferral: with workers, an item deferred to our own
// log (its user locked on the replica) does not wake the loop at once
// (no busy loop), and is looked at again a little later.
func TestRollingWorkersDeferral(t *testing.T) {
	rep := startRecReplica(t, "")
	rep.fail = func(verb, key string, arg dlist.Value) error {
		if verb == "GET" && key == "USER" {
			return lockedNo
		}
		return nil
	}
	fx, d, stop := workersDaemon(t, rep, 2, time.Second)
	fx.writeLog(t, "log", "USER cb\nUNUSER other\n")
	wait := runDaemon(context.Background(), d)
	eventually(t, "the deferral", func() bool { return fx.logged("INFO   Deferred: USER cb") })
	time.Sleep(700 * time.Millisecond)
	if n := count(rep.commandsSoFar(), "GET USER cb"); n != 1 {
		t.Errorf("GET USER sent %d times in 0.7 s", n)
	}
	eventually(t, "another look", func() bool { return count(rep.commandsSoFar(), "GET USER cb") >= 2 })
	os.WriteFile(stop, nil, 0o644)
	if err := wait(t); err != nil {
		t.Fatal(err)
	}
	if n := count(rep.commands(), "APPLY UNUSER other"); n != 1 {
		t.Errorf("UNUSER other sent %d times", n)
	}
	if !fx.exists("log") {
		t.Error("the deferred item is not in the log")
	}
}

// TestWorkersRefused: a replica that takes only one session (as Cyrus's
// master with maxchild=1 for its sync service would, after a wait): the
// other workers are left out, logged, and the work is done on the first,
// in rolling mode as in -u.
func TestWorkersRefused(t *testing.T) {
	rep := startRecReplica(t, "")
	rep.mu.Lock()
	rep.refuse = func(n int) bool { return n > 1 }
	rep.mu.Unlock()
	fx, d, stop := workersDaemon(t, rep, 3, time.Second)
	fx.writeLog(t, "log", "UNUSER a\nUNUSER b\nUNUSER c\n")
	wait := runDaemon(context.Background(), d)
	eventually(t, "the log processed", func() bool { return !fx.exists("log") && !fx.exists("log-run") })
	os.WriteFile(stop, nil, 0o644)
	if err := wait(t); err != nil {
		t.Fatal(err)
	}
	cmds := rep.commands()
	for _, u := range []string{"a", "b", "c"} {
		if n := count(cmds, "APPLY UNUSER "+u); n != 1 {
			t.Errorf("UNUSER %s sent %d times", u, n)
		}
	}
	for _, w := range []string{"2", "3"} {
		found := false
		fx.logs.mu.Lock()
		for _, l := range fx.logs.lines {
			found = found || strings.HasPrefix(l, "WARNING worker "+w+" of 3 not connected (")
		}
		fx.logs.mu.Unlock()
		if !found {
			t.Errorf("worker %s: no warning in %q", w, fx.logs.lines)
		}
	}

	rep2 := startRecReplica(t, "")
	rep2.mu.Lock()
	rep2.refuse = func(n int) bool { return n > 1 }
	rep2.mu.Unlock()
	o := &Options{Mode: ModeUsers, Workers: 3, Timeout: 600, Objects: []string{"u1", "u2", "u3"}}
	fx2 := newRollingFixture(t, rep2.addr, o)
	if err := fx2.r.connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := fx2.r.users(context.Background()); err != nil || fx2.r.failed {
		t.Fatalf("-u: %v, failed %v", err, fx2.r.failed)
	}
	fx2.r.disconnect()
	if cmds := rep2.commands(); count(cmds, "GET USER u1")+count(cmds, "GET USER u2")+count(cmds, "GET USER u3") != 3 {
		t.Errorf("-u: %q", cmds)
	}
}

// TestUsersAhead: with pipelining, on one worker and on several, each
// user's GET USER is sent once (u1, named twice, twice), the next user's
// right behind the current one's, and no user is on two workers at once.
func TestUsersAhead(t *testing.T) {
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			rep := startRecReplica(t, "")
			c := newConcurrency()
			slowUsers(rep, c, nil)
			users := []string{"cb", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u1"}
			o := &Options{Mode: ModeUsers, Workers: workers, Pipeline: 32, Timeout: 600, Objects: users}
			fx := newRollingFixture(t, rep.addr, o)
			if err := fx.r.users(context.Background()); err != nil {
				t.Fatal(err)
			}
			fx.r.disconnect()
			if fx.r.failed {
				t.Errorf("failed; syslog %q", fx.logs.lines)
			}
			if rep.sessionCount() != workers {
				t.Errorf("%d sessions, want %d", rep.sessionCount(), workers)
			}
			if c.maxKey != 1 {
				t.Errorf("a user on two workers at once: %q", c.overlap)
			}
			cmds := rep.commands()
			checkGetUserOnce(t, cmds, users)
			if workers == 1 {
				var gets []string
				for _, cmd := range cmds {
					if strings.HasPrefix(cmd, "GET USER ") {
						gets = append(gets, cmd)
					}
				}
				if len(gets) < 2 || !strings.HasPrefix(gets[0], "GET USER cb") || !strings.HasPrefix(gets[1], "GET USER u1") {
					t.Errorf("GET USERs %q: want cb's then u1's", gets)
				}
				i := slices.IndexFunc(cmds, func(s string) bool { return strings.HasPrefix(s, "GET USER cb") })
				if i < 0 || i+1 >= len(cmds) || !strings.HasPrefix(cmds[i+1], "GET USER u1") {
					t.Errorf("u1's GET USER not right behind cb's: %q", cmds)
				}
			}
		})
	}
}
