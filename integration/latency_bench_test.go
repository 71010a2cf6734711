package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// BenchmarkSlowLinkUpdates measures mailbox updates per second over a
// 70 ms round trip (LatencyProxy, 35 ms each way, between the master's
// sync_client and a real Cyrus replica's sync_server): $BENCH_LAT_USERS
// users (10) with $BENCH_LAT_FOLDERS folders each (10, INBOX among them),
// each folder one message whose \Flagged flag is toggled before every run,
// so that `sync_client -A` has exactly one changed mailbox per folder to
// send. Cyrus's sync_client over csync and over IMAP (sync_try_imap,
// imapd's port behind a proxy of its own) and ours (--workers 1 and the
// default, with pipelining off (--pipeline 1) and on; the default over
// IMAP too) take turns for $BENCH_LAT_ROUNDS rounds (2); it reports each
// one's median rate and its ratio to the better of Cyrus's two, and checks
// the replica equals the master at the end. The time is the whole run,
// start to exit: connecting is part of it, as it is of every -A a
// replication job runs.
// $BENCH_LAT_DELAY_MS changes the one-way delay (35).
func BenchmarkSlowLinkUpdates(b *testing.B) {
	RequireCyrus(b)
	users, folders := benchScale("BENCH_LAT_USERS", 10), benchScale("BENCH_LAT_FOLDERS", 10)
	rounds := benchScale("BENCH_LAT_ROUNDS", 2)
	delay := time.Duration(benchScale("BENCH_LAT_DELAY_MS", 35)) * time.Millisecond
	base := TempDir(b)
	master := NewInstance(b, base, "master")
	master.Start(b)
	replica := NewInstance(b, base, "replica")
	replica.Start(b)
	var names []string
	for u := 0; u < users; u++ {
		user := fmt.Sprintf("slow%02d", u)
		names = append(names, user)
		master.CreateUser(b, user)
		replica.AddSASLUser(b, user, UserPassword)
		// One connection at a time: held to the end, ten of them left
		// the first toggle's login waiting.
		c, err := master.DialIMAP(user, UserPassword)
		if err != nil {
			b.Fatal(err)
		}
		for f := 0; f < folders; f++ {
			box := "INBOX"
			if f > 0 {
				box = fmt.Sprintf("Folder%d", f)
				if err := c.Create(box, nil).Wait(); err != nil {
					b.Fatalf("create %s of %s: %v", box, user, err)
				}
			}
			msg := []byte(fmt.Sprintf("From: a@example.org\r\nSubject: %s %s\r\n\r\nbody\r\n", user, box))
			cmd := c.Append(box, int64(len(msg)), nil)
			cmd.Write(msg)
			cmd.Close()
			if _, err := cmd.Wait(); err != nil {
				b.Fatalf("append to %s of %s: %v", box, user, err)
			}
		}
		c.Logout().Wait()
		c.Close()
	}
	ours := filepath.Join(base, "bin", "sync_client")
	os.MkdirAll(filepath.Dir(ours), 0o755)
	if err := os.Symlink(Ours(b), ours); err != nil {
		b.Fatal(err)
	}
	confFor := func(name string, port int, imap bool) string {
		conf := filepath.Join(base, name+".conf")
		text, _ := os.ReadFile(master.Conf())
		text = append(text, []byte(fmt.Sprintf("sync_host: 127.0.0.1\nsync_port: %d\nsync_try_imap: %d\n"+
			"sync_authname: %s\nsync_password: %s\n", port, map[bool]int{false: 0, true: 1}[imap], SyncUser, SyncPassword))...)
		if err := os.WriteFile(conf, text, 0o644); err != nil {
			b.Fatal(err)
		}
		return conf
	}
	// The first copy goes over loopback, not measured.
	if res := Run(b, nil, ours, "-C", confFor("direct", replica.CSyncPort, false), "-A"); res.Code != 0 {
		b.Fatalf("seeding sync_client -A: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	proxy := NewLatencyProxy(b, fmt.Sprintf("127.0.0.1:%d", replica.CSyncPort), delay)
	slow := confFor("slow", proxy.Port, false)
	// Cyrus's other transport: the sync commands inside an IMAP session
	// with imapd (sync_try_imap).
	imapProxy := NewLatencyProxy(b, fmt.Sprintf("127.0.0.1:%d", replica.IMAPPort), delay)
	slowIMAP := confFor("slowimap", imapProxy.Port, true)

	type client struct {
		name string
		prog string
		conf string
		args []string
		rate []float64
	}
	clients := []*client{
		{name: "cyrus", prog: filepath.Join(CyrusBin, "sync_client"), conf: slow},
		{name: "cyrus-imap", prog: filepath.Join(CyrusBin, "sync_client"), conf: slowIMAP},
		{name: "ours-w1-nopipe", prog: ours, conf: slow, args: []string{"--workers", "1", "--pipeline", "1"}},
		{name: "ours-w1-pipe", prog: ours, conf: slow, args: []string{"--workers", "1"}},
		{name: "ours-default-nopipe", prog: ours, conf: slow, args: []string{"--pipeline", "1"}},
		{name: "ours-default-pipe", prog: ours, conf: slow},
		{name: "ours-default-imap", prog: ours, conf: slowIMAP},
	}
	updates := users * folders
	flagged := false
	toggle := func() {
		flagged = !flagged
		op := imap.StoreFlagsAdd
		if !flagged {
			op = imap.StoreFlagsDel
		}
		for _, user := range names {
			flagCorpusFolders(b, master, user, folders, uidSet(1), op)
		}
	}
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N*rounds; i++ {
		for j := range clients {
			cl := clients[(i+j)%len(clients)] // each round starts with another
			toggle()
			args := append([]string{"-C", cl.conf, "-A"}, cl.args...)
			b.StartTimer()
			start := time.Now()
			res := Run(b, nil, cl.prog, args...)
			d := time.Since(start)
			b.StopTimer()
			if res.Code != 0 {
				b.Fatalf("%s sync_client -A: exit %d\n%s%s", cl.name, res.Code, res.Stdout, res.Stderr)
			}
			cl.rate = append(cl.rate, float64(updates)/d.Seconds())
		}
	}
	median := func(xs []float64) float64 {
		s := append([]float64(nil), xs...)
		sort.Float64s(s)
		return s[len(s)/2]
	}
	// Ratios are to Cyrus at its best of its two transports.
	cy := max(median(clients[0].rate), median(clients[1].rate))
	var lines []string
	for _, cl := range clients {
		m := median(cl.rate)
		b.ReportMetric(m, cl.name+"-updates/s")
		if !strings.HasPrefix(cl.name, "cyrus") {
			b.ReportMetric(m/cy, cl.name+"/cyrus-best")
		}
		lines = append(lines, fmt.Sprintf("%-20s %7.1f mailbox updates/s (%.2fx Cyrus's best) %s", cl.name, m, m/cy, strings.Join(cl.args, " ")))
	}
	b.Logf("%d users x %d folders, one flag changed per folder, -A over a %v round trip, median of %d:\n%s",
		users, folders, 2*delay, len(clients[0].rate), strings.Join(lines, "\n"))
	for _, user := range names {
		SameUser(b, master, replica, user)
	}
}
