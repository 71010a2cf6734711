package integration

import (
	"crypto/sha1"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestSyncServerSpoolLikeCyrus: one master replicated by Cyrus's
// sync_client into two replicas, one served by Cyrus's sync_server, one by
// ours; the two spools must be the same in what Cyrus's tools show and in
// the files themselves — mailboxes.db (ctl_mboxlist -d), every mailbox
// (mbexamine), quota files, seen and subscription databases, annotations
// (cyr_dbtool), message files — except for the differences listed as
// deliberate or local (times each server stamps itself).
func TestSyncServerSpoolLikeCyrus(t *testing.T) {
	RequireCyrus(t)
	base := TempDir(t)
	theirs := NewReplicaInstance(t, base, "replica", "allowusermoves: yes")
	theirs.Start(t)
	ours := NewReplicaInstance(t, base, "ours", "allowusermoves: yes")
	ours.SyncServer = OursApplet(t, "sync_server")
	ours.WriteConfigs(t)
	ours.Start(t)
	master := NewInstance(t, base, "master", "allowusermoves: yes", "sync_authname: "+SyncUser, "sync_password: "+SyncPassword,
		"sync_host: 127.0.0.1", "sync_try_imap: 0", "sync_port: "+itoa(theirs.CSyncPort),
		"ours_sync_port: "+itoa(ours.CSyncPort), "ours_sync_try_imap: 0")
	master.Start(t)
	p := &Pair{Master: master, Replica: theirs}
	users := richMaster(t, p, ours)
	for _, ch := range [][]string{nil, {"-n", "ours"}} {
		if res := p.CyrusSync(t, append(ch, "-v", "-A")...); res.Code != 0 {
			t.Fatalf("Cyrus's sync_client %v -A: %d\n%s%s", ch, res.Code, res.Stdout, res.Stderr)
		}
	}
	for _, u := range users {
		SameUser(t, master, ours, u)
	}
	compareSpools(t, theirs, ours)

	// Then changes, deletes and renames, replicated by both.
	imapLines(t, master, "alice", UserPassword, "SELECT INBOX", `UID STORE 1:* +FLAGS (\Answered)`, `UID STORE 2 -FLAGS (\Seen)`,
		"UID EXPUNGE 4", `RENAME Sent Sent2`, `DELETE "Work/Projects"`, "UNSUBSCRIBE Sent")
	imapLines(t, master, AdminUser, AdminPassword, `SETQUOTA user/bob (STORAGE 5000 MESSAGE 10)`,
		`SETACL user/carol admin lrswipkxtecdan`, `DELETE user/carol`, `RENAME user/bob user/robert`)
	for _, ch := range [][]string{nil, {"-n", "ours"}} {
		// A user rename reaches the replica as the master logs it (RENAME
		// user.bob user.robert: both names in one mailbox sync, so the
		// client sees the move by uniqueid); -A alone would create robert
		// beside bob's uniqueid, which Cyrus's sync_server refuses too.
		if res := p.CyrusSync(t, append(ch, "-v", "-m", "user/bob", "user/robert")...); res.Code != 0 {
			t.Fatalf("Cyrus's sync_client %v -m user/bob user/robert: %d\n%s%s", ch, res.Code, res.Stdout, res.Stderr)
		}
		if res := p.CyrusSync(t, append(ch, "-v", "-A")...); res.Code != 0 {
			t.Fatalf("Cyrus's sync_client %v -A: %d\n%s%s", ch, res.Code, res.Stdout, res.Stderr)
		}
		for _, u := range []string{"carol", "bob"} { // gone, renamed away: -A no longer lists them
			if res := p.CyrusSync(t, append(ch, "-u", u)...); res.Code != 0 {
				t.Fatalf("Cyrus's sync_client %v -u %s: %d\n%s%s", ch, u, res.Code, res.Stdout, res.Stderr)
			}
		}
	}
	compareSpools(t, theirs, ours)

	// The replicated sieve script runs on both replicas: lmtpd files the
	// junk into Work (ours: compiling the script it finds in #sieve).
	for _, in := range []*Instance{theirs, ours} {
		in.DeliverRaw(t, "alice", []byte("From: x@example.org\r\nSubject: junk offer\r\n\r\nbuy\r\n"))
		got := imapLines(t, in, "alice", UserPassword, "EXAMINE Work", `SEARCH SUBJECT "junk offer"`)
		if len(got) != 1 || got[0] == "* SEARCH" {
			t.Errorf("%s: the sieve script did not file the junk into Work: %q", in.Name, got)
		}
	}
}

// richMaster fills the master: three users; folders, one under a missing
// parent; flags, user flags, an expunge; a quota root; mailbox, message
// and server annotations; subscriptions; seen state on a shared folder; a
// large message; an active sieve script. It returns the users.
func richMaster(t *testing.T, p *Pair, also ...*Instance) []string {
	t.Helper()
	users := []string{"alice", "bob", "carol"}
	for _, u := range users {
		p.AddUser(t, u)
		for _, in := range also {
			in.AddSASLUser(t, u, UserPassword)
		}
	}
	m := p.Master
	m.Deliver(t, "alice", 5)
	m.Deliver(t, "bob", 2)
	m.Deliver(t, "carol", 1)
	big := fmt.Sprintf("From: a@b\r\nSubject: big\r\n\r\n%s\r\n", strings.Repeat("0123456789abcdef\r\n", 100000))
	m.DeliverRaw(t, "bob", []byte(big))
	create(t, m, "alice", "Sent", "Work/Projects")
	imapLines(t, m, "alice", UserPassword,
		"SELECT INBOX", `UID STORE 1 +FLAGS (\Seen)`, `UID STORE 2 +FLAGS (\Flagged $Label1 Work)`,
		`UID STORE 3 +FLAGS (\Deleted)`, "EXPUNGE",
		`UID STORE 1 ANNOTATION (/comment (value.shared "msg note" value.priv "mine"))`,
		`SETMETADATA INBOX (/shared/comment "inbox note" /private/comment "alice's")`,
		"SUBSCRIBE INBOX", "SUBSCRIBE Sent", "UID COPY 1:2 Sent", `SETACL Sent bob lrs`)
	imapLines(t, m, AdminUser, AdminPassword, `SETQUOTA user/alice (STORAGE 100000)`,
		`SETMETADATA "" (/shared/comment "server note")`)
	imapLines(t, m, "bob", UserPassword, `SELECT "Other Users/alice/Sent"`, "FETCH 1 BODY[]", `SUBSCRIBE "Other Users/alice/Sent"`)
	s := m.Sieve(t, "alice", UserPassword)
	s.Put("test1", "require \"fileinto\";\r\nif header :contains \"subject\" \"junk\" { fileinto \"Work\"; }\r\n")
	s.SetActive("test1")
	return users
}

// compareSpools compares what Cyrus's tools and the files show of two
// replicas of the same master.
func compareSpools(t *testing.T, theirs, ours *Instance) {
	t.Helper()
	same := func(what, a, b string) {
		t.Helper()
		a, b = strings.ReplaceAll(a, theirs.Dir, "<dir>"), strings.ReplaceAll(b, ours.Dir, "<dir>")
		if a != b {
			t.Errorf("%s differs (Cyrus's replica vs ours):\n%s", what, lineDiff(a, b))
		}
	}
	mtime := regexp.MustCompile(`"mtime": "[0-9]+"`)
	dump := func(in *Instance) string {
		return mtime.ReplaceAllString(in.Tool(t, "ctl_mboxlist", "-d").Stdout, `"mtime": <local>`)
	}
	same("ctl_mboxlist -d", dump(theirs), dump(ours))
	for _, mb := range listAll(t, theirs) {
		same("mbexamine "+mb, examine(t, theirs, mb), examine(t, ours, mb))
	}
	for _, f := range []string{"annotations.db"} {
		same("cyr_dbtool "+f, dbShow(t, theirs, filepath.Join(theirs.ConfigDir(), f)), dbShow(t, ours, filepath.Join(ours.ConfigDir(), f)))
	}
	for _, sub := range []string{"quota", "user"} {
		same(sub+" files (quota; seen, subscriptions)", treeFiles(t, theirs.ConfigDir(), sub), treeFiles(t, ours.ConfigDir(), sub))
	}
	same("message files", treeFiles(t, theirs.Dir, "spool"), treeFiles(t, ours.Dir, "spool"))
	same("sieve directories", treeFiles(t, theirs.Dir, "sieve"), treeFiles(t, ours.Dir, "sieve"))
	theirs.Healthy(t, "alice")
	ours.Healthy(t, "alice")
}

// listAll lists every mailbox as admin (external names).
func listAll(t *testing.T, in *Instance) []string { return adminList(t, in, "*") }

// examine is mbexamine of a mailbox, without what each server stamps with
// its own clock or counters.
func examine(t *testing.T, in *Instance, mb string) string {
	t.Helper()
	out := in.Tool(t, "mbexamine", mb).Stdout
	local := regexp.MustCompile(`(?m)^( *(Last Append Date|Last Repack Time|Generation|Last Change|Cache CRC|Record CRC).*)$`)
	return local.ReplaceAllString(out, "")
}

// treeFiles lists the files under dir/sub with a digest of each: message
// files and databases must be alike byte for byte; cyrus.* files are left
// out (mbexamine compares those), and so are staging leftovers.
func treeFiles(t *testing.T, dir, sub string) string {
	t.Helper()
	var lines []string
	root := filepath.Join(dir, sub)
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, "/cyrus.") || strings.Contains(path, "/sync.") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if strings.HasSuffix(path, ".bc") {
			// Cyrus compiles bytecode as it stores a script; we leave it to
			// lmtpd, which compiles a missing one (README; checked below
			// by a delivery)
			return nil
		}
		if strings.HasSuffix(path, "/dav.db") {
			out := Run(t, nil, "sqlite3", path, "PRAGMA user_version; SELECT creationdate, lastupdated, mailbox, imap_uid, modseq, createdmodseq, id, name, contentid, isactive, alive FROM sieve_scripts ORDER BY rowid;")
			lines = append(lines, rel+":\n"+out.Stdout+out.Stderr)
			return nil
		}
		if strings.HasSuffix(path, ".db") && !strings.HasSuffix(path, "/sub.db") || strings.HasSuffix(path, ".conversations") {
			// twoskip (3.10 gives each user a conversations database too):
			// equal contents, not bytes (record levels are random)
			lines = append(lines, rel+":\n"+cyrDBShow(t, path))
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			lines = append(lines, rel+" -> "+target)
			return nil
		}
		b, _ := os.ReadFile(path)
		lines = append(lines, fmt.Sprintf("%s %x %d", rel, sha1.Sum(b), len(b)))
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// cyrDBShow is `cyr_dbtool <db> twoskip show`.
func cyrDBShow(t *testing.T, path string) string {
	t.Helper()
	return Run(t, nil, filepath.Join(CyrusBin, "cyr_dbtool"), path, "twoskip", "show").Stdout
}
