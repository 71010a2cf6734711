package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// treeTicks sums the CPU ticks (own and reaped children's) of every
// process whose command line names dir: a Cyrus instance's master and
// its services.
func treeTicks(dir string) int64 {
	ents, _ := os.ReadDir("/proc")
	var sum int64
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if !strings.Contains(string(cmd), dir) {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		st := string(b)
		f := strings.Fields(st[strings.LastIndexByte(st, ')')+2:])
		for _, i := range []int{11, 12, 13, 14} {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			sum += n
		}
	}
	return sum
}

// BenchmarkRollingCatchup is BenchmarkRolling's catch-up alone, with
// ours at several --workers: the users' replicas are seeded, then
// BENCH_ROLL_CATCHUP items (10,000) are queued with no client running
// (each delivery goes to all BENCH_ROLL_USERS users, 4 by default), and
// each client alone follows its channel until its replica has them all:
// Cyrus's (csync, then its IMAP transport), then ours with each of BENCH_ROLL_WORKERS (1,2,4,8),
// all into Cyrus's sync_server; then ours (4 workers) into our own
// sync_server, the whole package replaced (BENCH_ROLL_OURSERVER=0 leaves
// it out).
// Run it alone, once: -run '^$' -bench BenchmarkRollingCatchup -benchtime 1x.
func BenchmarkRollingCatchup(b *testing.B) {
	RequireCyrus(b)
	nusers, queued := benchScale("BENCH_ROLL_USERS", 4), benchScale("BENCH_ROLL_CATCHUP", 10000)
	workers := []int{1, 2, 4, 8}
	if s := os.Getenv("BENCH_ROLL_WORKERS"); s != "" {
		workers = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatalf("BENCH_ROLL_WORKERS: %v", err)
			}
			workers = append(workers, n)
		}
	}
	type client struct {
		label, channel, prog string
		args                 []string
	}
	clients := []client{{label: "cyrus", channel: "cyrus"}, {label: "cyrus-imap", channel: "cyrusimap"}}
	for _, n := range workers {
		clients = append(clients, client{label: fmt.Sprintf("ours-w%d", n), channel: fmt.Sprintf("ours%d", n),
			args: []string{"--workers", strconv.Itoa(n)}})
	}
	ourServer := map[string]bool{}
	if os.Getenv("BENCH_ROLL_OURSERVER") != "0" {
		clients = append(clients, client{label: "ours-w4-srv", channel: "oursrv4", args: []string{"--workers", "4"}})
		ourServer["oursrv4"] = true
	}
	var channels []string
	for _, c := range clients {
		channels = append(channels, c.channel)
	}
	tr := newTrioServers(b, channels, ourServer, func(tr *trio) {
		// Cyrus's client over its IMAP transport: the replica's imapd.
		r := tr.replicas["cyrusimap"]
		for i, l := range tr.master.Extra {
			switch l {
			case "cyrusimap_sync_port: " + itoa(r.CSyncPort):
				tr.master.Extra[i] = "cyrusimap_sync_port: " + itoa(r.IMAPPort)
			case "cyrusimap_sync_try_imap: 0":
				tr.master.Extra[i] = "cyrusimap_sync_try_imap: 1"
			}
		}
		tr.master.WriteConfigs(b)
	})
	var users []string
	for i := range nusers {
		users = append(users, fmt.Sprintf("catchu%d", i))
		tr.addUser(b, users[i])
		tr.master.Deliver(b, users[i], 1)
	}
	for i := range clients {
		clients[i].prog = cyrusClient(tr.master)
		if !strings.HasPrefix(clients[i].label, "cyrus") {
			clients[i].prog = tr.ours(b)
		}
	}
	// Seed every replica, then stop: the outage.
	var running []*rollingClient
	for _, c := range clients {
		running = append(running, tr.startRolling(b, c.prog, c.channel, c.args...))
	}
	tr.waitIdle(b, channels...)
	for _, rc := range running {
		if code := rc.stop(b); code != 0 {
			b.Fatalf("%s: exit %d\n%s", rc.name, code, rc.stderr.String())
		}
	}
	masterIdx, replicaIdx := tr.inboxIndexes(b, users)
	b.ResetTimer()
	start := time.Now()
	if err := queueDeliveries(tr.master, users, (queued+nusers-1)/nusers); err != nil {
		b.Fatal(err)
	}
	items := countItems(b, tr, clients[0].channel, "APPEND ")
	b.ReportMetric(float64(items), "catchup-items")
	var table strings.Builder
	fmt.Fprintf(&table, "%d users; catch-up: %d APPEND items queued in %v\n", nusers, items, time.Since(start).Round(time.Millisecond))
	want := map[string]uint32{}
	for _, u := range users {
		want[u] = indexLastUID(masterIdx[u])
	}
	times := map[string]float64{}
	for _, cl := range clients {
		paths := replicaIdx[cl.channel]
		repDir := tr.replicas[cl.channel].Dir
		repBefore := treeTicks(repDir)
		start := time.Now()
		c := tr.startRolling(b, cl.prog, cl.channel, cl.args...)
		for deadline := start.Add(10 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
			done := len(tr.pending(cl.channel)) == 0
			for _, u := range users {
				done = done && indexLastUID(paths[u]) >= want[u]
			}
			if done {
				break
			}
			if time.Now().After(deadline) || !c.running() {
				b.Fatalf("%s did not catch up: pending %q\n%s", cl.label, tr.pending(cl.channel), c.stderr.String())
			}
		}
		times[cl.label] = time.Since(start).Seconds()
		repCPU := float64(treeTicks(repDir)-repBefore) / 100
		rss := procPeakRSS(c.cmd.Process.Pid)
		if code := c.stop(b); code != 0 {
			b.Fatalf("%s: exit %d\n%s", cl.label, code, c.stderr.String())
		}
		ru := c.cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		b.ReportMetric(times[cl.label], cl.label+"-catchup-s")
		b.ReportMetric(cpu, cl.label+"-catchup-cpu-s")
		b.ReportMetric(repCPU, cl.label+"-replica-cpu-s")
		fmt.Fprintf(&table, "  %-12s %6.2f s  CPU %6.2f s  replica CPU %6.2f s  peak RSS %5.1f MiB", cl.label, times[cl.label], cpu,
			repCPU, float64(rss)/1024)
		if !strings.HasPrefix(cl.label, "cyrus") {
			// against Cyrus's faster transport in this run
			best := min(times["cyrus"], times["cyrus-imap"])
			b.ReportMetric(best/times[cl.label], "cyrus-best/"+cl.label+"-speedup")
			fmt.Fprintf(&table, "  %.2fx Cyrus's best speed", best/times[cl.label])
		}
		table.WriteString("\n")
	}
	b.StopTimer()
	b.Log("\n" + table.String())
	for _, u := range users {
		m := tr.master.DumpUser(b, u)
		for ch, r := range tr.replicas {
			if got := r.DumpUser(b, u); got != m {
				b.Errorf("replica %s differs for %s:\n--- master\n%s--- replica\n%s", ch, u, m, got)
			}
		}
	}
}
