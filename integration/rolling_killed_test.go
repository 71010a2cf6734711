package integration

import (
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRollingKilled: our rolling client is SIGKILLed at $ROLLING_KILLS
// (30) random moments while mail streams in over LMTP to three users, and
// restarted at once each time. Once it has caught up, every delivered
// message is on the replica exactly once (the Message-IDs of each INBOX,
// in UID order, as on the master and as delivered), the replica shows the
// users as the master does and Cyrus's check tools find it clean. The
// kill moments come from a logged seed: ROLLING_KILL_SEED=<seed> replays
// them (the deliveries' timing is the machine's).
func TestRollingKilled(t *testing.T) {
	RequireCyrus(t)
	seed := time.Now().UnixNano()
	if s, err := strconv.ParseInt(os.Getenv("ROLLING_KILL_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (ROLLING_KILL_SEED=%d replays the kill moments)", seed, seed)
	rnd := rand.New(rand.NewSource(seed))
	kills := benchScale("ROLLING_KILLS", 30)

	tr := newTrio(t, []string{"ours"})
	users := []string{"killu1", "killu2", "killu3"}
	for _, u := range users {
		tr.addUser(t, u)
	}
	c := tr.startRolling(t, tr.ours(t), "ours")
	stop := make(chan struct{})
	type result struct {
		got map[string]*streamResult
		err error
	}
	streamed := make(chan result, 1)
	go func() {
		got, err := deliverStream(tr.master, users, 20, 0, stop, "killed")
		streamed <- result{got, err}
	}()
	for i := 0; i < kills; i++ {
		time.Sleep(time.Duration(150+rnd.Intn(1200)) * time.Millisecond)
		if !c.running() {
			t.Fatalf("kill %d: the client had ended by itself: %s", i, c.stderr.String())
		}
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.wait(t, 10*time.Second)
		if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("kill %d: %v", i, c.cmd.ProcessState)
		}
		c = tr.startRolling(t, tr.ours(t), "ours")
	}
	close(stop)
	res := <-streamed
	if res.err != nil {
		t.Fatal(res.err)
	}
	total := 0
	for _, u := range users {
		total += len(res.got[u].ids)
	}
	t.Logf("%d kills during %d deliveries", kills, total)
	tr.waitIdle(t, "ours")
	if code := c.stop(t); code != 0 {
		t.Errorf("exit %d after the shutdown file\n%s", code, c.stderr.String())
	}

	for _, u := range users {
		want := res.got[u].ids
		m, r := messageIDs(t, tr.master, u), messageIDs(t, tr.replicas["ours"], u)
		if !slices.Equal(m, want) {
			t.Errorf("%s: master holds %d messages, %d delivered", u, len(m), len(want))
		}
		if !slices.Equal(r, m) {
			seen := map[string]int{}
			for _, id := range r {
				seen[id]++
			}
			var twice, missing []string
			for id, n := range seen {
				if n > 1 {
					twice = append(twice, id)
				}
			}
			for _, id := range m {
				if seen[id] == 0 {
					missing = append(missing, id)
				}
			}
			t.Errorf("%s: replica holds %d messages, master %d; twice: %s; missing: %s", u, len(r), len(m),
				strings.Join(twice, " "), strings.Join(missing, " "))
		}
	}
	tr.sameAcross(t, users...)
}
