package integration

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The rolling benchmark's sizes: $BENCH_ROLL_USERS users (4),
// $BENCH_ROLL_SECONDS seconds of deliveries at each rate (10),
// $BENCH_ROLL_CATCHUP queued APPEND items (10000), $BENCH_ROLL_IDLE
// seconds idle (10); $BENCH_ROLL_IMAP=0 leaves out the IMAP transport.

// rollClient is one rolling client of the benchmark, on its own channel
// (and so its own replica).
type rollClient struct {
	who, transport, channel, prog string
	c                             *rollingClient
}

func (rc *rollClient) label() string { return rc.who + "-" + rc.transport }

// procTicks is a process's user+system CPU time (in clock ticks of
// 1/100 s, Linux's USER_HZ on every architecture Go supports).
func procTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

// procPeakRSS is a process's peak resident set (VmHWM) in KiB; resetPeak
// starts it again from the current RSS (clear_refs 5).
func procPeakRSS(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func resetPeak(pid int) { os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) }

// replicaWatch polls every replica's INBOX indexes and remembers when
// each UID first showed (LAST_UID reached it).
type replicaWatch struct {
	mu   sync.Mutex
	seen map[string]map[string]map[uint32]time.Time // channel, user, uid
	last map[string]map[string]uint32
	stop chan struct{}
	done chan struct{}
}

func watchReplicas(paths map[string]map[string]string, every time.Duration) *replicaWatch {
	w := &replicaWatch{seen: map[string]map[string]map[uint32]time.Time{}, last: map[string]map[string]uint32{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for ch, us := range paths {
		w.seen[ch], w.last[ch] = map[string]map[uint32]time.Time{}, map[string]uint32{}
		for u := range us {
			w.seen[ch][u] = map[uint32]time.Time{}
		}
	}
	go func() {
		defer close(w.done)
		for {
			for ch, us := range paths {
				for u, p := range us {
					n := indexLastUID(p)
					now := time.Now()
					w.mu.Lock()
					for uid := w.last[ch][u] + 1; uid <= n; uid++ {
						w.seen[ch][u][uid] = now
					}
					w.last[ch][u] = max(w.last[ch][u], n)
					w.mu.Unlock()
				}
			}
			select {
			case <-w.stop:
				return
			case <-time.After(every):
			}
		}
	}()
	return w
}

func (w *replicaWatch) close() { close(w.stop); <-w.done }

// caughtUp tells whether every replica shows each user's UIDs up to want.
func (w *replicaWatch) caughtUp(want map[string]uint32) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, us := range w.last {
		for u, n := range want {
			if us[u] < n {
				return false
			}
		}
	}
	return true
}

// lagStats are a client's lags at one rate.
type lagStats struct{ p50, p99, max time.Duration }

func percentiles(lags []time.Duration) lagStats {
	slices.Sort(lags)
	at := func(p float64) time.Duration {
		return lags[max(0, int(math.Ceil(p*float64(len(lags))))-1)]
	}
	return lagStats{at(0.50), at(0.99), lags[len(lags)-1]}
}

// BenchmarkRolling is `make bench`'s rolling figure: Cyrus's rolling
// sync_client and ours, over csync and over IMAP, each following its own
// channel of one real Cyrus master into its own real replica, on the same
// deliveries. Reported, for each client:
//   - idle: CPU seconds over $BENCH_ROLL_IDLE s with nothing to do;
//   - at 5/s and 50/s over LMTP into the users: the lag from lmtpd's 250 to
//     the message visible on the replica (its INBOX's cyrus.index
//     LAST_UID reaching the message's UID, polled every 5 ms), p50, p99
//     and max; CPU seconds and peak RSS during the deliveries;
//   - catch-up: with no client running, $BENCH_ROLL_CATCHUP APPEND items
//     are queued (deliveries to every user at once); then each client in
//     turn, alone, is started and timed until its replica has everything
//     and its channel's log is consumed; its CPU seconds for that.
//
// Ratios ours/Cyrus are per transport (below 1: ours is faster or
// cheaper). The whole benchmark runs once whatever b.N (run it with
// -benchtime 1x).
func BenchmarkRolling(b *testing.B) {
	RequireCyrus(b)
	nusers, seconds := benchScale("BENCH_ROLL_USERS", 4), benchScale("BENCH_ROLL_SECONDS", 10)
	queued, idle := benchScale("BENCH_ROLL_CATCHUP", 10000), benchScale("BENCH_ROLL_IDLE", 10)
	withIMAP := os.Getenv("BENCH_ROLL_IMAP") != "0"

	var clients []*rollClient
	transports := []string{"csync"}
	if withIMAP {
		transports = append(transports, "imap")
	}
	for _, tp := range transports {
		for _, who := range []string{"cyrus", "ours"} {
			clients = append(clients, &rollClient{who: who, transport: tp, channel: who + tp})
		}
	}
	var channels []string
	for _, rc := range clients {
		channels = append(channels, rc.channel)
	}
	tr := newTrioHook(b, channels, func(tr *trio) {
		// The IMAP channels go to their replica's imapd (X-REPLICATION).
		for i, l := range tr.master.Extra {
			for _, rc := range clients {
				r := tr.replicas[rc.channel]
				switch {
				case rc.transport != "imap":
				case l == rc.channel+"_sync_port: "+itoa(r.CSyncPort):
					tr.master.Extra[i] = rc.channel + "_sync_port: " + itoa(r.IMAPPort)
				case l == rc.channel+"_sync_try_imap: 0":
					tr.master.Extra[i] = rc.channel + "_sync_try_imap: 1"
				}
			}
		}
		tr.master.WriteConfigs(b)
	})
	var users []string
	for i := 0; i < nusers; i++ {
		users = append(users, fmt.Sprintf("rollu%d", i))
		tr.addUser(b, users[i])
	}
	for _, rc := range clients {
		rc.prog = cyrusClient(tr.master)
		if rc.who == "ours" {
			rc.prog = tr.ours(b)
		}
	}
	startAll := func() {
		for _, rc := range clients {
			rc.c = tr.startRolling(b, rc.prog, rc.channel)
		}
	}
	stopAll := func() {
		for _, rc := range clients {
			if code := rc.c.stop(b); code != 0 {
				b.Fatalf("%s: exit %d\n%s", rc.label(), code, rc.c.stderr.String())
			}
		}
	}
	masterIdx, replicaIdx := tr.inboxIndexes(b, users)
	masterLast := func() map[string]uint32 {
		m := map[string]uint32{}
		for _, u := range users {
			m[u] = indexLastUID(masterIdx[u])
		}
		return m
	}
	metric := func(v float64, rc *rollClient, what string) {
		b.ReportMetric(v, rc.label()+"-"+what)
	}
	ratio := func(v map[string]float64, what string) {
		for _, tp := range transports {
			if c := v["cyrus-"+tp]; c > 0 {
				b.ReportMetric(v["ours-"+tp]/c, "ours/cyrus-"+tp+"-"+what)
			}
		}
	}

	b.ResetTimer()
	startAll()
	tr.waitIdle(b, channels...)

	// Idle.
	time.Sleep(2 * time.Second)
	idleCPU := map[string]float64{}
	before := map[string]int64{}
	for _, rc := range clients {
		before[rc.label()] = procTicks(rc.c.cmd.Process.Pid)
	}
	time.Sleep(time.Duration(idle) * time.Second)
	for _, rc := range clients {
		idleCPU[rc.label()] = float64(procTicks(rc.c.cmd.Process.Pid)-before[rc.label()]) / 100
		metric(idleCPU[rc.label()], rc, fmt.Sprintf("idle%ds-cpu-s", idle))
	}
	ratio(idleCPU, "idle-cpu")
	var table strings.Builder
	fmt.Fprintf(&table, "%d users; idle %d s: CPU", nusers, idle)
	for _, rc := range clients {
		fmt.Fprintf(&table, " %s %.2fs", rc.label(), idleCPU[rc.label()])
	}
	table.WriteString("\n")

	// Deliveries at each rate.
	w := watchReplicas(replicaIdx, 5*time.Millisecond)
	defer w.close()
	for _, rate := range []int{5, 50} {
		base := masterLast()
		for _, rc := range clients {
			pid := rc.c.cmd.Process.Pid
			before[rc.label()] = procTicks(pid)
			resetPeak(pid)
		}
		n := rate * seconds
		start := time.Now()
		got, err := deliverStream(tr.master, users, float64(rate), n, nil, fmt.Sprintf("rate%d", rate))
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		want := masterLast()
		for _, u := range users {
			if want[u] != base[u]+uint32(len(got[u].done)) {
				b.Fatalf("%s: master LAST_UID %d after %d deliveries from %d", u, want[u], len(got[u].done), base[u])
			}
		}
		for deadline := time.Now().Add(120 * time.Second); !w.caughtUp(want); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				w.mu.Lock()
				last := fmt.Sprint(w.last)
				w.mu.Unlock()
				b.Fatalf("rate %d/s: the replicas did not catch up: %s, master %v", rate, last, want)
			}
		}
		fmt.Fprintf(&table, "%d/s: %d messages delivered in %v (%.1f/s)\n", rate, n, took.Round(time.Millisecond),
			float64(n)/took.Seconds())
		p99s, cpus := map[string]float64{}, map[string]float64{}
		for _, rc := range clients {
			pid := rc.c.cmd.Process.Pid
			cpus[rc.label()] = float64(procTicks(pid)-before[rc.label()]) / 100
			rss := procPeakRSS(pid)
			var lags []time.Duration
			w.mu.Lock()
			for _, u := range users {
				for k, done := range got[u].done {
					// Clamped at 0: the APPEND item is in the log before
					// lmtpd answers, so a fast client may show the message
					// first. cyrus: imap/append.c append_commit (3.6.1)
					lags = append(lags, max(0, w.seen[rc.channel][u][base[u]+uint32(k)+1].Sub(done)))
				}
			}
			w.mu.Unlock()
			st := percentiles(lags)
			p99s[rc.label()] = st.p99.Seconds()
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			metric(ms(st.p50), rc, fmt.Sprintf("%dps-p50-ms", rate))
			metric(ms(st.p99), rc, fmt.Sprintf("%dps-p99-ms", rate))
			metric(ms(st.max), rc, fmt.Sprintf("%dps-max-ms", rate))
			metric(cpus[rc.label()], rc, fmt.Sprintf("%dps-cpu-s", rate))
			metric(float64(rss)/1024, rc, fmt.Sprintf("%dps-peak-RSS-MiB", rate))
			fmt.Fprintf(&table, "  %-12s lag p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  CPU %5.2f s  peak RSS %5.1f MiB\n",
				rc.label(), ms(st.p50), ms(st.p99), ms(st.max), cpus[rc.label()], float64(rss)/1024)
		}
		ratio(p99s, fmt.Sprintf("%dps-p99", rate))
		ratio(cpus, fmt.Sprintf("%dps-cpu", rate))
	}
	tr.waitIdle(b, channels...)
	stopAll()

	// Catch-up: queue the items with no client running (every delivery
	// goes to all users: one APPEND item per user), then each client alone.
	start := time.Now()
	if err := queueDeliveries(tr.master, users, (queued+nusers-1)/nusers); err != nil {
		b.Fatal(err)
	}
	items := countItems(b, tr, clients[0].channel, "APPEND ")
	b.ReportMetric(float64(items), "catchup-items")
	fmt.Fprintf(&table, "catch-up: %d APPEND items queued in %v\n", items, time.Since(start).Round(time.Millisecond))
	want := masterLast()
	times, cpus := map[string]float64{}, map[string]float64{}
	for _, rc := range clients {
		paths := replicaIdx[rc.channel]
		start := time.Now()
		c := tr.startRolling(b, rc.prog, rc.channel)
		for deadline := start.Add(10 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
			done := len(tr.pending(rc.channel)) == 0
			for _, u := range users {
				done = done && indexLastUID(paths[u]) >= want[u]
			}
			if done {
				break
			}
			if time.Now().After(deadline) || !c.running() {
				b.Fatalf("%s did not catch up: pending %q\n%s", rc.label(), tr.pending(rc.channel), c.stderr.String())
			}
		}
		times[rc.label()] = time.Since(start).Seconds()
		// VmHWM, not the rusage's ru_maxrss: Linux carries the latter
		// over execve from the forking process (here the test binary).
		rss := procPeakRSS(c.cmd.Process.Pid)
		if code := c.stop(b); code != 0 {
			b.Fatalf("%s: exit %d\n%s", rc.label(), code, c.stderr.String())
		}
		ru := c.cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpus[rc.label()] = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		metric(times[rc.label()], rc, "catchup-s")
		metric(cpus[rc.label()], rc, "catchup-cpu-s")
		metric(float64(rss)/1024, rc, "catchup-peak-RSS-MiB")
		fmt.Fprintf(&table, "  %-12s %6.2f s  CPU %6.2f s  peak RSS %5.1f MiB\n", rc.label(), times[rc.label()],
			cpus[rc.label()], float64(rss)/1024)
	}
	ratio(times, "catchup-time")
	ratio(cpus, "catchup-cpu")
	b.StopTimer()
	b.Log("\n" + table.String())
	for _, u := range users {
		m := tr.master.DumpUser(b, u)
		for ch, r := range tr.replicas {
			if got := r.DumpUser(b, u); got != m {
				b.Errorf("replica %s differs for %s:\n--- master\n%s--- replica\n%s", ch, u, m, got)
			}
			r.Healthy(b, u)
		}
	}
}

// queueDeliveries delivers n messages, each to all users in one LMTP
// transaction, over a few connections at once.
func queueDeliveries(in *Instance, users []string, n int) error {
	const conns = 4
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := dialLMTP(in)
			if err != nil {
				errs <- err
				return
			}
			defer s.close()
			for i := c; i < n; i += conns {
				id := fmt.Sprintf("queued.%d@stream.cyrepl.test", i)
				if err := s.deliver(streamMessage(id, "all"), users...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// countItems counts the lines of a channel's pending log that start with
// prefix.
func countItems(t testing.TB, tr *trio, channel, prefix string) int {
	t.Helper()
	n := 0
	for _, f := range tr.pending(channel) {
		b, err := os.ReadFile(tr.channelDir(channel) + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, prefix) {
				n++
			}
		}
	}
	return n
}
