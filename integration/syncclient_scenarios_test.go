package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestSyncClientScenarios runs issue 5's scenarios for our sync_client's
// non-rolling modes against a real Cyrus master and replica, on both
// transports, one pair per transport: after each, the replica agrees with
// the master over IMAP (and ManageSieve), a second run of ours sends no
// APPLY and Cyrus's sync_client finds nothing to send.
func TestSyncClientScenarios(t *testing.T) {
	RequireCyrus(t)
	for _, channel := range []string{"csync", "imap"} {
		t.Run(channel, func(t *testing.T) {
			(&scenario{p: NewPair(t), channel: channel}).run(t)
		})
	}
}

// TestSyncClientScenariosPipelined: every scenario with our sync_client's
// mailbox updates pipelined, two commands unanswered at most (so that
// replies are read while more are sent), on both transports.
func TestSyncClientScenariosPipelined(t *testing.T) {
	RequireCyrus(t)
	for _, channel := range []string{"csync", "imap"} {
		t.Run(channel, func(t *testing.T) {
			(&scenario{p: NewPair(t), channel: channel, ourArgs: []string{"--pipeline", "2"}}).run(t)
		})
	}
}

// run runs every scenario on one pair, in order.
func (sc *scenario) run(t *testing.T) {
	t.Run("FolderDeleteDelayed", sc.folderDeleteDelayed)
	t.Run("SeenSharedFolder", sc.seenSharedFolder)
	t.Run("RenameChain", sc.renameChain)
	t.Run("ManyUserFlags", sc.manyUserFlags)
	t.Run("OddNamesAndDuplicates", sc.oddNamesAndDuplicates)
	t.Run("Sieve", sc.sieve)
	t.Run("MailboxMode", sc.mailboxMode)
	t.Run("ObjectFiles", sc.objectFiles)
	t.Run("ExpungePurged", sc.expungePurged)
	t.Run("Quota", sc.quota)
	t.Run("Annotations", sc.annotations)
	t.Run("BigMessage", sc.bigMessage)
	t.Run("ManyMessages", sc.manyMessages)
	t.Run("All", sc.all)
}

// seenSharedFolder: one user shares a folder, another reads it: the seen
// state lives in the reader's seen db.
func (sc *scenario) seenSharedFolder(t *testing.T) {
	p, owner, reader := sc.p, "sowner", "sreader"
	p.AddUser(t, owner)
	p.AddUser(t, reader)
	p.Master.Deliver(t, owner, 3)
	create(t, p.Master, owner, "Shared")
	copyAll(t, p.Master, owner, "Shared")
	c := p.Master.IMAP(t, owner, UserPassword)
	if err := c.SetACL("Shared", imap.RightsIdentifier(reader), imap.RightModificationReplace, imap.RightSet("lrs")).Wait(); err != nil {
		t.Fatalf("setacl: %v", err)
	}
	rc := p.Master.IMAP(t, reader, UserPassword)
	if _, err := rc.Select("Other Users/"+owner+"/Shared", nil).Wait(); err != nil {
		t.Fatalf("select shared: %v", err)
	}
	if err := rc.Store(uidSet(1, 2), storeFlags(`\Seen`), nil).Close(); err != nil {
		t.Fatalf("store seen: %v", err)
	}
	rc.Unselect().Wait()
	sc.sync(t, sc.sameUsers(owner, reader), "-u", owner, reader)

	// The owner widens the ACL, the reader subscribes to the folder.
	if err := c.SetACL("Shared", imap.RightsIdentifier(reader), imap.RightModificationReplace, imap.RightSet("lrsw")).Wait(); err != nil {
		t.Fatalf("setacl: %v", err)
	}
	if err := p.Master.IMAP(t, reader, UserPassword).Subscribe("Other Users/" + owner + "/Shared").Wait(); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	sc.sync(t, func(t *testing.T) {
		sc.sameUsers(owner, reader)(t)
		sc.sameIMAP(t, owner, UserPassword, "GETACL Shared")
	}, "-u", owner, reader)

	// More reading later: only the reader's seen changes.
	rc = p.Master.IMAP(t, reader, UserPassword)
	if _, err := rc.Select("Other Users/"+owner+"/Shared", nil).Wait(); err != nil {
		t.Fatalf("select shared: %v", err)
	}
	rc.Store(uidSet(3), storeFlags(`\Seen`), nil).Close()
	rc.Store(uidSet(1), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: Flags(`\Seen`), Silent: true}, nil).Close()
	rc.Unselect().Wait()
	sc.sync(t, sc.sameUsers(owner, reader), "-u", owner, reader)
	// -s (meta) alone carries seen too (but not the owner's mailbox, whose
	// HIGHESTMODSEQ a reader's seen change bumps: compare flags only).
	rc = p.Master.IMAP(t, reader, UserPassword)
	rc.Select("Other Users/"+owner+"/Shared", nil).Wait()
	rc.Store(uidSet(1), storeFlags(`\Seen`), nil).Close()
	rc.Unselect().Wait()
	sc.sync(t, func(t *testing.T) {
		l := sc.sameIMAP(t, reader, UserPassword, `EXAMINE "Other Users/`+owner+`/Shared"`, "UID FETCH 1:* FLAGS")
		if len(l) != 3 || !strings.Contains(l[0], `\Seen`) {
			t.Errorf("reader's flags: %q", l)
		}
	}, "-s", reader)
}

// manyUserFlags: more user flags than fit one 32-bit word of the index.
func (sc *scenario) manyUserFlags(t *testing.T) {
	p, user := sc.p, "flagger"
	p.AddUser(t, user)
	p.Master.Deliver(t, user, 3)
	c := p.Master.IMAP(t, user, UserPassword)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var flags []string
	for i := range 40 {
		flags = append(flags, fmt.Sprintf("$Flag%02d", i))
	}
	c.Store(uidSet(1), storeFlags(flags...), nil).Close()
	c.Store(uidSet(2), storeFlags(flags[30:]...), nil).Close()
	c.Unselect().Wait()
	sc.sync(t, sc.sameUsers(user), "-u", user)
	c.Select("INBOX", nil).Wait()
	c.Store(uidSet(1), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: Flags(flags[33:36]...), Silent: true}, nil).Close()
	c.Store(uidSet(3), storeFlags("$Flag39", "$New"), nil).Close()
	c.Unselect().Wait()
	sc.sync(t, sc.sameUsers(user), "-u", user)
}

// sieve: scripts uploaded, changed, deactivated and deleted over
// ManageSieve; in 3.6 they replicate as the #sieve mailbox.
func (sc *scenario) sieve(t *testing.T) {
	p, user := sc.p, "siever"
	p.AddUser(t, user)
	want := ""
	same := func(t *testing.T) {
		t.Helper()
		m := p.Master.Sieve(t, user, UserPassword).Dump()
		r := p.Replica.Sieve(t, user, UserPassword).Dump()
		if m != r {
			t.Errorf("sieve scripts differ:\n--- master\n%s--- replica\n%s", m, r)
		}
		if !strings.Contains(m, want) {
			t.Errorf("master's scripts lack %q:\n%s", want, m)
		}
		sc.sameUsers(user)(t)
	}
	s := p.Master.Sieve(t, user, UserPassword)
	s.Put("vacation", "keep;\r\n")
	s.Put("filter", "require \"fileinto\";\r\nif header :contains \"subject\" \"x\" { fileinto \"INBOX\"; }\r\n")
	s.SetActive("filter")
	want = "filter active=true"
	sc.sync(t, same, "-u", user)

	s.Put("filter", "require \"fileinto\";\r\nif header :contains \"subject\" \"y\" { fileinto \"INBOX\"; }\r\n")
	want = `\"y\"`
	sc.sync(t, same, "-u", user)

	s.SetActive("")
	want = "filter active=false"
	sc.sync(t, same, "-u", user)

	s.Delete("filter")
	s.Delete("vacation")
	want = ""
	sc.sync(t, same, "-u", user)
	if d := p.Replica.Sieve(t, user, UserPassword).Dump(); d != "" {
		t.Errorf("replica still has scripts:\n%s", d)
	}
}

// mailboxMode: -m with external names (the admin's namespace): INBOX and
// a folder of a new user, then the folder alone, then INBOX alone. (A
// folder alone before its user's INBOX exists on the replica fails with
// Cyrus's sync_client too: the replica refuses the APPLY MAILBOX.)
func (sc *scenario) mailboxMode(t *testing.T) {
	p, user := sc.p, "mover"
	p.AddUser(t, user)
	p.Master.Deliver(t, user, 3)
	create(t, p.Master, user, "Archive")
	copyAll(t, p.Master, user, "Archive")
	out := sc.sync(t, sc.sameUsers(user), "-m", "user/"+user, "user/"+user+"/Archive")
	if !strings.Contains(out, "MAILBOX user."+user+".Archive") {
		t.Errorf("-v output:\n%s", out)
	}
	copyAll(t, p.Master, user, "Archive")
	out = sc.sync(t, sc.sameUsers(user), "-m", "user/"+user+"/Archive")
	if strings.Contains(out, "MAILBOX user."+user+"\n") {
		t.Errorf("-m Archive synced INBOX:\n%s", out)
	}
	p.Master.Deliver(t, user, 1)
	sc.sync(t, sc.sameUsers(user), "-m", "user/"+user)
}

// objectFiles: -f with a file of users (-u) and a file of mailboxes (-m),
// comments and empty lines included.
func (sc *scenario) objectFiles(t *testing.T) {
	p := sc.p
	for _, u := range []string{"fileu1", "fileu2"} {
		p.AddUser(t, u)
		p.Master.Deliver(t, u, 2)
	}
	create(t, p.Master, "fileu1", "Sub")
	users := objectFile(t, "# users", "fileu1", "", "fileu2")
	sc.sync(t, sc.sameUsers("fileu1", "fileu2"), "-f", users, "-u")

	p.Master.Deliver(t, "fileu1", 2)
	copyAll(t, p.Master, "fileu1", "Sub")
	boxes := objectFile(t, "user/fileu1", "# a comment", "user/fileu1/Sub")
	sc.sync(t, sc.sameUsers("fileu1"), "-f", boxes, "-m")
}

// expungePurged: messages expunged and purged at once by cyr_expire on
// the master before the replica heard of the expunge (HIGHESTMODSEQ of the
// replica below the master's DELETEDMODSEQ): only a full update can tell
// the replica, which then expunges them.
func (sc *scenario) expungePurged(t *testing.T) {
	p, user := sc.p, "purgeu"
	p.AddUser(t, user)
	p.Master.Deliver(t, user, 5)
	sc.sync(t, sc.sameUsers(user), "-u", user)
	c := p.Master.IMAP(t, user, UserPassword)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Store(uidSet(2, 4), storeFlags(`\Deleted`), nil).Close()
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	c.Store(uidSet(3), storeFlags(`\Flagged`), nil).Close()
	c.Unselect().Wait()
	if res := p.Master.Tool(t, "cyr_expire", "-X", "0"); res.Code != 0 {
		t.Fatalf("cyr_expire: exit %d: %s", res.Code, res.Stderr)
	}
	out := sc.sync(t, sc.sameUsers(user), "-u", user)
	if !strings.Contains(out, "FULLMAILBOX user."+user+"\n") {
		t.Errorf("no full update:\n%s", out)
	}
}

// quota: a quota root set and changed, a second root on a folder, the
// first made unlimited (IMAP cannot remove a root in 3.6; deleting the
// folder of a root with delete_mode immediate does, see
// TestSyncClientScenarioImmediateDelete).
func (sc *scenario) quota(t *testing.T) {
	p, user := sc.p, "quotau"
	p.AddUser(t, user)
	p.Master.Deliver(t, user, 2)
	create(t, p.Master, user, "Sub", "Q")
	root := "user/" + user
	a := p.Master.IMAP(t, AdminUser, AdminPassword)
	want := map[string]string{}
	same := func(t *testing.T) {
		t.Helper()
		for _, box := range []string{"Sub", "Q"} {
			l := sc.sameIMAP(t, AdminUser, AdminPassword, "GETQUOTAROOT "+root+"/"+box)
			if !strings.Contains(strings.Join(l, "\n"), want[box]) {
				t.Errorf("GETQUOTAROOT %s: %q lacks %q", box, l, want[box])
			}
		}
		sc.sameUsers(user)(t)
	}
	setQuota := func(root string, limits map[imap.QuotaResourceType]int64) {
		t.Helper()
		if err := a.SetQuota(root, limits).Wait(); err != nil {
			t.Fatalf("setquota %s %v: %v", root, limits, err)
		}
	}
	setQuota(root, map[imap.QuotaResourceType]int64{imap.QuotaResourceStorage: 1000})
	want["Sub"], want["Q"] = "* QUOTA "+root+" (STORAGE 1 1000)", "* QUOTA "+root+" (STORAGE 1 1000)"
	sc.sync(t, same, "-u", user)
	setQuota(root+"/Q", map[imap.QuotaResourceType]int64{imap.QuotaResourceMessage: 7})
	want["Q"] = "* QUOTA " + root + "/Q (MESSAGE 0 7)"
	sc.sync(t, same, "-u", user)
	setQuota(root, map[imap.QuotaResourceType]int64{imap.QuotaResourceStorage: 2000, imap.QuotaResourceMessage: 100})
	want["Sub"] = "* QUOTA " + root + " (STORAGE 1 2000 MESSAGE 2 100)"
	sc.sync(t, same, "-u", user)
	setQuota(root, map[imap.QuotaResourceType]int64{})
	want["Sub"] = "* QUOTA " + root + " ()"
	sc.sync(t, same, "-u", user)

}

// annotations: mailbox annotations (shared and private) and message
// annotations, set, changed, removed.
func (sc *scenario) annotations(t *testing.T) {
	p, user := sc.p, "annotu"
	p.AddUser(t, user)
	p.Master.Deliver(t, user, 3)
	create(t, p.Master, user, "Notes")
	want := "msg note"
	same := func(t *testing.T) {
		t.Helper()
		for _, box := range []string{"INBOX", "Notes"} {
			// Not DEPTH infinity: …/lastupdate is each side's own index write time.
			sc.sameIMAP(t, user, UserPassword, "GETMETADATA "+box+" (/shared/comment /private/comment)")
		}
		l := sc.sameIMAP(t, user, UserPassword, "EXAMINE INBOX",
			"UID FETCH 1:* (ANNOTATION ((/comment /altsubject) (value.shared value.priv)))")
		if !strings.Contains(strings.Join(l, "\n"), want) {
			t.Errorf("message annotations lack %q: %q", want, l)
		}
		sc.sameUsers(user)(t)
	}
	c := p.Master.IMAP(t, user, UserPassword)
	v1, v2, v3 := []byte("private note"), []byte("shared note"), []byte("folder note")
	if err := c.SetMetadata("INBOX", map[string]*[]byte{"/private/comment": &v1, "/shared/comment": &v2}).Wait(); err != nil {
		t.Fatalf("setmetadata: %v", err)
	}
	if err := c.SetMetadata("Notes", map[string]*[]byte{"/shared/comment": &v3}).Wait(); err != nil {
		t.Fatalf("setmetadata: %v", err)
	}
	rawIMAP(t, p.Master, user, UserPassword, "SELECT INBOX",
		`UID STORE 1 ANNOTATION (/comment (value.shared "msg note" value.priv "mine"))`,
		`UID STORE 2 ANNOTATION (/altsubject (value.shared "other subject"))`)
	sc.sync(t, same, "-u", user)

	v4 := []byte("changed note")
	if err := c.SetMetadata("INBOX", map[string]*[]byte{"/private/comment": nil, "/shared/comment": &v4}).Wait(); err != nil {
		t.Fatalf("setmetadata: %v", err)
	}
	rawIMAP(t, p.Master, user, UserPassword, "SELECT INBOX",
		`UID STORE 1 ANNOTATION (/comment (value.shared NIL value.priv "changed"))`,
		`UID STORE 3 ANNOTATION (/comment (value.shared "new"))`)
	want = `"new"`
	sc.sync(t, same, "-u", user)
}

// bigMessage: one 20 MB message appended over IMAP.
func (sc *scenario) bigMessage(t *testing.T) {
	p, user := sc.p, "bigu"
	p.AddUser(t, user)
	line := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/", 1) + "\r\n"
	body := strings.Repeat(line, 20<<20/len(line))
	multiAppend(t, p.Master, user, "INBOX", [][]byte{message(user, 1, body)})
	sc.sync(t, sc.sameUsers(user), "-u", user)
}

// manyMessages: 5,000 messages in one folder.
func (sc *scenario) manyMessages(t *testing.T) {
	p, user := sc.p, "manyu"
	p.AddUser(t, user)
	create(t, p.Master, user, "Lots")
	msgs := make([][]byte, 5000)
	for i := range msgs {
		msgs[i] = message(user, i, "")
	}
	multiAppend(t, p.Master, user, "Lots", msgs)
	c := p.Master.IMAP(t, user, UserPassword)
	if _, err := c.Select("Lots", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var some imap.UIDSet
	some.AddRange(100, 199)
	c.Store(some, storeFlags(`\Seen`, "$Done"), nil).Close()
	c.Unselect().Wait()
	sc.sync(t, sc.sameUsers(user), "-u", user)

	// An incremental change in the big folder: a few flags, an expunge.
	c.Select("Lots", nil).Wait()
	c.Store(uidSet(7, 4000), storeFlags(`\Flagged`), nil).Close()
	c.Store(uidSet(5), storeFlags(`\Deleted`), nil).Close()
	c.Expunge().Close()
	c.Unselect().Wait()
	sc.sync(t, sc.sameUsers(user), "-u", user)

	// Copies of what the replica holds already: reserved there, not sent.
	if err := c.Create("Copy", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Select("Lots", nil).Wait()
	var all imap.SeqSet
	all.AddRange(1, 0)
	if _, err := c.Copy(all, "Copy").Wait(); err != nil {
		t.Fatal(err)
	}
	c.Unselect().Wait()
	res := p.ourSyncOK(t, "-v", "-v", "-n", sc.channel, "-u", user)
	if strings.Contains(res.Stderr, "APPLY MESSAGE") || !strings.Contains(res.Stderr, "APPLY RESERVE") {
		t.Errorf("copies were uploaded again, or not reserved:\n%s", applyLines(res.Stderr))
	}
	sc.sync(t, sc.sameUsers(user), "-u", user)
}

// all: -A over every user plus a shared mailbox, then -A with a prefix.
func (sc *scenario) all(t *testing.T) {
	p := sc.p
	for _, u := range []string{"allu1", "allu2", "allreader"} {
		p.AddUser(t, u)
		p.Master.Deliver(t, u, 2)
	}
	create(t, p.Master, "allu2", "Folder", "Folder/Deep")
	a := p.Master.IMAP(t, AdminUser, AdminPassword)
	for _, m := range []string{"shared", "shared/folder"} {
		if err := a.Create(m, nil).Wait(); err != nil {
			t.Fatalf("create %s: %v", m, err)
		}
	}
	if err := a.SetACL("shared/folder", "allreader", imap.RightModificationReplace, imap.RightSet("lrswi")).Wait(); err != nil {
		t.Fatalf("setacl: %v", err)
	}
	multiAppend(t, p.Master, "allreader", "Shared Folders/shared/folder",
		[][]byte{message("shared", 1, ""), message("shared", 2, "")})
	// (No annotation on it: this Cyrus 3.6.1 imapd drops the connection on
	// SETMETADATA of a non-user mailbox, whoever asks.)
	same := func(t *testing.T) {
		t.Helper()
		sc.sameUsers("allu1", "allu2", "allreader")(t)
		sc.sameAdminList(t, "*")
		sc.sameIMAP(t, AdminUser, AdminPassword, "GETACL shared/folder")
	}
	sc.sync(t, same, "-A")

	// Only the shared mailboxes, by prefix (internal names).
	multiAppend(t, p.Master, "allreader", "Shared Folders/shared/folder", [][]byte{message("shared", 3, "")})
	out := sc.sync(t, same, "-A", "shared")
	if strings.Contains(out, "USER ") {
		t.Errorf("-A shared synced users:\n%s", out)
	}
	p.Master.Deliver(t, "allu1", 1)
	out = sc.sync(t, same, "-A", "user.allu1")
	if !strings.Contains(out, "USER allu1") || strings.Contains(out, "USER allu2") {
		t.Errorf("-A user.allu1:\n%s", out)
	}
}
