package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OurSync runs our sync_client (through a link named sync_client) against
// the master's configuration.
func (p *Pair) OurSync(t testing.TB, args ...string) Result {
	t.Helper()
	link := filepath.Join(p.Master.Dir, "..", "bin", "sync_client")
	if _, err := os.Lstat(link); err != nil {
		os.MkdirAll(filepath.Dir(link), 0o755)
		if err := os.Symlink(Ours(t), link); err != nil {
			t.Fatal(err)
		}
	}
	return p.Master.Run(t, nil, link, append([]string{"-C", p.Master.Conf()}, args...)...)
}

// CyrusHasNothingToSend runs Cyrus's sync_client -v -v for the same
// objects and fails if it uploads or applies anything: after ours, the
// replica must already be what Cyrus would make it.
func (p *Pair) CyrusHasNothingToSend(t testing.TB, args ...string) {
	t.Helper()
	for _, l := range p.cyrusApplies(t, args...) {
		t.Errorf("Cyrus's sync_client still had something to send after ours: %.300s", l)
	}
}

// cyrusApplies runs Cyrus's sync_client -v -v and returns the APPLY lines
// of its protocol log (other than APPLY CAPABILITIES).
func (p *Pair) cyrusApplies(t testing.TB, args ...string) []string {
	t.Helper()
	res := p.CyrusSync(t, append([]string{"-v", "-v"}, args...)...)
	if res.Code != 0 {
		t.Errorf("Cyrus's sync_client: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	var out []string
	for _, l := range strings.Split(res.Stderr, "\n") {
		if (strings.Contains(l, "APPLY ") || strings.Contains(l, "SYNCAPPLY ")) && !strings.Contains(l, "CAPABILITIES") {
			out = append(out, l)
		}
	}
	return out
}

// ourSyncOK runs ours and fails the test unless it exits 0.
func (p *Pair) ourSyncOK(t testing.TB, args ...string) Result {
	t.Helper()
	res := p.OurSync(t, args...)
	if res.Code != 0 {
		t.Fatalf("our sync_client %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, res.Code, res.Stdout, res.Stderr)
	}
	return res
}

// TestOurSyncClientUser: one user, populated over LMTP and IMAP, then our
// sync_client -u on both transports; the replica must match over IMAP and
// Cyrus's sync_client must find nothing left to do; a second run of ours
// sends no APPLY at all.
func TestOurSyncClientUser(t *testing.T) {
	RequireCyrus(t)
	for _, channel := range []string{"csync", "imap"} {
		t.Run(channel, func(t *testing.T) {
			p := NewPair(t)
			p.AddUser(t, "cassandane")
			p.Master.Deliver(t, "cassandane", 4)
			c := p.Master.IMAP(t, "cassandane", UserPassword)
			for _, f := range []string{"Archive", "Work", "Work/Sub"} {
				if err := c.Create(f, nil).Wait(); err != nil {
					t.Fatal(err)
				}
			}
			c.Subscribe("Archive").Wait()
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			c.Store(uidSet(1), storeFlags(`\Seen`), nil).Close()
			c.Store(uidSet(2), storeFlags(`\Flagged`, "$Label1"), nil).Close()
			if _, err := c.Copy(uidSet(1, 2), "Archive").Wait(); err != nil {
				t.Fatal(err)
			}
			c.Store(uidSet(4), storeFlags(`\Deleted`), nil).Close()
			if err := c.Expunge().Close(); err != nil {
				t.Fatal(err)
			}

			res := p.ourSyncOK(t, "-v", "-n", channel, "-u", "cassandane")
			if !strings.Contains(res.Stdout, "USER cassandane") || !strings.Contains(res.Stdout, "MAILBOX user.cassandane") {
				t.Errorf("-v output:\n%s", res.Stdout)
			}
			SameUser(t, p.Master, p.Replica, "cassandane")
			p.CyrusHasNothingToSend(t, "-n", channel, "-u", "cassandane")

			// Incremental: more mail, flag changes, a new folder, a rename.
			p.Master.Deliver(t, "cassandane", 2)
			c.Store(uidSet(3), storeFlags(`\Answered`), nil).Close()
			if err := c.Create("New", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			if err := c.Rename("Work", "Play", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			c.Unsubscribe("Archive").Wait()
			c.Subscribe("New").Wait()
			p.ourSyncOK(t, "-v", "-n", channel, "-u", "cassandane")
			SameUser(t, p.Master, p.Replica, "cassandane")
			p.CyrusHasNothingToSend(t, "-n", channel, "-u", "cassandane")

			// Twice in a row: nothing to apply the second time.
			res = p.ourSyncOK(t, "-v", "-v", "-n", channel, "-u", "cassandane")
			if n := countApplies(res.Stderr); n != 0 {
				t.Errorf("second run sent %d APPLY commands:\n%s", n, res.Stderr)
			}
		})
	}
}

// countApplies counts the APPLY commands (other than the session's APPLY
// CAPABILITIES) a -v -v trace shows the client sending.
func countApplies(trace string) int {
	n := 0
	for _, l := range strings.Split(trace, "\n") {
		if !strings.HasPrefix(l, "C ") || strings.Contains(l, "CAPABILITIES") {
			continue
		}
		if strings.Contains(l, " APPLY ") || strings.HasPrefix(l, "C APPLY ") || strings.Contains(l, " SYNCAPPLY ") {
			n++
		}
	}
	return n
}

// TestCyrusAppliesSeesWork makes sure the "nothing to send" check can
// fail: with new mail on the master, Cyrus's sync_client has work.
func TestCyrusAppliesSeesWork(t *testing.T) {
	RequireCyrus(t)
	p := NewPair(t)
	p.AddUser(t, "cassandane")
	p.Master.Deliver(t, "cassandane", 1)
	if l := p.cyrusApplies(t, "-u", "cassandane"); len(l) == 0 {
		t.Fatal("Cyrus's sync_client sent no APPLY for a new user: the check is blind")
	}
}
