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
)

// BenchmarkServerInitialSyncAll is `make bench`'s sync_server figure:
// Cyrus's sync_client -A of the corpus into a fresh replica whose csync
// service is Cyrus's sync_server or ours, in alternating order. It reports
// the median wall time of each and their ratio (ours/Cyrus), the server's
// CPU seconds and peak RSS (read from /proc while the server process waits
// for its next connection), and how long a sync(1) right after takes: the
// data a server left unwritten at its last OK.
func BenchmarkServerInitialSyncAll(b *testing.B) {
	RequireCyrus(b)
	users, folders, messages := benchScale("BENCH_USERS", 20), benchScale("BENCH_FOLDERS", 5), benchScale("BENCH_MESSAGES", 400)
	base := filepath.Join(os.TempDir(), fmt.Sprintf("cyrepl-bench-%d-%d-%d", users, folders, messages))
	os.MkdirAll(base, 0o755)
	os.Chmod(base, 0o755)
	marker := filepath.Join(base, "corpus-complete")
	_, haveCorpus := os.Stat(marker)
	master := NewInstance(b, base, "master")
	master.Start(b)
	p := &Pair{Master: master}
	total := users * folders * messages
	if haveCorpus != nil {
		populateCorpus(b, p, users, folders, messages)
		os.WriteFile(marker, nil, 0o644)
	}
	ourServer := OursApplet(b, "sync_server")

	type run struct {
		wall, cpu, sys, flush time.Duration
		rss                   int64 // KiB
	}
	runs := map[string][]run{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		order := []string{"cyrus", "ours"}
		if i%2 == 1 {
			order = []string{"ours", "cyrus"}
		}
		for _, who := range order {
			b.StopTimer()
			replica := NewInstance(b, base, fmt.Sprintf("srv%d%s", i, who))
			if who == "ours" {
				replica.SyncServer = ourServer
				replica.WriteConfigs(b)
			}
			replica.Start(b)
			conf := filepath.Join(base, fmt.Sprintf("master-srv-%d-%s.conf", i, who))
			cfgText, _ := os.ReadFile(master.Conf())
			cfgText = append(cfgText, []byte(fmt.Sprintf("sync_host: 127.0.0.1\nsync_port: %d\nsync_try_imap: 0\n"+
				"sync_authname: %s\nsync_password: %s\n", replica.CSyncPort, SyncUser, SyncPassword))...)
			os.WriteFile(conf, cfgText, 0o644)
			exec.Command("sync").Run()
			b.StartTimer()
			start := time.Now()
			res := Run(b, nil, filepath.Join(CyrusBin, "sync_client"), "-C", conf, "-A")
			wall := time.Since(start)
			b.StopTimer()
			if res.Code != 0 {
				b.Fatalf("Cyrus's sync_client -A into %s: exit %d\n%s%s", who, res.Code, res.Stdout, res.Stderr)
			}
			flushStart := time.Now()
			exec.Command("sync").Run()
			flush := time.Since(flushStart)
			cpu, sys, rss := serverUsage(b, replica)
			runs[who] = append(runs[who], run{wall, cpu, sys, flush, rss})
			replica.Stop()
			// removed only at the end: ext4 skips inodes freed in the last
			// minutes when it allocates (recently_deleted), so a replica
			// removed here would slow the next run's file creation
			b.Cleanup(func() { os.RemoveAll(replica.Dir) })
			b.StartTimer()
		}
	}
	b.StopTimer()
	median := func(rs []run) run {
		pick := func(f func(run) time.Duration) time.Duration {
			v := make([]time.Duration, len(rs))
			for i, r := range rs {
				v[i] = f(r)
			}
			sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
			return v[len(v)/2]
		}
		m := run{wall: pick(func(r run) time.Duration { return r.wall }), cpu: pick(func(r run) time.Duration { return r.cpu }),
			sys: pick(func(r run) time.Duration { return r.sys }), flush: pick(func(r run) time.Duration { return r.flush })}
		for _, r := range rs {
			m.rss = max(m.rss, r.rss)
		}
		return m
	}
	c, o := median(runs["cyrus"]), median(runs["ours"])
	b.ReportMetric(o.wall.Seconds()/c.wall.Seconds(), "ours/cyrus-wall")
	b.ReportMetric(o.cpu.Seconds()/c.cpu.Seconds(), "ours/cyrus-server-cpu")
	b.ReportMetric(o.cpu.Seconds(), "ours-server-cpu-s")
	b.ReportMetric(c.cpu.Seconds(), "cyrus-server-cpu-s")
	// The kernel's share (system time: file creation, index and cache
	// writes, fsync) bounds what user-space work can save.
	b.ReportMetric(o.sys.Seconds(), "ours-server-sys-s")
	b.ReportMetric(c.sys.Seconds(), "cyrus-server-sys-s")
	b.ReportMetric(float64(o.rss)/1024, "ours-server-peak-RSS-MiB")
	b.ReportMetric(float64(c.rss)/1024, "cyrus-server-peak-RSS-MiB")
	b.ReportMetric(o.flush.Seconds(), "ours-sync-after-s")
	b.ReportMetric(c.flush.Seconds(), "cyrus-sync-after-s")
	b.Logf("median over %d rounds of %d messages: wall ours %v, Cyrus %v; server CPU ours %v, Cyrus %v",
		len(runs["ours"]), total, o.wall, c.wall, o.cpu, c.cpu)
}

// serverUsage sums the CPU time (user + system, and system alone) and
// takes the largest peak RSS of the replica master's sync_server children
// (alive, waiting for their next connection).
func serverUsage(b *testing.B, in *Instance) (cpu, sys time.Duration, rss int64) {
	for _, pid := range childrenOf(b, in, "sync_server") {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		cpu += time.Duration(utime+stime) * time.Second / 100 // USER_HZ
		sys += time.Duration(stime) * time.Second / 100
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, l := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				rss = max(rss, n)
			}
		}
	}
	return cpu, sys, rss
}
