package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// throughputConfig is one way to replicate the corpus: whose sync_client,
// which transport, whose sync_server.
type throughputConfig struct {
	label     string
	ours      bool // our sync_client (defaults: --workers 4, --pipeline 32)
	imap      bool // the IMAP transport (else csync)
	ourServer bool // our sync_server under the replica's Cyrus master
}

// throughputRun is what one sync_client run cost.
type throughputRun struct {
	wall                 time.Duration
	clientCPU, serverCPU time.Duration
	clientRSS, serverRSS int64 // KiB
	wire                 int64 // bytes both ways through the counting proxy
}

// BenchmarkThroughput is issue 13's comparison in one run: the corpus of
// BenchmarkInitialSyncAll (20 users x 5 folders x 400 messages, kept in
// /tmp) replicated with `sync_client -A` by Cyrus's sync_client over csync
// and over IMAP, by ours over each into Cyrus's sync_server, and by ours
// into our own sync_server (LZ4 between our peers; Cyrus negotiates
// DEFLATE), each into a fresh replica of its own, every connection through
// a proxy that counts the bytes. Per configuration: the initial -A, then
// (after 1 % of the master's messages are flagged, once for all) an -A
// that sends that change, then a no-op -A. Reported: wall time, client and
// server CPU, client and server peak RSS, wire bytes, and the ratios of
// ours to Cyrus's faster transport; `cp -a` of the master's directory in
// the same run is the floor for the initial copy. BENCH_ROUNDS rounds
// (default 1), medians; configurations rotate their order each round.
//
//	go test -run '^$' -bench '^BenchmarkThroughput$' -benchtime 1x -v -timeout 60m ./integration/
func BenchmarkThroughput(b *testing.B) {
	RequireCyrus(b)
	users, folders, messages := benchScale("BENCH_USERS", 20), benchScale("BENCH_FOLDERS", 5), benchScale("BENCH_MESSAGES", 400)
	rounds := benchScale("BENCH_ROUNDS", 1)
	base := filepath.Join(os.TempDir(), fmt.Sprintf("cyrepl-bench-%d-%d-%d", users, folders, messages))
	os.MkdirAll(base, 0o755)
	os.Chmod(base, 0o755)
	marker := filepath.Join(base, "corpus-complete")
	master := NewInstance(b, base, "master")
	master.Start(b)
	total := users * folders * messages
	if _, err := os.Stat(marker); err != nil {
		populateCorpus(b, &Pair{Master: master}, users, folders, messages)
		os.WriteFile(marker, nil, 0o644)
	}
	link := filepath.Join(base, "bin", "sync_client")
	os.MkdirAll(filepath.Dir(link), 0o755)
	os.Remove(link) // a link left by an earlier run names its binary, gone since
	os.Symlink(Ours(b), link)
	ourServer := OursApplet(b, "sync_server")
	configs := []throughputConfig{
		{label: "cyrus-csync"},
		{label: "cyrus-imap", imap: true},
		{label: "ours-csync", ours: true},
		{label: "ours-imap", ours: true, imap: true},
		{label: "ours-ours", ours: true, ourServer: true},
	}
	phases := []string{"initial", "1%-changed", "no-op"}
	// compared over IMAP after each round
	sample := []string{"bench00", fmt.Sprintf("bench%02d", users-1)}
	runs := map[string][]throughputRun{} // key: phase + " " + label
	var copies []time.Duration

	b.ResetTimer()
	b.StopTimer()
	for round := 0; round < b.N*rounds; round++ {
		type target struct {
			replica *Instance
			proxy   *LatencyProxy
			conf    string
		}
		targets := map[string]target{}
		for _, c := range configs {
			replica := NewInstance(b, base, fmt.Sprintf("tp%d-%s", round, c.label))
			if c.ourServer {
				replica.SyncServer = ourServer
				replica.WriteConfigs(b)
			}
			replica.Start(b)
			for _, user := range sample {
				replica.AddSASLUser(b, user, UserPassword)
			}
			port, tryIMAP := replica.CSyncPort, 0
			if c.imap {
				port, tryIMAP = replica.IMAPPort, 1
			}
			proxy := NewLatencyProxy(b, "127.0.0.1:"+strconv.Itoa(port), 0)
			conf := filepath.Join(base, fmt.Sprintf("master-tp%d-%s.conf", round, c.label))
			text, _ := os.ReadFile(master.Conf())
			text = append(text, fmt.Sprintf("sync_host: 127.0.0.1\nsync_port: %d\nsync_try_imap: %d\nsync_authname: %s\nsync_password: %s\n",
				proxy.Port, tryIMAP, SyncUser, SyncPassword)...)
			os.WriteFile(conf, text, 0o644)
			targets[c.label] = target{replica, proxy, conf}
			// removed only at the end (see BenchmarkServerInitialSyncAll)
			b.Cleanup(func() { replica.Stop(); os.RemoveAll(replica.Dir) })
		}
		for _, phase := range phases {
			if phase == "1%-changed" {
				flagPercent(b, master, users, folders, messages, round)
			}
			for j := range configs {
				c := configs[(round+j)%len(configs)]
				t := targets[c.label]
				prog := filepath.Join(CyrusBin, "sync_client")
				if c.ours {
					prog = link
				}
				exec.Command("sync").Run()
				serverBefore := treeTicks(t.replica.Dir)
				up, down := t.proxy.Bytes()
				b.StartTimer()
				start := time.Now()
				res, ru, peak := runUsage(b, prog, "-C", t.conf, "-A")
				wall := time.Since(start)
				b.StopTimer()
				if res.Code != 0 {
					b.Fatalf("%s sync_client -A (%s): exit %d\n%s%s", c.label, phase, res.Code, res.Stdout, res.Stderr)
				}
				up2, down2 := t.proxy.Bytes()
				runs[phase+" "+c.label] = append(runs[phase+" "+c.label], throughputRun{
					wall:      wall,
					clientCPU: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
					serverCPU: time.Duration(treeTicks(t.replica.Dir)-serverBefore) * time.Second / 100,
					clientRSS: peak,
					serverRSS: treePeakRSS(t.replica.Dir),
					wire:      up2 - up + down2 - down,
				})
			}
			if phase == "initial" {
				exec.Command("sync").Run()
				dst := filepath.Join(base, fmt.Sprintf("cp%d", round))
				b.StartTimer()
				start := time.Now()
				if out, err := exec.Command("cp", "-a", master.Dir, dst).CombinedOutput(); err != nil {
					b.Fatalf("cp -a: %v\n%s", err, out)
				}
				copies = append(copies, time.Since(start))
				b.StopTimer()
				b.Cleanup(func() { os.RemoveAll(dst) })
			}
		}
		// Correctness is not traded: a sample of users on every replica.
		// (One master dump per user: each holds an imapd until the end.)
		for _, user := range sample {
			m := master.DumpUser(b, user)
			for _, c := range configs {
				if r := targets[c.label].replica.DumpUser(b, user); r != m {
					b.Errorf("%s: master and replica differ for %s:\n--- master\n%s--- replica\n%s", c.label, user, m, r)
				}
			}
		}
	}
	reportThroughput(b, total, configs, phases, runs, copies)
}

// flagPercent flags (or, on odd rounds, unflags) one message in a hundred
// of every folder of the corpus on the master.
func flagPercent(b *testing.B, master *Instance, users, folders, messages, round int) {
	b.Helper()
	op := imap.StoreFlagsAdd
	if round%2 == 1 {
		op = imap.StoreFlagsDel
	}
	var set imap.UIDSet
	for uid := 1; uid <= messages; uid += 100 {
		set.AddNum(imap.UID(uid))
	}
	for u := 0; u < users; u++ {
		flagCorpusFolders(b, master, fmt.Sprintf("bench%02d", u), folders, set, op)
	}
}

// flagCorpusFolders adds or removes \Flagged on the messages of set in
// each of a corpus user's folders (INBOX, Folder1, …), over one IMAP
// connection closed before it returns.
func flagCorpusFolders(b *testing.B, master *Instance, user string, folders int, set imap.NumSet, op imap.StoreFlagsOp) {
	b.Helper()
	c, err := master.DialIMAP(user, UserPassword)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { c.Logout().Wait(); c.Close() }()
	for f := 0; f < folders; f++ {
		box := "INBOX"
		if f > 0 {
			box = fmt.Sprintf("Folder%d", f)
		}
		if _, err := c.Select(box, nil).Wait(); err != nil {
			b.Fatalf("select %s of %s: %v", box, user, err)
		}
		if err := c.Store(set, &imap.StoreFlags{Op: op, Flags: Flags(`\Flagged`), Silent: true}, nil).Close(); err != nil {
			b.Fatalf("store in %s of %s: %v", box, user, err)
		}
	}
}

// treePeakRSS is the largest peak RSS (KiB) among the live processes whose
// command line names dir: a replica's master and its services.
func treePeakRSS(dir string) int64 {
	ents, _ := os.ReadDir("/proc")
	var peak int64
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.Contains(string(cmd), dir) {
			peak = max(peak, procPeakRSS(pid))
		}
	}
	return peak
}

// reportThroughput prints the table and reports each figure, with ours
// against the faster of Cyrus's two transports in each phase.
func reportThroughput(b *testing.B, total int, configs []throughputConfig, phases []string, runs map[string][]throughputRun, copies []time.Duration) {
	median := func(rs []throughputRun) throughputRun {
		sort.Slice(rs, func(i, j int) bool { return rs[i].wall < rs[j].wall })
		m := rs[len(rs)/2]
		for _, r := range rs {
			m.clientRSS, m.serverRSS = max(m.clientRSS, r.clientRSS), max(m.serverRSS, r.serverRSS)
		}
		return m
	}
	sort.Slice(copies, func(i, j int) bool { return copies[i] < copies[j] })
	cp := copies[len(copies)/2]
	var out strings.Builder
	fmt.Fprintf(&out, "%d messages; cp -a of the master: %.2f s\n", total, cp.Seconds())
	for _, phase := range phases {
		best := ""
		for _, l := range []string{"cyrus-csync", "cyrus-imap"} {
			if best == "" || median(runs[phase+" "+l]).wall < median(runs[phase+" "+best]).wall {
				best = l
			}
		}
		cb := median(runs[phase+" "+best])
		fmt.Fprintf(&out, "%s (ratios against %s, Cyrus's faster here):\n", phase, best)
		for _, c := range configs {
			m := median(runs[phase+" "+c.label])
			cpu := m.clientCPU + m.serverCPU
			fmt.Fprintf(&out, "  %-12s %7.2f s (%.2fx)  CPU client %6.2f + server %6.2f s (%.2fx)  RSS client %5.1f server %5.1f MiB  wire %7.1f MiB",
				c.label, m.wall.Seconds(), m.wall.Seconds()/cb.wall.Seconds(), m.clientCPU.Seconds(), m.serverCPU.Seconds(),
				cpu.Seconds()/(cb.clientCPU+cb.serverCPU).Seconds(), float64(m.clientRSS)/1024, float64(m.serverRSS)/1024, float64(m.wire)/(1<<20))
			if phase == "initial" {
				fmt.Fprintf(&out, "  %.2fx cp -a", m.wall.Seconds()/cp.Seconds())
			}
			out.WriteString("\n")
			key := strings.ReplaceAll(phase, "%", "pct") + "-" + c.label
			b.ReportMetric(m.wall.Seconds(), key+"-s")
			b.ReportMetric(cpu.Seconds(), key+"-cpu-s")
			b.ReportMetric(float64(m.wire)/(1<<20), key+"-wire-MiB")
			if c.ours {
				b.ReportMetric(m.wall.Seconds()/cb.wall.Seconds(), key+"/cyrus-best-time")
				b.ReportMetric(cpu.Seconds()/(cb.clientCPU+cb.serverCPU).Seconds(), key+"/cyrus-best-cpu")
			}
		}
	}
	b.Log("\n" + out.String())
}
