package integration

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// TestSpoolVirtDomains reads a spool with virtual domains (a user in
// example.com, one in the default domain) and compares names, paths, lock
// files and index contents with what Cyrus's mbpath and mbexamine print
// for the same mailboxes.
func TestSpoolVirtDomains(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "master", "virtdomains: userid", "defaultdomain: example.org")
	in.Start(t)
	a := in.IMAP(t, AdminUser, AdminPassword)
	for _, m := range []string{"user/fred@example.com", "user/fred/Work@example.com", "user/bob", "user/bob@example.org"} {
		err := a.Create(m, nil).Wait()
		if err != nil && !strings.Contains(m, "example.org") {
			t.Fatalf("create %s: %v", m, err)
		}
	}
	in.Deliver(t, "fred@example.com", 2)
	in.Deliver(t, "bob", 1)

	sp := openSpool(t, in)
	ns := conf.Namespace{Sep: '/', VirtDomains: true, DefaultDomain: "example.org", DeletedPrefix: "DELETED"}
	users, err := sp.Users(context.Background()) // in mailboxes.db order
	if err != nil || strings.Join(users, " ") != "fred@example.com bob" {
		t.Errorf("users %q %v", users, err)
	}
	want := map[string]int{"example.com!user.fred": 2, "example.com!user.fred.Work": 0, "user.bob": 1}
	for name, n := range want {
		e, err := sp.LookupName(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		ext, err := ns.External(name)
		if err != nil {
			t.Fatal(err)
		}
		var paths struct{ Data, Meta string }
		r := in.Tool(t, "mbpath", "-j", ext)
		if err := json.Unmarshal([]byte(r.Stdout), &paths); err != nil {
			t.Fatalf("mbpath -j %s: %v %s", ext, err, r.Stdout+r.Stderr)
		}
		if data, _ := sp.MailboxDir(e); data != paths.Data {
			t.Errorf("%s: data dir %s, mbpath %s", name, data, paths.Data)
		}
		// Cyrus made the owner's namespace lock file where we look for it
		// (checked before our snapshot, which would create it).
		if l := sp.LockPath(spool.UserLockName(ns.UserIDOf(name))); !exists(l) {
			t.Errorf("%s: no namespace lock file at %s", name, l)
		}
		m, err := sp.Snapshot(context.Background(), name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(m.Records) != n {
			t.Errorf("%s: %d records, want %d", name, len(m.Records), n)
		}
		exam := in.Tool(t, "mbexamine", ext).Stdout
		if !strings.Contains(exam, "  Unique ID: "+m.UniqueID+"\n") {
			t.Errorf("%s: mbexamine %s does not show uniqueid %s:\n%s", name, ext, m.UniqueID, exam)
		}
		for _, r := range m.Records {
			if !strings.Contains(exam, "GUID:"+r.GUID.String()) {
				t.Errorf("%s uid %d: GUID %s not in mbexamine", name, r.UID, r.GUID)
			}
			if err := sp.VerifyMessage(m, &r); err != nil {
				t.Errorf("%s uid %d: %v", name, r.UID, err)
			}
		}
	}
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }
