package integration

import (
	"regexp"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestSyncClientScenarioVerboseLikeCyrus: two pairs populated alike, one
// replicated by Cyrus's sync_client -v, the other by ours: the -v lines on
// stdout must be the same (uniqueids aside), for an initial -A and for an
// incremental -u after renames, deletes, quota and subscription changes.
func TestSyncClientScenarioVerboseLikeCyrus(t *testing.T) {
	RequireCyrus(t)
	cyrus, ours := NewPair(t), NewPair(t)
	for _, p := range []*Pair{cyrus, ours} {
		verbosePopulate(t, p, 1)
	}
	compareVerbose(t, cyrus.CyrusSync(t, "-v", "-A"), ours.OurSync(t, "-v", "-A"))
	for _, p := range []*Pair{cyrus, ours} {
		verbosePopulate(t, p, 2)
	}
	args := []string{"-v", "-u", "verba", "verbb"}
	compareVerbose(t, cyrus.CyrusSync(t, args...), ours.OurSync(t, args...))
	args = []string{"-v", "-m", "shared/folder", "user/verba/Moved"}
	compareVerbose(t, cyrus.CyrusSync(t, args...), ours.OurSync(t, args...))
	args = []string{"-v", "-s", "verbb"}
	compareVerbose(t, cyrus.CyrusSync(t, args...), ours.OurSync(t, args...))
}

// uniqueIDs are the uniqueids in -v lines (SEEN <user> <uniqueid>);
// deletedHex the time-based suffixes of delayed-delete names.
var (
	uniqueIDs  = regexp.MustCompile(`\b[a-z0-9]{24}\b`)
	deletedHex = regexp.MustCompile(`(DELETED\.\S+)\.[0-9A-F]{8}\b`)
)

func compareVerbose(t *testing.T, cyrus, ours Result) {
	t.Helper()
	norm := func(s string) string {
		return deletedHex.ReplaceAllString(uniqueIDs.ReplaceAllString(s, "<uniqueid>"), "$1.<hex>")
	}
	c, o := norm(cyrus.Stdout), norm(ours.Stdout)
	if cyrus.Code != ours.Code || c != o {
		t.Errorf("-v output differs (exit %d vs %d):\n--- Cyrus\n%s--- ours\n%s%s", cyrus.Code, ours.Code, c, o, ours.Stderr)
	}
}

// verbosePopulate builds the same state on a pair's master, in stages.
func verbosePopulate(t *testing.T, p *Pair, stage int) {
	t.Helper()
	m := p.Master
	switch stage {
	case 1:
		for _, u := range []string{"verba", "verbb"} {
			p.AddUser(t, u)
			m.Deliver(t, u, 2)
		}
		create(t, m, "verba", "Work", "Work/Sub", "Old", "Gone")
		copyAll(t, m, "verba", "Work")
		c := m.IMAP(t, "verba", UserPassword)
		c.Subscribe("Work").Wait()
		if err := c.SetACL("Work", "verbb", imap.RightModificationReplace, imap.RightSet("lrs")).Wait(); err != nil {
			t.Fatal(err)
		}
		v := []byte("note")
		c.SetMetadata("INBOX", map[string]*[]byte{"/shared/comment": &v}).Wait()
		rawIMAP(t, m, "verbb", UserPassword, `SELECT "Other Users/verba/Work"`, "STORE 1 +FLAGS (\\Seen)")
		m.Sieve(t, "verba", UserPassword).Put("s", "keep;\r\n")
		a := m.IMAP(t, AdminUser, AdminPassword)
		for _, f := range []string{"shared", "shared/folder"} {
			a.Create(f, nil).Wait()
		}
		a.SetACL("shared/folder", "verbb", imap.RightModificationReplace, imap.RightSet("lrsi")).Wait()
		multiAppend(t, m, "verbb", "Shared Folders/shared/folder", [][]byte{message("shared", 1, "")})
		a.SetQuota("user/verba", map[imap.QuotaResourceType]int64{imap.QuotaResourceStorage: 1000}).Wait()
	case 2:
		c := m.IMAP(t, "verba", UserPassword)
		if err := c.Rename("Old", "Moved", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		if err := c.Rename("Work", "Play", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		c.Delete("Gone").Wait()
		c.Unsubscribe("Work").Wait()
		c.Subscribe("Play").Wait()
		m.Deliver(t, "verba", 1)
		copyAll(t, m, "verba", "Moved")
		multiAppend(t, m, "verbb", "Shared Folders/shared/folder", [][]byte{message("shared", 2, "")})
		rawIMAP(t, m, "verbb", UserPassword, `SELECT "Other Users/verba/Play"`, "STORE 2 +FLAGS (\\Seen)")
		a := m.IMAP(t, AdminUser, AdminPassword)
		a.SetQuota("user/verba", map[imap.QuotaResourceType]int64{imap.QuotaResourceStorage: 2000}).Wait()
	}
}
