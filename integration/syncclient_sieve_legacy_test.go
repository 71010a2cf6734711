package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/cache"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// TestSyncClientLegacySieveLikeCyrus: a user whose scripts are still
// "<name>.script" files in the sieve directory (with their bytecode and
// the defaultbc link, as an older Cyrus's timsieved left them), one of
// them active, one the JMAP vacation script. Two pairs start from that
// same state; Cyrus's sync_client -u replicates one, ours the other, and
// ours a third whose replica runs our sync_server.
// Cyrus's moves the scripts into the master's #sieve first, which then
// replicates; ours must do the same: on each master and each replica the
// #sieve records, the messages' scripts, the dav.db rows and the sieve
// directory must be what they are after Cyrus's, and so must the master's
// sync log. Then the replica's lmtpd files a message by the active
// script, and Cyrus's sync_client finds nothing left to send.
func TestSyncClientLegacySieveLikeCyrus(t *testing.T) {
	RequireCyrus(t)
	const user = "legacy"
	cyrus, ours := NewPair(t, "sync_log: 1"), NewPair(t, "sync_log: 1")
	oursBoth := NewPairOurServer(t, "sync_log: 1")
	scripts := []struct{ name, text string }{ // written in this order
		{"other", "keep;\r\n"},
		{"filer", "require \"fileinto\";\r\nif header :contains \"subject\" \"legacy\" { fileinto \"Trash\"; }\r\n"},
		{"jmap_vacation", "keep;\r\n"},
	}
	for _, p := range []*Pair{cyrus, ours, oursBoth} {
		p.AddUser(t, user)
		create(t, p.Master, user, "Trash")
		sp := openSpool(t, p.Master)
		dir, err := sp.SieveDir(user)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range scripts {
			src := filepath.Join(dir, s.name+".script")
			if err := os.WriteFile(src, []byte(s.text), 0o644); err != nil {
				t.Fatal(err)
			}
			if res := p.Master.Tool(t, "sievec", src, filepath.Join(dir, s.name+".bc")); res.Code != 0 {
				t.Fatalf("sievec %s: %s%s", s.name, res.Stdout, res.Stderr)
			}
		}
		if err := os.Symlink("filer.bc", filepath.Join(dir, "defaultbc")); err != nil {
			t.Fatal(err)
		}
		Chown(t, filepath.Join(p.Master.Dir, "sieve"))
		if _, err := sp.LookupName(sp.SieveMailbox(user)); err == nil {
			t.Fatalf("%s: the user has a #sieve mailbox before the sync", p.Master.Dir)
		}
	}

	if res := cyrus.CyrusSync(t, "-u", user); res.Code != 0 {
		t.Fatalf("Cyrus's sync_client -u: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	for _, p := range []*Pair{ours, oursBoth} {
		if res := p.OurSync(t, "-u", user); res.Code != 0 {
			t.Fatalf("our sync_client -u: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
		}
	}
	for _, side := range []struct {
		what string
		a, b *Instance
	}{{"master", cyrus.Master, ours.Master}, {"replica", cyrus.Replica, ours.Replica},
		{"master (our sync_server)", cyrus.Master, oursBoth.Master}, {"our sync_server's replica", cyrus.Replica, oursBoth.Replica}} {
		a, b := legacySieveState(t, side.a, user), legacySieveState(t, side.b, user)
		if a != b {
			t.Errorf("%s after Cyrus's sync_client and after ours:\n%s", side.what, lineDiff(a, b))
		}
		if !strings.Contains(a, "active filer") {
			t.Errorf("%s after Cyrus's sync_client: no active script filer?\n%s", side.what, a)
		}
	}
	if a, b := syncLogText(t, cyrus.Master), syncLogText(t, ours.Master); a != b {
		t.Errorf("master's sync log after Cyrus's sync_client and after ours:\n%s", lineDiff(a, b))
	}

	// The scripts run on the replicas: the active one files the message.
	for _, in := range []*Instance{cyrus.Replica, ours.Replica, oursBoth.Replica} {
		in.DeliverRaw(t, user, []byte(fmt.Sprintf("From: x@example.org\r\nSubject: legacy filter\r\nMessage-ID: <%d@cyrepl.test>\r\n\r\nbody\r\n", time.Now().UnixNano())))
		got := imapLines(t, in, user, UserPassword, "EXAMINE Trash", `SEARCH SUBJECT "legacy filter"`)
		if len(got) != 1 || got[0] == "* SEARCH" {
			t.Errorf("%s: the active script did not file the message into Trash: %q", in.Name, got)
		}
	}
	// Nothing left: ours again moves nothing, Cyrus's sends nothing.
	before := legacySieveState(t, ours.Master, user)
	if res := ours.OurSync(t, "-u", user); res.Code != 0 {
		t.Fatalf("our sync_client -u again: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if after := legacySieveState(t, ours.Master, user); after != before {
		t.Errorf("a second run of ours changed the master:\n%s", lineDiff(before, after))
	}
	ours.CyrusHasNothingToSend(t, "-u", user)
}

// legacySieveState is what a user's sieve state looks like on an
// instance, without what differs by nature between two servers (times,
// the random script ids, the #sieve uniqueid): each #sieve record (UID,
// modseqs, flags, script name and content of its message), each dav.db
// row (the mailbox column checked against #sieve's uniqueid), and the
// sieve directory (bytecode files, links and their targets, scripts).
func legacySieveState(t *testing.T, in *Instance, user string) string {
	t.Helper()
	sp := openSpool(t, in)
	var b strings.Builder
	e, err := sp.LookupName(sp.SieveMailbox(user))
	if err != nil {
		fmt.Fprintf(&b, "#sieve: %v\n", err)
	} else {
		m := sieveSnapshot(t, sp, user)
		fmt.Fprintf(&b, "#sieve type %s last_uid %d highestmodseq %d\n", e.Type, m.LastUID, m.HighestModseq)
		for i := range m.Records {
			r := &m.Records[i]
			path, err := sp.RecordPath(m, r)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tl, err := cache.ParseTopLevel(msg)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			subject := ""
			if tl.Subject != nil {
				subject = *tl.Subject
			}
			fmt.Fprintf(&b, "record uid %d modseq %d createdmodseq %d system %#x subject %q script %s\n",
				r.UID, r.Modseq, r.CreatedModseq, r.System, subject, guid.Sum(msg[tl.HeaderSize:]))
		}
		path, _ := sp.UserFilePath(user, "dav")
		for _, row := range davRows(t, path) {
			id := row.ID
			if !strings.HasPrefix(id, "urn:") {
				id = "<random>"
			}
			if row.Mailbox != m.UniqueID {
				fmt.Fprintf(&b, "row %q: mailbox %s is not #sieve's %s\n", row.Name, row.Mailbox, m.UniqueID)
			}
			fmt.Fprintf(&b, "row uid %d modseq %d createdmodseq %d id %s name %q contentid %s active %v alive %v\n",
				row.IMAPUID, row.Modseq, row.CreatedModseq, id, row.Name, row.ContentID, row.IsActive, row.Alive)
			if row.IsActive {
				fmt.Fprintf(&b, "active %s\n", row.Name)
			}
		}
	}
	for _, n := range sieveDirListing(t, sp, user) {
		fmt.Fprintf(&b, "file %s\n", n)
	}
	return b.String()
}

// syncLogText is the master's sync log (the default channel), uniqueids
// aside.
func syncLogText(t *testing.T, in *Instance) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(in.ConfigDir(), "sync", "log"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return normVerbose(string(b))
}
