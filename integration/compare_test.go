package integration

import (
	"fmt"
	"os"
	"path/filepath"
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

// recorder is a testing.TB that keeps the errors instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Helper() {}

// TestHealthyCatchesDamage makes sure the replica check can fail: a
// message file removed behind Cyrus's back must be reported.
func TestHealthyCatchesDamage(t *testing.T) {
	RequireCyrus(t)
	p := NewPair(t)
	p.AddUser(t, "cassandane")
	p.Master.Deliver(t, "cassandane", 2)
	if res := p.CyrusSync(t, "-u", "cassandane"); res.Code != 0 {
		t.Fatalf("Cyrus sync: %s", res.Stderr)
	}
	r := &recorder{TB: t}
	p.Replica.Healthy(r, "cassandane")
	if len(r.errs) > 0 {
		t.Fatalf("a healthy replica reported: %q", r.errs)
	}
	dir := strings.TrimSpace(p.Replica.Tool(t, "mbpath", "user/cassandane").Stdout)
	if err := os.Remove(filepath.Join(dir, "1.")); err != nil {
		t.Fatal(err)
	}
	p.Replica.Healthy(r, "cassandane")
	if len(r.errs) == 0 {
		t.Fatal("a missing message file went unnoticed")
	}
}
