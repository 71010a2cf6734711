package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cyrusFile writes a file the cyrus user owns (Cyrus opens a sync log
// file read-write, even with -f).
func cyrusFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	Chown(t, path)
}

// trio is a real Cyrus master logging its changes to sync log channels,
// and a real Cyrus replica per channel: rolling sync_clients, ours and
// Cyrus's, each follow a channel on the same input. The master has no
// sync_host: every channel's replica comes from <channel>_sync_host and
// <channel>_sync_port. The channel "replay" gets the same items and
// nobody reads it, for replaying them with -f.
type trio struct {
	base     string
	master   *Instance
	replicas map[string]*Instance
}

// rollingSyslogPrefix keeps the master's syslog lines apart from other
// tests' (whose instances are all "cyrepl-master").
const rollingSyslogPrefix = "cyrepl-rolling"

func newTrio(t testing.TB, channels []string, extra ...string) *trio {
	t.Helper()
	return newTrioHook(t, channels, nil, extra...)
}

// newTrioHook is newTrio with a hook run on the master before it starts.
func newTrioHook(t testing.TB, channels []string, hook func(tr *trio), extra ...string) *trio {
	t.Helper()
	return newTrioServers(t, channels, nil, hook, extra...)
}

// newTrioServers is newTrioHook where the replicas of the channels in
// ourServer run our sync_server under their Cyrus master.
func newTrioServers(t testing.TB, channels []string, ourServer map[string]bool, hook func(tr *trio), extra ...string) *trio {
	t.Helper()
	tr := &trio{base: TempDir(t), replicas: map[string]*Instance{}}
	lines := []string{"sync_log: 1", "sync_log_channels: " + strings.Join(channels, " ") + " replay",
		"sync_authname: " + SyncUser, "sync_password: " + SyncPassword, "allowusermoves: yes",
		"syslog_prefix: " + rollingSyslogPrefix}
	for _, ch := range channels {
		rep := NewReplicaInstance(t, tr.base, "r"+ch, "allowusermoves: yes")
		if ourServer[ch] {
			rep.SyncServer = OursApplet(t, "sync_server")
			rep.WriteConfigs(t)
		}
		rep.Start(t)
		tr.replicas[ch] = rep
		lines = append(lines, ch+"_sync_host: 127.0.0.1", ch+"_sync_port: "+itoa(rep.CSyncPort), ch+"_sync_try_imap: 0")
	}
	tr.master = NewInstance(t, tr.base, "master", append(lines, extra...)...)
	if hook != nil {
		hook(tr)
	}
	tr.master.Start(t)
	return tr
}

// addUser creates user on the master and its password on every replica.
func (tr *trio) addUser(t testing.TB, user string) {
	t.Helper()
	tr.master.CreateUser(t, user)
	for _, r := range tr.replicas {
		r.AddSASLUser(t, user, UserPassword)
	}
}

// ours is a link named sync_client to our binary.
func (tr *trio) ours(t testing.TB) string {
	t.Helper()
	link := filepath.Join(tr.base, "bin", "sync_client")
	if _, err := os.Lstat(link); err != nil {
		os.MkdirAll(filepath.Dir(link), 0o755)
		if err := os.Symlink(Ours(t), link); err != nil {
			t.Fatal(err)
		}
	}
	return link
}

// cyrusClient is the master's Cyrus's sync_client.
func cyrusClient(master *Instance) string { return master.Cyrus.Prog("sync_client") }

// channelDir is where the master keeps a channel's sync log.
func (tr *trio) channelDir(channel string) string {
	return filepath.Join(tr.master.ConfigDir(), "sync", channel)
}

// pending lists the channel's files still to be processed (log, log-run).
func (tr *trio) pending(channel string) []string {
	var out []string
	for _, f := range []string{"log", "log-run"} {
		if _, err := os.Stat(filepath.Join(tr.channelDir(channel), f)); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// waitIdle waits until the channels' clients have taken and processed
// everything: no log, no log-run, twice in a row 1.5 s apart.
func (tr *trio) waitIdle(t testing.TB, channels ...string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	quiet := 0
	for quiet < 2 {
		if time.Now().After(deadline) {
			for _, ch := range channels {
				t.Logf("%s: pending %q", ch, tr.pending(ch))
			}
			t.Fatal("the rolling clients did not catch up")
		}
		busy := false
		for _, ch := range channels {
			busy = busy || len(tr.pending(ch)) > 0
		}
		if busy {
			quiet = 0
			time.Sleep(200 * time.Millisecond)
			continue
		}
		quiet++
		if quiet < 2 {
			time.Sleep(1500 * time.Millisecond)
		}
	}
}

// rollingClient is a sync_client following a channel in the background.
type rollingClient struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	shutdown       string
	done           chan struct{}
}

// startRolling starts prog -C <master's conf> -R -n channel -F <a
// shutdown file> args…
func (tr *trio) startRolling(t testing.TB, prog, channel string, args ...string) *rollingClient {
	t.Helper()
	// The client runs as cyrus, and must be able to remove the file.
	dir := filepath.Join(tr.base, "shutdown")
	os.MkdirAll(dir, 0o755)
	Chown(t, dir)
	c := &rollingClient{name: filepath.Base(prog) + "/" + channel,
		shutdown: filepath.Join(dir, channel), done: make(chan struct{})}
	os.Remove(c.shutdown)
	c.cmd = tr.master.Cyrus.Command(prog, append([]string{"-C", tr.master.Conf(), "-R", "-n", channel, "-F", c.shutdown}, args...)...)
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// wait waits for the client to end by itself and returns its exit status.
func (c *rollingClient) wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-c.done:
		return c.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("%s still running after %v\nstderr:\n%s", c.name, timeout, c.stderr.String())
		return -1
	}
}

// stop creates the shutdown file and returns the exit status.
func (c *rollingClient) stop(t testing.TB) int {
	t.Helper()
	if err := os.WriteFile(c.shutdown, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code := c.wait(t, 30*time.Second)
	if _, err := os.Stat(c.shutdown); err == nil {
		t.Errorf("%s: the shutdown file is still there", c.name)
	}
	return code
}

// running tells whether the client is still running.
func (c *rollingClient) running() bool {
	select {
	case <-c.done:
		return false
	default:
		return c.cmd.Process.Signal(syscall.Signal(0)) == nil
	}
}

// sameAcross fails unless every replica shows user as the master does
// (over IMAP, Cyrus's check tools clean on each replica). It runs as a
// subtest, whose end closes its IMAP connections (imapd's maxchild).
func (tr *trio) sameAcross(t *testing.T, users ...string) {
	t.Helper()
	t.Run("same", func(t *testing.T) {
		for _, u := range users {
			m := tr.master.DumpUser(t, u)
			for ch, r := range tr.replicas {
				if got := r.DumpUser(t, u); got != m {
					t.Errorf("replica %s differs for %s:\n--- master\n%s--- replica\n%s", ch, u, m, got)
				}
				r.Healthy(t, u)
			}
		}
	})
}

// sameLines fails unless cmds, run as user, give the same untagged lines
// on the master and every replica.
func (tr *trio) sameLines(t *testing.T, user, password string, cmds ...string) {
	t.Helper()
	m := imapLines(t, tr.master, user, password, cmds...)
	for ch, r := range tr.replicas {
		if got := imapLines(t, r, user, password, cmds...); strings.Join(got, "\n") != strings.Join(m, "\n") {
			t.Errorf("%q as %s on replica %s:\n%s\nmaster:\n%s", cmds[len(cmds)-1], user, ch,
				strings.Join(got, "\n"), strings.Join(m, "\n"))
		}
	}
}

// sortedLines sorts the lines of s (Cyrus processes user groups in the
// order of a hash table).
func sortedLines(s string) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}
