package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// proc is a process found in /proc.
type proc struct {
	pid, pgrp, session int
	cmdline            string
}

// findProcs lists the live processes whose command line holds every one
// of words (as separate arguments, in order).
func findProcs(words ...string) []proc {
	want := "\x00" + strings.Join(words, "\x00") + "\x00"
	var out []proc
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains("\x00"+string(b), want) || zombie(pid) {
			continue
		}
		p := proc{pid: pid, cmdline: strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")}
		p.pgrp, p.session = procGroup(pid)
		out = append(out, p)
	}
	return out
}

// procGroup reads a process's group and session from /proc/<pid>/stat.
func procGroup(pid int) (pgrp, session int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1, -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	pgrp, _ = strconv.Atoi(f[2])
	session, _ = strconv.Atoi(f[3])
	return pgrp, session
}

// gone waits until the process no longer runs.
func gone(pid int, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if zombie(pid) {
			return true
		}
	}
	return false
}

// oneProc finds the single process running prog with args.
func oneProc(t *testing.T, words ...string) proc {
	t.Helper()
	var ps []proc
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ps = findProcs(words...); len(ps) == 1 {
			return ps[0]
		}
	}
	t.Fatalf("processes %q: %+v", words, ps)
	return proc{}
}

// TestRollingUnderMaster: Cyrus's master runs our sync_client -r as a
// DAEMON (CYRUS_ISDAEMON: it must not go to the background) and another
// -r in START (it must: master waits for START commands), beside Cyrus's
// own -r in START. Both background ones stay in master's process group and
// session, as Cyrus's fork leaves them; all replicate; master's SIGHUP
// (a reload, passed on to the DAEMON) leaves ours running, as it does
// Cyrus's; master's shutdown ends them all.
func TestRollingUnderMaster(t *testing.T) {
	RequireCyrus(t)
	var ours string
	tr := newTrioHook(t, []string{"d", "s", "cs"}, func(tr *trio) {
		ours = tr.ours(t)
		conf := tr.master.Conf()
		path := filepath.Join(tr.master.Dir, "cyrus.conf")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		end := strings.Index(s, "START {") + strings.Index(s[strings.Index(s, "START {"):], "}\n")
		s = s[:end] + fmt.Sprintf("  syncs cmd=\"%s -C %s -r -n s\"\n  synccs cmd=\"%s -C %s -r -n cs\"\n",
			ours, conf, cyrusClient(tr.master), conf) + s[end:]
		s = strings.Replace(s, "DAEMON {\n", fmt.Sprintf("DAEMON {\n  syncd cmd=\"%s -C %s -r -n d\"\n", ours, conf), 1)
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	m := tr.master
	tr.addUser(t, "mastu")
	m.Deliver(t, "mastu", 2)
	tr.waitIdle(t, "d", "s", "cs")
	tr.sameAcross(t, "mastu")

	mpgrp, msess := procGroup(m.pid)
	d := oneProc(t, ours, "-C", m.Conf(), "-r", "-n", "d")
	s := oneProc(t, ours, "-C", m.Conf(), "-r", "-n", "s")
	cs := oneProc(t, cyrusClient(tr.master), "-C", m.Conf(), "-r", "-n", "cs")
	for _, p := range []proc{d, s, cs} {
		if p.pgrp != mpgrp || p.session != msess {
			t.Errorf("%s: process group %d session %d, master's %d %d", p.cmdline, p.pgrp, p.session, mpgrp, msess)
		}
	}
	if err := syscall.Kill(m.pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	for _, p := range []proc{d, s, cs} {
		if zombie(p.pid) {
			t.Errorf("%s ended on master's SIGHUP", p.cmdline)
		}
	}
	m.Deliver(t, "mastu", 1)
	tr.waitIdle(t, "d", "s", "cs")
	tr.sameAcross(t, "mastu")
	m.Stop()
	for _, p := range []proc{d, s, cs} {
		if !gone(p.pid, 15*time.Second) {
			t.Errorf("%s still runs after master stopped", p.cmdline)
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
}

// TestRollingBackground: -r from a shell returns at once with exit 0,
// leaving a process in the caller's process group and session (no
// setsid, as after Cyrus's fork) that follows the log until the shutdown
// file; the same for Cyrus's.
func TestRollingBackground(t *testing.T) {
	RequireCyrus(t)
	tr := newTrio(t, []string{"ours", "cyrus"})
	tr.addUser(t, "bgu")
	tr.master.Deliver(t, "bgu", 2)
	dir := filepath.Join(tr.base, "shutdown")
	os.MkdirAll(dir, 0o755)
	Chown(t, dir)
	mypgrp, mysess := procGroup(os.Getpid())
	for ch, prog := range map[string]string{"ours": tr.ours(t), "cyrus": cyrusClient(tr.master)} {
		shutdown := filepath.Join(dir, ch)
		args := []string{"-C", tr.master.Conf(), "-r", "-n", ch, "-F", shutdown}
		cmd := tr.master.Cyrus.Command(prog, args...) // no pipes: the background process keeps our stdout
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s -r: %v", ch, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s -r took %v to return", ch, d)
		}
		p := oneProc(t, append([]string{prog}, args...)...)
		if p.pgrp != mypgrp || p.session != mysess {
			t.Errorf("%s: process group %d session %d, the caller's %d %d", ch, p.pgrp, p.session, mypgrp, mysess)
		}
		t.Cleanup(func() { syscall.Kill(p.pid, syscall.SIGKILL) })
		tr.waitIdle(t, ch)
		os.WriteFile(shutdown, nil, 0o644)
		if !gone(p.pid, 15*time.Second) {
			t.Errorf("%s: still running after the shutdown file", ch)
		}
	}
	tr.sameAcross(t, "bgu")
}

// TestRollingSignals: as master's DAEMON (CYRUS_ISDAEMON), both rolling
// clients ignore SIGHUP and carry on; SIGTERM ends them with exit 75 and
// "graceful shutdown" in syslog.
func TestRollingSignals(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	tr := newTrio(t, []string{"ours", "cyrus"})
	tr.addUser(t, "sigu")
	t.Setenv("CYRUS_ISDAEMON", "1")
	clients := map[string]*rollingClient{
		"ours": tr.startRolling(t, tr.ours(t), "ours"), "cyrus": tr.startRolling(t, cyrusClient(tr.master), "cyrus")}
	time.Sleep(time.Second)
	for _, c := range clients {
		c.cmd.Process.Signal(syscall.SIGHUP)
	}
	time.Sleep(1500 * time.Millisecond)
	tr.master.Deliver(t, "sigu", 2)
	tr.waitIdle(t, "ours", "cyrus")
	tr.sameAcross(t, "sigu")
	sl.Take(rollingSyslogPrefix + "/sync_client")
	for ch, c := range clients {
		if !c.running() {
			t.Fatalf("%s ended on SIGHUP: %s", ch, c.stderr.String())
		}
		c.cmd.Process.Signal(syscall.SIGTERM)
		if code := c.wait(t, 15*time.Second); code != 75 {
			t.Errorf("%s: exit %d after SIGTERM, want 75", ch, code)
		}
		var notices []string
		for _, l := range sl.Take(rollingSyslogPrefix + "/sync_client") {
			notices = append(notices, fmt.Sprintf("%d %s", l.Severity, l.Msg))
		}
		if strings.Join(notices, "|") != "5 graceful shutdown" {
			t.Errorf("%s: syslog %q", ch, notices)
		}
	}
}

// TestRollingReplicaDownAndGone: the replicas are down when the clients
// start: both retry, printing Cyrus's line with the wait capped by
// sync_reconnect_maxwait, and catch up once the replicas are up. Then
// the replicas go away: at their next file both clients fail it, find the
// replica gone and exit 0, keeping log-run; with the replicas back, -1
// finishes that file first.
func TestRollingReplicaDownAndGone(t *testing.T) {
	RequireCyrus(t)
	tr := newTrio(t, []string{"ours", "cyrus"}, "sync_reconnect_maxwait: 2")
	tr.addUser(t, "downu")
	tr.master.Deliver(t, "downu", 2)
	for _, r := range tr.replicas {
		r.Stop()
	}
	clients := map[string]*rollingClient{
		"ours": tr.startRolling(t, tr.ours(t), "ours"), "cyrus": tr.startRolling(t, cyrusClient(tr.master), "cyrus")}
	time.Sleep(5 * time.Second)
	firsts := map[string]string{}
	for ch, c := range clients {
		lines := strings.Split(c.stderr.String(), "\n")
		if len(lines) < 3 {
			t.Fatalf("%s: stderr %q", ch, c.stderr.String())
		}
		firsts[ch] = strings.Join(lines[:2], "\n")
	}
	want := "Can not connect to server '127.0.0.1', retrying in 2 seconds\n" +
		"Can not connect to server '127.0.0.1', retrying in 2 seconds"
	if firsts["cyrus"] != want || firsts["ours"] != want {
		t.Errorf("retry lines:\n--- Cyrus\n%s\n--- ours\n%s", firsts["cyrus"], firsts["ours"])
	}
	for _, r := range tr.replicas {
		r.Start(t)
	}
	tr.waitIdle(t, "ours", "cyrus")
	tr.sameAcross(t, "downu")

	for _, r := range tr.replicas {
		r.Stop()
	}
	tr.master.Deliver(t, "downu", 1)
	for ch, c := range clients {
		if code := c.wait(t, 30*time.Second); code != 0 {
			t.Errorf("%s: exit %d after the replica went away\n%s", ch, code, c.stderr.String())
		}
		if p := tr.pending(ch); len(p) != 1 || p[0] != "log-run" {
			t.Errorf("%s: left %q, want log-run", ch, p)
		}
	}
	for _, r := range tr.replicas {
		r.Start(t)
	}
	for ch, prog := range map[string]string{"ours": tr.ours(t), "cyrus": cyrusClient(tr.master)} {
		res := tr.master.Run(t, nil, prog, "-C", tr.master.Conf(), "-R", "-1", "-n", ch)
		if res.Code != 0 || len(tr.pending(ch)) != 0 {
			t.Errorf("%s -1: exit %d, left %q\n%s", ch, res.Code, tr.pending(ch), res.Stderr)
		}
	}
	tr.sameAcross(t, "downu")
}

// TestRollingTwoChannels: two of our rolling clients, one per channel,
// each to its replica, on the same changes.
func TestRollingTwoChannels(t *testing.T) {
	RequireCyrus(t)
	tr := newTrio(t, []string{"one", "two"})
	one := tr.startRolling(t, tr.ours(t), "one")
	two := tr.startRolling(t, tr.ours(t), "two")
	for _, u := range []string{"chu1", "chu2"} {
		tr.addUser(t, u)
		tr.master.Deliver(t, u, 3)
	}
	create(t, tr.master, "chu1", "Folder")
	copyAll(t, tr.master, "chu1", "Folder")
	tr.waitIdle(t, "one", "two")
	tr.sameAcross(t, "chu1", "chu2")
	for _, c := range []*rollingClient{one, two} {
		if code := c.stop(t); code != 0 {
			t.Errorf("%s: exit %d", c.name, code)
		}
	}
	var out bytes.Buffer
	out.WriteString(one.stderr.String() + two.stderr.String())
	if out.Len() > 0 {
		t.Errorf("stderr: %s", out.String())
	}
}

// TestRollingTimeoutLikeCyrus: -t 1 recycles the connection every few
// seconds: RESTART, "sync_client RESTART succeeded", a new session; the
// same lines from both clients.
func TestRollingTimeoutLikeCyrus(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	tr := newTrio(t, []string{"ours", "cyrus"})
	got := map[string]string{}
	for ch, prog := range map[string]string{"ours": tr.ours(t), "cyrus": cyrusClient(tr.master)} {
		sl.Take(rollingSyslogPrefix + "/sync_client")
		c := tr.startRolling(t, prog, ch, "-t", "1")
		time.Sleep(5 * time.Second)
		if code := c.stop(t); code != 0 {
			t.Errorf("%s: exit %d", ch, code)
		}
		seen := map[string]int{}
		for _, l := range sl.Take(rollingSyslogPrefix + "/sync_client") {
			seen[fmt.Sprintf("%d %s", l.Severity, l.Msg)]++
		}
		if seen["6 sync_client RESTART succeeded"] == 0 || seen["6 Destination supports #sieve mailbox"] < 2 {
			t.Errorf("%s: %v", ch, seen)
		}
		var kinds []string
		for k := range seen {
			kinds = append(kinds, k)
		}
		got[ch] = sortedLines(strings.Join(kinds, "\n"))
	}
	if got["ours"] != got["cyrus"] {
		t.Errorf("syslog:\n--- Cyrus\n%s\n--- ours\n%s", got["cyrus"], got["ours"])
	}
}

// TestRollingLatency measures how long a delivery waits in the sync log
// (from the end of the LMTP delivery until the client has taken and
// processed the log: neither log nor log-run left) with Cyrus's client
// (sync_repeat_interval 1 s: it looks once a second), ours with --poll
// (the same) and ours waking on the log's growth; ours must be faster.
func TestRollingLatency(t *testing.T) {
	RequireCyrus(t)
	tr := newTrio(t, []string{"ours", "poll", "cyrus"})
	tr.addUser(t, "latu")
	medians := map[string]time.Duration{}
	for _, run := range []struct {
		ch, prog string
		args     []string
	}{{"cyrus", cyrusClient(tr.master), nil}, {"poll", tr.ours(t), []string{"--poll"}}, {"ours", tr.ours(t), nil}} {
		// Catch up first; the other channels' logs just grow meanwhile.
		c := tr.startRolling(t, run.prog, run.ch, run.args...)
		tr.waitIdle(t, run.ch)
		var lat []time.Duration
		for i := 0; i < 9; i++ {
			time.Sleep(time.Duration(300+97*i) * time.Millisecond)
			tr.master.Deliver(t, "latu", 1)
			start := time.Now()
			for len(tr.pending(run.ch)) > 0 && time.Since(start) < 10*time.Second {
				time.Sleep(5 * time.Millisecond)
			}
			lat = append(lat, time.Since(start))
		}
		if code := c.stop(t); code != 0 {
			t.Errorf("%s: exit %d", run.ch, code)
		}
		slices.Sort(lat)
		medians[run.ch] = lat[len(lat)/2]
		t.Logf("%s: latencies %v, median %v", run.ch, lat, medians[run.ch])
	}
	if medians["ours"] >= medians["cyrus"] || medians["ours"] >= medians["poll"] {
		t.Errorf("waking on the log is not faster: %v", medians)
	}
	for _, ch := range []string{"cyrus", "poll"} { // what they missed after their turn
		if res := tr.master.Run(t, nil, tr.ours(t), "-C", tr.master.Conf(), "-R", "-1", "-n", ch); res.Code != 0 {
			t.Errorf("%s -1: exit %d", ch, res.Code)
		}
	}
	tr.sameAcross(t, "latu")
}
