package integration

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSyncServerKilled kills our sync_server (SIGKILL) at random moments
// of Cyrus's sync_client -A, 25 rounds with new mail each, then lets a
// last -A finish: the
// replica must equal the master, nothing lost or doubled, and Cyrus's
// chk_cyrus and reconstruct find nothing to repair.
func TestSyncServerKilled(t *testing.T) {
	RequireCyrus(t)
	p := NewPairOurServer(t)
	seed := time.Now().UnixNano()
	if s := os.Getenv("CYREPL_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (CYREPL_SEED to repeat)", seed)
	rng := rand.New(rand.NewSource(seed))
	var users []string
	for i := range 4 {
		u := fmt.Sprintf("killed%d", i)
		users = append(users, u)
		p.AddUser(t, u)
		create(t, p.Master, u, "A", "B")
		var msgs [][]byte
		for n := range 150 {
			msgs = append(msgs, benchMessage(rng, u, n))
		}
		p.Master.DeliverRaw(t, u, msgs...)
		imapLines(t, p.Master, u, UserPassword, "SELECT INBOX", "UID COPY 1:20 A", "UID COPY 10:40 B", `UID STORE 1:* +FLAGS (\Seen)`)
	}
	// Rounds until enough kills landed: a run may end before its kill, how
	// often depends on the machine and on the Cyrus version of the client.
	const wantKills = 15
	kills := 0
	for round := 0; round < 60 && kills < wantKills; round++ {
		if round > 0 { // new work for the round to be cut short in
			u := users[round%len(users)]
			var msgs [][]byte
			for n := range 40 {
				msgs = append(msgs, benchMessage(rng, u, 1000*round+n))
			}
			p.Master.DeliverRaw(t, u, msgs...)
			imapLines(t, p.Master, u, UserPassword, "SELECT INBOX", fmt.Sprintf(`UID STORE %d:* +FLAGS (\Flagged)`, 10*round))
		}
		cmd := p.Master.Cyrus.Command(p.Master.Cyrus.Prog("sync_client"), "-C", p.Master.Conf(), "-A")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			time.Sleep(time.Duration(20+rng.Intn(800)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(rng.Intn(150)) * time.Millisecond)
		}
		// Only a child in a session: killing an idle one would count as a
		// failure of the service, and master disables it after five.
		for _, pid := range serving(t, p.Replica, p.Replica.CSyncPort) {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				kills++
			}
		}
		// The client reconnects with a back-off; it has done its part.
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		t.Logf("round %d: %v, %s", round, time.Since(start), strings.TrimSpace(out.String()))
	}
	t.Logf("%d sync_server processes killed", kills)
	if kills < wantKills {
		t.Errorf("only %d kills landed in 60 rounds", kills)
	}
	if res := p.CyrusSync(t, "-A"); res.Code != 0 {
		t.Fatalf("the -A after the kills: %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	for _, u := range users {
		SameUser(t, p.Master, p.Replica, u)
	}
	p.CyrusHasNothingToSend(t, "-A")
}

// TestSyncServerDiskFull: the replica partition on a small file system
// fills during an upload; the command fails (the client reports it), the
// replica's index is untouched, and once there is room the next sync
// succeeds and the replica equals the master.
func TestSyncServerDiskFull(t *testing.T) {
	RequireCyrus(t)
	base := TempDir(t)
	replica := NewReplicaInstance(t, base, "replica")
	part := filepath.Join(replica.Dir, "spool")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", part).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs on the replica partition (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", part).Run() })
	Chown(t, part)
	os.Chmod(part, 0o750)
	replica.SyncServer = OursApplet(t, "sync_server")
	replica.WriteConfigs(t)
	replica.Start(t)
	master := NewInstance(t, base, "master", "sync_host: 127.0.0.1", "sync_port: "+itoa(replica.CSyncPort),
		"sync_try_imap: 0", "sync_authname: "+SyncUser, "sync_password: "+SyncPassword)
	master.Start(t)
	p := &Pair{Master: master, Replica: replica}
	p.AddUser(t, "full")
	p.Master.Deliver(t, "full", 2)
	if res := p.CyrusSync(t, "-u", "full"); res.Code != 0 {
		t.Fatalf("first sync: %d\n%s", res.Code, res.Stderr)
	}
	before := replica.Tool(t, "mbexamine", "user/full").Stdout
	big := fmt.Sprintf("From: a@b\r\nSubject: big\r\n\r\n%s\r\n", strings.Repeat("0123456789abcdef0123456789abcdef\r\n", 80000))
	p.Master.DeliverRaw(t, "full", []byte(big))
	res := p.CyrusSync(t, "-v", "-u", "full")
	if res.Code == 0 {
		t.Fatalf("a 2.7 MB upload to a 2 MB partition succeeded:\n%s", res.Stdout)
	}
	if after := replica.Tool(t, "mbexamine", "user/full").Stdout; after != before {
		t.Errorf("the failed upload changed the replica's index:\n%s", lineDiff(before, after))
	}
	if out, err := exec.Command("mount", "-o", "remount,size=50m", part).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	if res := p.CyrusSync(t, "-u", "full"); res.Code != 0 {
		t.Fatalf("sync with room again: %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	SameUser(t, p.Master, p.Replica, "full")
}

// serving lists the children of in's master that hold an established
// connection on port: the processes in a session.
func serving(t *testing.T, in *Instance, port int) []int {
	t.Helper()
	inodes := map[string]bool{}
	b, _ := os.ReadFile("/proc/net/tcp")
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		// local address, state 01 = ESTABLISHED, inode
		if len(f) > 9 && strings.HasSuffix(f[1], fmt.Sprintf(":%04X", port)) && f[3] == "01" {
			inodes["socket:["+f[9]+"]"] = true
		}
	}
	var out []int
	for _, pid := range childrenOf(t, in, "sync_server") {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && inodes[target] {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
