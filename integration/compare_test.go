package integration

import (
	"strings"
	"testing"
)

// TestCompareSeesReplication checks the comparison itself with Cyrus on
// both ends: it must see a difference before Cyrus's sync_client runs and
// none after, on both transports.
func TestCompareSeesReplication(t *testing.T) {
	RequireCyrus(t)
	p := NewPair(t)
	p.AddUser(t, "cassandane")
	p.Master.Deliver(t, "cassandane", 3)
	c := p.Master.IMAP(t, "cassandane", UserPassword)
	if err := c.Create("Archive", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Subscribe("Archive").Wait()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(uidSet(1), storeFlags("\\Seen", "$Label1"), nil).Close(); err != nil {
		t.Fatal(err)
	}
	if m, r := p.Master.DumpUser(t, "cassandane"), p.Replica.DumpUser(t, "cassandane"); m == r {
		t.Fatalf("the comparison sees no difference before any sync:\n%s", m)
	}
	for _, channel := range []string{"csync", "imap"} {
		res := p.CyrusSync(t, "-v", "-n", channel, "-u", "cassandane")
		if res.Code != 0 {
			t.Fatalf("Cyrus sync_client -n %s: exit %d\n%s%s", channel, res.Code, res.Stdout, res.Stderr)
		}
		SameUser(t, p.Master, p.Replica, "cassandane")
	}
	d := p.Master.DumpUser(t, "cassandane")
	t.Logf("dump:\n%s", d)
	if !strings.Contains(d, "$Label1") || !strings.Contains(d, "subscribed: Archive") {
		t.Errorf("the dump misses what the test set:\n%s", d)
	}
}
