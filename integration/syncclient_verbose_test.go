package integration

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestSyncClientScenarioVerboseLikeCyrus: two pairs populated alike, one
// replicated by Cyrus's sync_client -v, the other by ours: the -v lines on
// stdout must be the same (uniqueids aside), for an initial -A and for an
// incremental -u after renames, deletes, quota and subscription changes.
func TestSyncClientScenarioVerboseLikeCyrus(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	cyrus, ours := NewPair(t), NewPair(t)
	for _, p := range []*Pair{cyrus, ours} {
		verbosePopulate(t, p, 1)
	}
	both := func(args ...string) Result {
		t.Helper()
		c, _, _ := syncLikeCyrus(t, sl, func() Result { return cyrus.CyrusSync(t, args...) },
			func() Result { return ours.OurSync(t, args...) })
		return c
	}
	both("-v", "-l", "-A")
	for _, p := range []*Pair{cyrus, ours} {
		verbosePopulate(t, p, 2)
	}
	both("-v", "-l", "-u", "verba", "verbb")
	both("-v", "-l", "-m", "shared/folder", "user/verba/Moved")
	both("-v", "-l", "-s", "verbb")
	both("-v", "-l", "-u", "ghost", "verbb")
	// A full update: expunged messages purged before the replica heard.
	for _, p := range []*Pair{cyrus, ours} {
		verbosePopulate(t, p, 3)
	}
	both("-v", "-l", "-u", "verbb")
	// Two folders swap names: Cyrus 3.6 cannot order the renames (it
	// tries three times and fails, exit 1), neither can we; same lines.
	for _, p := range []*Pair{cyrus, ours} {
		verbosePopulate(t, p, 4)
	}
	if res := both("-v", "-l", "-u", "verba"); res.Code != 1 || !strings.Contains(res.Stdout, "RENAME") {
		t.Errorf("Cyrus's sync_client managed the swap? exit %d\n%s", res.Code, res.Stdout)
	}
	// A shared mailbox deleted (delayed): -A sends DELETED.shared.… as a
	// mailbox of its own (mailbox mode looks names up, never uniqueids),
	// which the replica refuses: its shared.folder has that uniqueid. A
	// limit of Cyrus 3.6's -A; rolling mode logs both names together.
	for _, p := range []*Pair{cyrus, ours} {
		verbosePopulate(t, p, 5)
	}
	if res := both("-v", "-l", "-A", "DELETED"); res.Code != 1 {
		t.Errorf("Cyrus's sync_client -A DELETED: exit %d\n%s", res.Code, res.Stdout)
	}
	// Errors: a user the replica refuses (a folder whose INBOX is missing there).
	for _, p := range []*Pair{cyrus, ours} {
		p.AddUser(t, "verbc")
		create(t, p.Master, "verbc", "Lone")
	}
	if res := both("-v", "-l", "-m", "user/verbc/Lone"); res.Code != 1 {
		t.Errorf("Cyrus's sync_client: exit %d", res.Code)
	}
}

// syncLikeCyrus runs Cyrus's sync_client (cyrusRun), then ours (oursRun),
// each with the syslog taken around it, and compares their -v output and
// syslog lines; it returns both results and our lines.
func syncLikeCyrus(t *testing.T, sl *Syslog, cyrusRun, oursRun func() Result) (c, o Result, ol []SyslogLine) {
	t.Helper()
	sl.Take("sync_client")
	c = cyrusRun()
	cl := sl.Take("sync_client")
	o = oursRun()
	ol = sl.Take("sync_client")
	compareVerbose(t, c, o)
	compareSyslog(t, cl, ol)
	return c, o, ol
}

// compareSyslog compares what both sync_clients logged, uniqueids and
// delayed-delete suffixes aside.
func compareSyslog(t *testing.T, cyrus, ours []SyslogLine) {
	t.Helper()
	text := func(ls []SyslogLine) string {
		var b strings.Builder
		for _, l := range ls {
			fmt.Fprintf(&b, "fac=%d sev=%d %s\n", l.Facility, l.Severity, l.Msg)
		}
		return normVerbose(b.String())
	}
	if c, o := text(cyrus), text(ours); c != o {
		t.Errorf("syslog differs:\n--- Cyrus\n%s--- ours\n%s", c, o)
	}
}

// uniqueIDs are the uniqueids in -v lines (SEEN <user> <uniqueid>);
// deletedHex the time-based suffixes of delayed-delete names.
var (
	uniqueIDs  = regexp.MustCompile(`\b[a-z0-9]{24}\b`)
	deletedHex = regexp.MustCompile(`(DELETED\.\S+)\.[0-9A-F]{8}\b`)
	guids      = regexp.MustCompile(`\b[0-9a-f]{40}\b`)
)

// normVerbose replaces uniqueids and delayed-delete suffixes.
func normVerbose(s string) string {
	s = guids.ReplaceAllString(s, "<guid>")
	return deletedHex.ReplaceAllString(uniqueIDs.ReplaceAllString(s, "<uniqueid>"), "$1.<hex>")
}

func compareVerbose(t *testing.T, cyrus, ours Result) {
	t.Helper()
	c, o := normVerbose(cyrus.Stdout), normVerbose(ours.Stdout)
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
	case 4:
		c := m.IMAP(t, "verba", UserPassword)
		for _, r := range [][2]string{{"Play", "T"}, {"Moved", "Play"}, {"T", "Moved"}} {
			if err := c.Rename(r[0], r[1], nil).Wait(); err != nil {
				t.Fatal(err)
			}
		}
	case 5:
		a := m.IMAP(t, AdminUser, AdminPassword)
		a.SetACL("shared/folder", AdminUser, imap.RightModificationReplace, imap.RightSet("lrswipkxtecda")).Wait()
		if err := a.Delete("shared/folder").Wait(); err != nil {
			t.Fatal(err)
		}
	case 3:
		m.Deliver(t, "verbb", 3)
		rawIMAP(t, m, "verbb", UserPassword, "SELECT INBOX", "UID STORE 1,3 +FLAGS (\\Deleted)", "EXPUNGE")
		if res := m.Tool(t, "cyr_expire", "-X", "0"); res.Code != 0 {
			t.Fatalf("cyr_expire: %s", res.Stderr)
		}
	}
}
