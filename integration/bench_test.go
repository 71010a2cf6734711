package integration

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// The corpus of BenchmarkInitialSyncAll: $BENCH_USERS users (20) with
// $BENCH_FOLDERS folders each (5, INBOX among them) of $BENCH_MESSAGES
// messages (400), of realistic sizes (mostly a few KiB, a tail up to 1 MiB).
func benchScale(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// messageSize draws a size: 60% 2–8 KiB, 30% 8–64 KiB, 9% 64–512 KiB,
// 1% 512 KiB–1 MiB.
func messageSize(r *rand.Rand) int {
	switch p := r.Intn(100); {
	case p < 60:
		return 2<<10 + r.Intn(6<<10)
	case p < 90:
		return 8<<10 + r.Intn(56<<10)
	case p < 99:
		return 64<<10 + r.Intn(448<<10)
	}
	return 512<<10 + r.Intn(512<<10)
}

func benchMessage(r *rand.Rand, user string, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: sender%d@example.org\r\nTo: %s@example.org\r\nSubject: corpus message %d\r\n"+
		"Message-ID: <%d.%d@bench.cyrepl.test>\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n", r.Intn(1000), user, n, n, r.Int63())
	size := messageSize(r)
	words := []string{"replication ", "mailbox ", "cyrus ", "modseq ", "uidvalidity ", "record ", "channel "}
	for line := 0; b.Len() < size; line++ {
		b.WriteString(words[r.Intn(len(words))])
		if line%12 == 11 {
			b.WriteString("\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// populateCorpus fills the master over IMAP APPEND, users in parallel.
func populateCorpus(b *testing.B, p *Pair, users, folders, messages int) {
	admin := p.Master.IMAP(b, AdminUser, AdminPassword)
	for u := 0; u < users; u++ {
		user := fmt.Sprintf("bench%02d", u)
		p.Master.AddSASLUser(b, user, UserPassword)
		if err := admin.Create("user/"+user, nil).Wait(); err != nil {
			b.Fatalf("create user/%s: %v", user, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, users)
	sem := make(chan struct{}, 4)
	for u := 0; u < users; u++ {
		user := fmt.Sprintf("bench%02d", u)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := rand.New(rand.NewSource(int64(u)))
			c, err := p.Master.DialIMAP(user, UserPassword)
			if err != nil {
				errs <- err
				return
			}
			defer func() { c.Logout().Wait(); c.Close() }()
			for f := 0; f < folders; f++ {
				box := "INBOX"
				if f > 0 {
					box = fmt.Sprintf("Folder%d", f)
					if err := c.Create(box, nil).Wait(); err != nil {
						errs <- err
						return
					}
				}
				for m := 0; m < messages; m++ {
					msg := benchMessage(r, user, m)
					cmd := c.Append(box, int64(len(msg)), &imap.AppendOptions{Time: time.Unix(1795000000+int64(m)*60, 0)})
					cmd.Write(msg)
					cmd.Close()
					if _, err := cmd.Wait(); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkInitialSyncAll is `make bench`'s main figure: an initial
// `sync_client -A` of the corpus by Cyrus's sync_client and by ours, each
// round into a fresh real Cyrus replica, in alternating order. It reports
// the median time of each, their ratio (ours/Cyrus: below 1 is faster),
// messages per second and the peak RSS of each client process.
func BenchmarkInitialSyncAll(b *testing.B) {
	RequireCyrus(b)
	users, folders, messages := benchScale("BENCH_USERS", 20), benchScale("BENCH_FOLDERS", 5), benchScale("BENCH_MESSAGES", 400)
	// The corpus is kept between runs (and between the benchmark's own
	// calls) in a directory named after its size: building it is the slow
	// part.
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
		start := time.Now()
		populateCorpus(b, p, users, folders, messages)
		os.WriteFile(marker, nil, 0o644)
		b.Logf("corpus: %d users x %d folders x %d messages = %d messages in %v (kept in %s)",
			users, folders, messages, total, time.Since(start), base)
	}
	ours := Ours(b)
	link := filepath.Join(base, "bin", "sync_client")
	os.MkdirAll(filepath.Dir(link), 0o755)
	os.Remove(link) // a link left by an earlier run names its binary, gone since
	os.Symlink(ours, link)

	type run struct {
		d   time.Duration
		rss int64
	}
	var cyrusRuns, ourRuns []run
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		order := []string{"cyrus", "ours"}
		if i%2 == 1 {
			order = []string{"ours", "cyrus"}
		}
		for _, who := range order {
			b.StopTimer()
			replica := NewInstance(b, base, fmt.Sprintf("replica%d%s", i, who))
			replica.Start(b)
			conf := filepath.Join(base, fmt.Sprintf("master-%d-%s.conf", i, who))
			cfgText, _ := os.ReadFile(master.Conf())
			cfgText = append(cfgText, []byte(fmt.Sprintf("sync_host: 127.0.0.1\nsync_port: %d\nsync_try_imap: 0\n"+
				"sync_authname: %s\nsync_password: %s\n", replica.CSyncPort, SyncUser, SyncPassword))...)
			os.WriteFile(conf, cfgText, 0o644)
			prog := filepath.Join(CyrusBin, "sync_client")
			if who == "ours" {
				prog = link
			}
			b.StartTimer()
			d, rss, res := timedRun(b, prog, "-C", conf, "-A")
			b.StopTimer()
			if res.Code != 0 {
				b.Fatalf("%s sync_client -A: exit %d\n%s%s", who, res.Code, res.Stdout, res.Stderr)
			}
			if who == "ours" {
				ourRuns = append(ourRuns, run{d, rss})
			} else {
				cyrusRuns = append(cyrusRuns, run{d, rss})
			}
			replica.Stop()
			os.RemoveAll(replica.Dir)
			b.StartTimer()
		}
	}
	b.StopTimer()
	median := func(rs []run) run {
		sort.Slice(rs, func(i, j int) bool { return rs[i].d < rs[j].d })
		m := rs[len(rs)/2]
		for _, r := range rs {
			m.rss = max(m.rss, r.rss)
		}
		return m
	}
	c, o := median(cyrusRuns), median(ourRuns)
	b.ReportMetric(o.d.Seconds()/c.d.Seconds(), "ours/cyrus-time")
	b.ReportMetric(float64(total)/o.d.Seconds(), "ours-msgs/s")
	b.ReportMetric(float64(total)/c.d.Seconds(), "cyrus-msgs/s")
	b.ReportMetric(float64(o.rss)/1024, "ours-peak-RSS-MiB")
	b.ReportMetric(float64(c.rss)/1024, "cyrus-peak-RSS-MiB")
	b.Logf("median: ours %v, Cyrus %v over %d rounds (%d messages)", o.d, c.d, len(ourRuns), total)
}

// timedRun runs a program and returns its wall time and peak RSS (KiB).
func timedRun(b *testing.B, prog string, args ...string) (time.Duration, int64, Result) {
	start := time.Now()
	res, _, peak := runUsage(b, prog, args...)
	return time.Since(start), peak, res
}

// runUsage runs a program and returns its outcome, its resource usage and
// its peak RSS (KiB, from watchPeakRSS: the rusage's ru_maxrss is not it).
func runUsage(b *testing.B, prog string, args ...string) (Result, *syscall.Rusage, int64) {
	cmd := exec.Command(prog, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	var peak int64
	err := cmd.Start()
	if err == nil {
		stop := watchPeakRSS(cmd.Process.Pid)
		err = cmd.Wait()
		peak = stop()
	}
	code := 0
	if err != nil {
		code = -1
		if cmd.ProcessState != nil {
			code = cmd.ProcessState.ExitCode()
		}
	}
	var ru *syscall.Rusage
	if cmd.ProcessState != nil {
		ru, _ = cmd.ProcessState.SysUsage().(*syscall.Rusage)
	}
	if ru == nil {
		ru = &syscall.Rusage{}
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}, ru, peak
}

// watchPeakRSS samples a running process's VmHWM every 2 ms; the returned
// function, called once the process has been waited for, gives the last
// sample (KiB). Not the rusage's ru_maxrss: Go starts a child with vfork,
// and Linux carries the parent's high-water mark into the child's
// ru_maxrss at exec, so a small program run from a large test process
// would show the test's size.
func watchPeakRSS(pid int) func() int64 {
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var p int64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			p = max(p, procPeakRSS(pid))
			select {
			case <-done:
				peak <- p
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(done); return <-peak }
}
