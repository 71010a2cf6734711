package integration

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// getReplica is a real Cyrus replica filled by Cyrus's own replication,
// with Cyrus's sync_server and ours both listening on UNIX sockets (no
// login there), for comparing what each answers.
type getReplica struct {
	p           *Pair
	cyrus, ours string // sockets
	uniqueids   []string
	inboxID     string
}

// newGetReplica replicates a varied master with Cyrus's sync_client -A:
// folders (one under an intermediate), flags and user flags, an expunge,
// a quota root, mailbox and server annotations, subscriptions, seen state
// on another user's folder, an active sieve script.
func newGetReplica(t *testing.T) *getReplica {
	t.Helper()
	RequireCyrus(t)
	base := TempDir(t)
	replica := NewReplicaInstance(t, base, "replica")
	cyrusSock := filepath.Join(replica.ConfigDir(), "socket", "cs")
	replica.Services = []string{csyncUnixService(replica, "csyncunix", replica.Cyrus.Prog("sync_server"), cyrusSock)}
	replica.WriteConfigs(t)
	replica.Start(t)
	master := NewInstance(t, base, "master", "sync_host: 127.0.0.1", "sync_port: "+itoa(replica.CSyncPort),
		"sync_try_imap: 0", "sync_authname: "+SyncUser, "sync_password: "+SyncPassword)
	master.Start(t)
	p := &Pair{Master: master, Replica: replica}
	for _, u := range []string{"alice", "bob"} {
		p.AddUser(t, u)
	}
	m := p.Master
	m.Deliver(t, "alice", 4)
	m.Deliver(t, "bob", 1)
	create(t, m, "alice", "Sent", "Work/Projects")
	imapLines(t, m, "alice", UserPassword,
		"SELECT INBOX", `UID STORE 1 +FLAGS (\Seen)`, `UID STORE 2 +FLAGS (\Flagged $Label1)`,
		`UID STORE 3 +FLAGS (\Deleted)`, "EXPUNGE",
		`SETMETADATA INBOX (/shared/comment "inbox note")`,
		"SUBSCRIBE INBOX", "SUBSCRIBE Sent", "UID COPY 1:2 Sent", `SETACL Sent bob lrs`)
	imapLines(t, m, AdminUser, AdminPassword, `SETQUOTA user/alice (STORAGE 100000)`,
		`SETMETADATA "" (/shared/comment "server note")`)
	imapLines(t, m, "bob", UserPassword, `SELECT "Other Users/alice/Sent"`, "FETCH 1 BODY[]", `SUBSCRIBE "Other Users/alice/Sent"`)
	s := m.Sieve(t, "alice", UserPassword)
	s.Put("test1", "keep;\r\n")
	s.SetActive("test1")
	if res := p.CyrusSync(t, "-A"); res.Code != 0 {
		t.Fatalf("Cyrus's sync_client -A: %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	ours := filepath.Join(replica.ConfigDir(), "socket", "ours")
	OursListening(t, replica, ours)
	g := &getReplica{p: p, cyrus: cyrusSock, ours: ours}
	user := DialRaw(t, cyrusSock).Do(t, "GET USER alice")
	for _, m := range regexp.MustCompile(`UNIQUEID ([0-9a-z]+) MBOXNAME ([^ ]+)`).FindAllStringSubmatch(user, -1) {
		g.uniqueids = append(g.uniqueids, m[1])
		if m[2] == "user.alice" {
			g.inboxID = m[1]
		}
	}
	if g.inboxID == "" {
		t.Fatalf("no user.alice in GET USER:\n%s", user)
	}
	return g
}

// TestSyncServerGetLikeCyrus: every GET of Cyrus 3.6, asked of Cyrus's
// sync_server and of ours on the same replica spool, answered with the
// same bytes — with and without SIEVE-MAILBOX.
func TestSyncServerGetLikeCyrus(t *testing.T) {
	g := newGetReplica(t)
	full := DialRaw(t, g.cyrus).Do(t, "GET FULLMAILBOX user.alice")
	guid := regexp.MustCompile(`UID 1 MODSEQ \d+ LAST_UPDATED \d+ FLAGS \([^)]*\) INTERNALDATE \d+ SIZE \d+ GUID ([0-9a-f]{40})`).FindStringSubmatch(full)
	if guid == nil {
		t.Fatalf("no record of UID 1 in\n%s", full)
	}
	gets := []string{
		"GET USER alice", "GET USER bob", "GET USER nosuch",
		"GET META alice", "GET META bob", "GET META nosuch",
		"GET MAILBOXES (user.alice user.alice.Sent user.alice.Work user.alice.Work.Projects user.nosuch)",
		"GET UNIQUEIDS (" + strings.Join(g.uniqueids, " ") + " nosuchid)",
		"GET FULLMAILBOX user.alice", "GET FULLMAILBOX user.alice.Work", "GET FULLMAILBOX user.nosuch",
		"GET QUOTA user.alice", "GET QUOTA user.nosuch",
		`GET ANNOTATION ""`, "GET ANNOTATION user.alice", "GET ANNOTATION user/alice", "GET ANNOTATION user/alice*",
		"GET FETCH %(MBOXNAME user.alice PARTITION default UNIQUEID " + g.inboxID + " GUID " + guid[1] + " UID 1)",
		"GET FETCH %(MBOXNAME user.alice PARTITION default UNIQUEID " + g.inboxID + " GUID " + guid[1] + " UID 99)",
		"GET FETCH %(MBOXNAME user.alice PARTITION default UNIQUEID " + g.inboxID + " GUID " + strings.Repeat("0", 40) + " UID 1)",
		"GET FETCH %(MBOXNAME user.alice)",
		"GET NOSUCH x",
	}
	t.Run("legacy-sieve", func(t *testing.T) {
		SameReplies(t, DialRaw(t, g.cyrus), DialRaw(t, g.ours), append(gets,
			"GET FETCH_SIEVE %(USERID alice FILENAME test1.script)",
			"GET FETCH_SIEVE %(USERID alice FILENAME nosuch.script)")...)
	})
	t.Run("sieve-mailbox", func(t *testing.T) {
		SameReplies(t, DialRaw(t, g.cyrus), DialRaw(t, g.ours), append([]string{"APPLY CAPABILITIES (SIEVE-MAILBOX)"}, gets...)...)
	})
	t.Run("session", func(t *testing.T) {
		SameReplies(t, DialRaw(t, g.cyrus), DialRaw(t, g.ours), "NOOP", "RESTART", "FOO", "", "GET", "GET USER )",
			"APPLY NOSUCH x", "COMPRESS", "NOOP extra", "EXIT")
	})
}
