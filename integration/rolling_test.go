package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestRollingLive: our rolling sync_client and Cyrus's, each following
// its own channel of one master to its own replica, while mail arrives and
// users change things over IMAP and ManageSieve (flags, folders, renames,
// deletes, sharing and seen state, subscriptions, sieve, quota, mailbox
// and server annotations, expunges, a user renamed, a user deleted): both
// replicas end up as the master (over IMAP; Cyrus's chk_cyrus and
// reconstruct clean). The shutdown file stops both with exit 0 and nothing
// left to process; -1 consumes the log once; replaying everything the
// master logged with -f, twice, changes nothing, and ours prints the same
// actions as Cyrus's for it.
func TestRollingLive(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	tr := newTrio(t, []string{"ours", "cyrus"})
	m := tr.master
	for _, u := range []string{"rola", "rolb", "rolren", "roldel"} {
		tr.addUser(t, u)
	}
	for _, in := range []*Instance{m, tr.replicas["ours"], tr.replicas["cyrus"]} {
		in.AddSASLUser(t, "rolnew", UserPassword)
	}
	ours := tr.startRolling(t, tr.ours(t), "ours")
	cyrus := tr.startRolling(t, cyrusClient(tr.master), "cyrus")

	// First wave: mail, folders, flags, sharing, seen state.
	m.Deliver(t, "rola", 3)
	m.Deliver(t, "rolb", 2)
	m.Deliver(t, "rolren", 2)
	m.Deliver(t, "roldel", 1)
	create(t, m, "rola", "Work", "Work/Sub", "Old")
	copyAll(t, m, "rola", "Work")
	c := m.IMAP(t, "rola", UserPassword)
	if err := c.Subscribe("Work").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Store(uidSet(1), storeFlags(`\Seen`, "$Label1"), nil).Close()
	c.Store(uidSet(2), storeFlags(`\Flagged`), nil).Close()
	c.Unselect().Wait()
	if err := c.SetACL("Work", "rolb", imap.RightModificationReplace, imap.RightSet("lrs")).Wait(); err != nil {
		t.Fatal(err)
	}
	rawIMAP(t, m, "rolb", UserPassword, `SELECT "Other Users/rola/Work"`, `STORE 1:2 +FLAGS (\Seen)`)
	tr.waitIdle(t, "ours", "cyrus")
	tr.sameAcross(t, "rola", "rolb", "rolren", "roldel")

	// Second wave: renames, deletes, subscriptions, sieve, quota,
	// annotations, expunge, a user renamed, a user deleted.
	if err := c.Rename("Old", "Moved", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("Work/Sub").Wait(); err != nil {
		t.Fatal(err)
	}
	c.Unsubscribe("Work").Wait()
	c.Subscribe("Moved").Wait()
	s := m.Sieve(t, "rola", UserPassword)
	s.Put("filter", "require \"fileinto\";\r\nif header :contains \"subject\" \"x\" { fileinto \"INBOX.Work\"; }\r\n")
	s.SetActive("filter")
	a := m.IMAP(t, AdminUser, AdminPassword)
	if err := a.SetQuota("user/rola", map[imap.QuotaResourceType]int64{imap.QuotaResourceStorage: 1000}).Wait(); err != nil {
		t.Fatal(err)
	}
	note := []byte("a note")
	if err := c.SetMetadata("INBOX", map[string]*[]byte{"/shared/comment": &note}).Wait(); err != nil {
		t.Fatal(err)
	}
	rawIMAP(t, m, AdminUser, AdminPassword, `SETMETADATA "" (/shared/comment "server note")`)
	rawIMAP(t, m, "rola", UserPassword, "SELECT INBOX", `UID STORE 3 +FLAGS (\Deleted)`, "EXPUNGE")
	m.Deliver(t, "rola", 2)
	rawIMAP(t, m, AdminUser, AdminPassword, "RENAME user/rolren user/rolnew")
	rawIMAP(t, m, AdminUser, AdminPassword, "SETACL user/roldel admin lrswipkxtecda", "DELETE user/roldel")
	tr.waitIdle(t, "ours", "cyrus")
	var details func(t *testing.T)
	check := func(t *testing.T) {
		t.Helper()
		tr.sameAcross(t, "rola", "rolb", "rolnew")
		t.Run("details", func(t *testing.T) { details(t) })
	}
	details = func(t *testing.T) {
		tr.sameLines(t, AdminUser, AdminPassword, "GETQUOTAROOT user/rola")
		tr.sameLines(t, "rola", UserPassword, "GETMETADATA INBOX /shared/comment")
		tr.sameLines(t, AdminUser, AdminPassword, `GETMETADATA "" /shared/comment`)
		tr.sameLines(t, "rola", UserPassword, "GETACL Work")
		tr.sameLines(t, AdminUser, AdminPassword, `LIST "" "user/rol*"`)
		ms := m.Sieve(t, "rola", UserPassword).Dump()
		for ch, r := range tr.replicas {
			if rs := r.Sieve(t, "rola", UserPassword).Dump(); rs != ms {
				t.Errorf("sieve on %s:\n%s\nmaster:\n%s", ch, rs, ms)
			}
		}
		if l := strings.Join(adminList(t, m, "user/rol*"), " "); strings.Contains(l, "rolren") ||
			strings.Contains(l, "roldel") || !strings.Contains(l, "user/rolnew") {
			t.Errorf("the master's users: %q", l)
		}
	}
	check(t)

	if code := ours.stop(t); code != 0 {
		t.Errorf("ours: exit %d after the shutdown file\n%s", code, ours.stderr.String())
	}
	if code := cyrus.stop(t); code != 0 {
		t.Errorf("Cyrus's: exit %d after the shutdown file", code)
	}
	for _, ch := range []string{"ours", "cyrus"} {
		if p := tr.pending(ch); len(p) > 0 {
			t.Errorf("%s: %q left after the shutdown", ch, p)
		}
	}

	// -1: one log, then exit; both print and log the same (in some order:
	// Cyrus takes the users in hash-table order).
	m.Deliver(t, "rolb", 2)
	c.Store(uidSet(1), storeFlags(`\Answered`), nil).Close()
	sl.Take(rollingSyslogPrefix + "/sync_client")
	var once [2]string
	for i, ch := range []string{"ours", "cyrus"} {
		prog := map[string]string{"ours": tr.ours(t), "cyrus": cyrusClient(tr.master)}[ch]
		if len(tr.pending(ch)) == 0 {
			t.Fatalf("%s: nothing logged", ch)
		}
		res := tr.master.Run(t, nil, prog, "-C", m.Conf(), "-R", "-1", "-v", "-l", "-n", ch)
		if res.Code != 0 {
			t.Errorf("%s -1: exit %d %s", ch, res.Code, res.Stderr)
		}
		if p := tr.pending(ch); len(p) > 0 {
			t.Errorf("%s -1 left %q", ch, p)
		}
		var b strings.Builder
		for _, l := range sl.Take(rollingSyslogPrefix + "/sync_client") {
			fmt.Fprintf(&b, "%d %s\n", l.Severity, l.Msg)
		}
		once[i] = sortedLines(normVerbose(res.Stdout)) + "\n--- syslog\n" + sortedLines(normVerbose(b.String()))
	}
	if !strings.Contains(once[1], "6 MAILBOX user.rolb") {
		t.Errorf("Cyrus's -1 did not sync rolb:\n%s", once[1])
	}
	if once[0] != once[1] {
		t.Errorf("-1:\n--- ours\n%s\n--- Cyrus\n%s", once[0], once[1])
	}
	check(t)

	// Everything the master logged, replayed twice: nothing changes.
	replay := filepath.Join(tr.base, "replay.log")
	b, err := os.ReadFile(filepath.Join(tr.channelDir("replay"), "log"))
	if err != nil {
		t.Fatal(err)
	}
	cyrusFile(t, replay, b)
	before := map[string]string{}
	for ch, r := range tr.replicas {
		before[ch] = r.DumpUser(t, "rola") + r.DumpUser(t, "rolb") + r.DumpUser(t, "rolnew")
	}
	var outs [3]Result
	for i, run := range []struct{ prog, ch string }{{tr.ours(t), "ours"}, {tr.ours(t), "ours"}, {cyrusClient(tr.master), "cyrus"}} {
		outs[i] = tr.master.Run(t, nil, run.prog, "-C", m.Conf(), "-r", "-f", replay, "-n", run.ch, "-v")
		if outs[i].Code != 0 {
			t.Errorf("replay %d (%s): exit %d\n%s%s", i, run.ch, outs[i].Code, outs[i].Stdout, outs[i].Stderr)
		}
	}
	for ch, r := range tr.replicas {
		if after := r.DumpUser(t, "rola") + r.DumpUser(t, "rolb") + r.DumpUser(t, "rolnew"); after != before[ch] {
			t.Errorf("replaying changed replica %s:\n%s\nbefore:\n%s", ch, after, before[ch])
		}
	}
	t.Logf("replayed by Cyrus's:\n%s", outs[2].Stdout)
	if o, c := sortedLines(normVerbose(outs[1].Stdout)), sortedLines(normVerbose(outs[2].Stdout)); o != c {
		t.Errorf("replay -v differs:\n--- Cyrus\n%s\n--- ours\n%s", c, o)
	}
	check(t)
}
