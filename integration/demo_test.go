package integration

import (
	"strings"
	"testing"
)

// TestDemo is what `make demo` shows (and an ordinary test): a real Cyrus
// master and replica on loopback, mail delivered to the master, our
// sync_client replicating it, and the two sides compared over IMAP.
func TestDemo(t *testing.T) {
	RequireCyrus(t)
	p := NewPair(t)
	t.Logf("master: Cyrus 3.6 in %s (imap %d); replica: Cyrus 3.6 in %s (imap %d, csync %d)",
		p.Master.Dir, p.Master.IMAPPort, p.Replica.Dir, p.Replica.IMAPPort, p.Replica.CSyncPort)
	p.AddUser(t, "alice")
	p.Master.Deliver(t, "alice", 5)
	c := p.Master.IMAP(t, "alice", UserPassword)
	for _, f := range []string{"Archive", "Projects", "Projects/2026"} {
		if err := c.Create(f, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	c.Subscribe("Archive").Wait()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Store(uidSet(1, 2), storeFlags(`\Seen`), nil).Close()
	c.Copy(uidSet(3), "Archive").Wait()
	t.Logf("populated alice on the master: 5 messages, 3 folders, flags, a copy, a subscription")

	res := p.ourSyncOK(t, "-v", "-u", "alice")
	t.Logf("$ sync_client -C master/imapd.conf -v -u alice   (ours)\n%s", strings.TrimSpace(res.Stdout))
	SameUser(t, p.Master, p.Replica, "alice")
	t.Logf("replica over IMAP:\n%s", p.Replica.DumpUser(t, "alice"))
	p.CyrusHasNothingToSend(t, "-u", "alice")
	t.Logf("Cyrus's own sync_client, run after ours, finds nothing to send")
}
