package integration

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/cache"
	"github.com/cyrus-replication/cyrus-replication/spool/davdb"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// TestSpoolSieveDifferential: a user's scripts are put, activated,
// replaced, deactivated and deleted over ManageSieve on one real Cyrus
// (A); after each step the records of A's #sieve are applied to the same
// user's #sieve on another (B) by our mailbox writer, whose commit keeps
// B's dav.db and sieve directory. Then B must look as A: dav.db rows
// column by column (the mailbox column is each side's #sieve uniqueid),
// the same CREATE statements and user_version, the sieve directory's
// defaultbc link (B has no bytecode until lmtpd compiles it), timsieved's
// LISTSCRIPTS/GETSCRIPT; and LMTP deliveries on B are filed by the active
// script, also right after it was replaced (the stale bytecode must not
// run). Each #sieve message of A is also rebuilt by our SieveMessage,
// byte for byte.
func TestSpoolSieveDifferential(t *testing.T) {
	RequireCyrus(t)
	ctx := context.Background()
	const user = "sv"
	base := TempDir(t)
	a := NewInstance(t, base, "siva")
	b := NewInstance(t, base, "sivb")
	a.Start(t)
	b.Start(t)
	for _, in := range []*Instance{a, b} {
		in.CreateUser(t, user)
		c := in.IMAP(t, user, UserPassword)
		for _, f := range []string{"Trash", "Archive"} {
			if err := c.Create(f, nil).Wait(); err != nil {
				t.Fatalf("%s: create %s: %v", in.Name, f, err)
			}
		}
	}
	// B's #sieve is made by timsieved's login, as Cyrus makes it; its
	// dav.db goes, so that ours is created from nothing.
	spA, spB := openSpool(t, a), openSpool(t, b)
	sieveSession(t, a, spA, user, func(*ManageSieve) {})
	sieveSession(t, b, spB, user, func(*ManageSieve) {})
	davB, err := spB.UserFilePath(user, "dav")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(davB); err != nil {
		t.Fatalf("B's dav.db: %v", err)
	}

	if hA, hB := sieveSnapshot(t, spA, user).HighestModseq, sieveSnapshot(t, spB, user).HighestModseq; hA != hB {
		t.Fatalf("the two new #sieve mailboxes start at HIGHESTMODSEQ %d and %d", hA, hB)
	}
	step := func(what string, op func()) {
		t.Helper()
		op()
		replaySieve(t, spA, spB, user)
		compareSieve(t, what, a, b, spA, spB, user)
	}
	deliver := func(want string) {
		t.Helper()
		before := sieveCounts(t, b, user)
		b.DeliverRaw(t, user, []byte(fmt.Sprintf("From: s@example.org\r\nTo: sv@example.org\r\nSubject: for %s\r\n"+
			"Message-ID: <%d@cyrepl.test>\r\n\r\nbody\r\n", want, time.Now().UnixNano())))
		after := sieveCounts(t, b, user)
		for _, f := range []string{"INBOX", "Trash", "Archive"} {
			exp := before[f]
			if f == want {
				exp++
			}
			if after[f] != exp {
				t.Errorf("delivery on B: %s holds %d messages, want %d (filed into %s)", f, after[f], exp, want)
			}
		}
	}

	var puts []string // the names put, in order: #sieve UID 1, 2, …
	put := func(name, script string) {
		sieveSession(t, a, spA, user, func(ms *ManageSieve) { ms.Put(name, script) })
		puts = append(puts, name)
	}
	setActive := func(name string) {
		sieveSession(t, a, spA, user, func(ms *ManageSieve) { ms.SetActive(name) })
	}
	del := func(name string) {
		sieveSession(t, a, spA, user, func(ms *ManageSieve) { ms.Delete(name) })
	}
	long := strings.Repeat("a long script name ", 5)
	step("put filter", func() { put("filter", "require \"fileinto\";\r\nfileinto \"Trash\";\r\n") })
	step("activate filter", func() { setActive("filter") })
	step("put other", func() { put("other", "keep;\r\n") })
	step("put a non-ASCII name", func() { put("f\u00fcr dich", "keep;\r\n") })
	step("put a long name", func() { put(long, "keep;\r\n") })
	deliver("Trash")
	if l := sieveDirListing(t, spB, user); !slices.Contains(l, "filter.bc") {
		t.Errorf("lmtpd did not compile the active script on B: %v", l)
	}
	step("replace filter", func() { put("filter", "require \"fileinto\";\r\nfileinto \"Archive\";\r\n") })
	deliver("Archive")
	step("activate other", func() { setActive("other") })
	deliver("INBOX")
	step("deactivate", func() { setActive("") })
	step("delete filter", func() { del("filter") })
	step("delete the long name", func() { del(long) })
	deliver("INBOX")

	// GET USER's clean-up on B keeps what A's sieve directory keeps.
	dirB, _ := spB.SieveDir(user)
	os.WriteFile(filepath.Join(dirB, "stray.bc"), nil, 0o644)
	if removed, err := spB.CleanSieveDir(ctx, user); err != nil || !slices.Equal(removed, []string{"stray.bc"}) {
		t.Errorf("clean-up removed %v, %v", removed, err)
	}
	checkSieveMessages(t, a, spA, user, puts)
}

// sieveSession runs op in a ManageSieve session as user, logs out and
// waits until timsieved has let the #sieve mailbox go: it holds the
// mailbox's name lock for the whole session.
func sieveSession(t *testing.T, in *Instance, sp *spool.Spool, user string, op func(*ManageSieve)) {
	t.Helper()
	ms := in.Sieve(t, user, UserPassword)
	op(ms)
	ms.cmd("logout", "LOGOUT")
	ms.conn.Close()
	e, err := sp.LookupName(sp.SieveMailbox(user))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		l, err := sp.TryLock(spool.MailboxLockName(e), true)
		if err == nil {
			l.Release()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: #sieve still locked after the ManageSieve session: %v", in.Name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sieveSnapshot(t *testing.T, sp *spool.Spool, user string) *spool.Mailbox {
	t.Helper()
	m, err := sp.Snapshot(context.Background(), sp.SieveMailbox(user))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// replaySieve applies the records of from's #sieve that to lacks or has
// with other flags, in the order of their modseqs (the order A made
// them), through our mailbox writer: appends and rewrites that take new
// modseqs, as Cyrus's own changes did on A.
func replaySieve(t *testing.T, from, to *spool.Spool, user string) {
	t.Helper()
	src := sieveSnapshot(t, from, user)
	w, err := to.OpenMailboxWriter(context.Background(), to.SieveMailbox(user))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	type change struct {
		modseq uint64
		apply  func() error
	}
	var changes []change
	for i := range src.Records {
		r := src.Records[i]
		sys, internal := r.System&0xffff, r.System&^0xffff
		cur, ok := w.Record(r.UID)
		if ok {
			if cur.SystemFlags != sys || cur.InternalFlags != internal {
				cur.SystemFlags, cur.InternalFlags = sys, internal
				changes = append(changes, change{r.Modseq, func() error { return w.Rewrite(cur) }})
			}
			continue
		}
		path, err := from.RecordPath(src, &r)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := cache.Parse(msg)
		if err != nil {
			t.Fatal(err)
		}
		rec := index.Record{UID: r.UID, InternalDate: r.InternalDate, Size: m.Size, GUID: m.GUID,
			SystemFlags: sys, InternalFlags: internal, CreatedModseq: r.CreatedModseq}
		ce := spool.CacheEntry{Bytes: m.Entry, CRC: m.CRC, Version: m.CacheVersion, HeaderSize: m.HeaderSize}
		ce.SentDate, ce.GMTime = m.WithInternalDate(r.InternalDate)
		changes = append(changes, change{r.Modseq, func() error { return w.AppendMessage(rec, bytes.NewReader(msg), ce) }})
	}
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].modseq < changes[j].modseq })
	for _, c := range changes {
		if err := c.apply(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

// compareSieve checks B against A after a step.
func compareSieve(t *testing.T, what string, a, b *Instance, spA, spB *spool.Spool, user string) {
	t.Helper()
	mA, mB := sieveSnapshot(t, spA, user), sieveSnapshot(t, spB, user)
	if len(mA.Records) != len(mB.Records) || mA.HighestModseq != mB.HighestModseq {
		t.Fatalf("%s: #sieve: A has %d records up to modseq %d, B %d up to %d", what,
			len(mA.Records), mA.HighestModseq, len(mB.Records), mB.HighestModseq)
	}
	for i := range mA.Records {
		ra, rb := mA.Records[i], mB.Records[i]
		if ra.UID != rb.UID || ra.Modseq != rb.Modseq || ra.CreatedModseq != rb.CreatedModseq || ra.System != rb.System || ra.GUID != rb.GUID || ra.InternalDate != rb.InternalDate {
			t.Errorf("%s: record %d: A %+v, B %+v", what, i, ra, rb)
		}
	}
	pathA, _ := spA.UserFilePath(user, "dav")
	pathB, _ := spB.UserFilePath(user, "dav")
	rowsA, rowsB := davRows(t, pathA), davRows(t, pathB)
	if len(rowsA) != len(rowsB) {
		t.Errorf("%s: dav.db rows:\nA %v\nB %v", what, rowsA, rowsB)
	}
	for i := range min(len(rowsA), len(rowsB)) {
		ra, rb := rowsA[i], rowsB[i]
		if ra.Mailbox != mA.UniqueID || rb.Mailbox != mB.UniqueID {
			t.Errorf("%s: row %d: mailbox %s / %s, want the #sieve uniqueids %s / %s", what, i, ra.Mailbox, rb.Mailbox, mA.UniqueID, mB.UniqueID)
		}
		rb.Mailbox = ra.Mailbox
		if ra != rb {
			t.Errorf("%s: row %d:\nA %v\nB %v", what, i, ra, rb)
		}
	}
	if sa, sb := davSchema(t, pathA), davSchema(t, pathB); sa != sb {
		t.Errorf("%s: dav.db schema:\nA %s\nB %s", what, sa, sb)
	}
	// The sieve directories: the same defaultbc link; B has bytecode only
	// where lmtpd compiled it, and only for scripts A has bytecode of.
	la, lb := sieveDirListing(t, spA, user), sieveDirListing(t, spB, user)
	noBC := func(l []string) (rest, bc []string) {
		for _, n := range l {
			if strings.HasSuffix(n, ".bc") {
				bc = append(bc, n)
			} else {
				rest = append(rest, n)
			}
		}
		return rest, bc
	}
	restA, bcA := noBC(la)
	restB, bcB := noBC(lb)
	if !slices.Equal(restA, restB) {
		t.Errorf("%s: sieve directory: A %v, B %v", what, la, lb)
	}
	for _, f := range bcB {
		if !slices.Contains(bcA, f) {
			t.Errorf("%s: B has bytecode %s that A has not (A %v)", what, f, la)
		}
	}
	var da, db string
	sieveSession(t, a, spA, user, func(ms *ManageSieve) { da = ms.Dump() })
	sieveSession(t, b, spB, user, func(ms *ManageSieve) { db = ms.Dump() })
	if da != db {
		t.Errorf("%s: timsieved lists:\nA %s\nB %s", what, da, db)
	}
}

func davDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// davRows reads sieve_scripts, every column, in rowid order.
func davRows(t *testing.T, path string) []davdb.SieveScript {
	t.Helper()
	rows, err := davDB(t, path).Query("SELECT rowid, creationdate, lastupdated, mailbox, imap_uid, modseq, createdmodseq, id, name, contentid, isactive, alive FROM sieve_scripts ORDER BY rowid")
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer rows.Close()
	var out []davdb.SieveScript
	for rows.Next() {
		var s davdb.SieveScript
		if err := rows.Scan(&s.RowID, &s.CreationDate, &s.LastUpdated, &s.Mailbox, &s.IMAPUID, &s.Modseq,
			&s.CreatedModseq, &s.ID, &s.Name, &s.ContentID, &s.IsActive, &s.Alive); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// davSchema is user_version and every object's CREATE statement.
func davSchema(t *testing.T, path string) string {
	t.Helper()
	db := davDB(t, path)
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT type, name, ifnull(sql, '') FROM sqlite_master ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := fmt.Sprintf("user_version %d\n", v)
	for rows.Next() {
		var typ, name, q string
		rows.Scan(&typ, &name, &q)
		out += typ + " " + name + " " + q + "\n"
	}
	return out
}

func sieveDirListing(t *testing.T, sp *spool.Spool, user string) []string {
	t.Helper()
	dir, err := sp.SieveDir(user)
	if err != nil {
		t.Fatal(err)
	}
	es, _ := os.ReadDir(dir)
	var out []string
	for _, e := range es {
		n := e.Name()
		if l, err := os.Readlink(filepath.Join(dir, n)); err == nil {
			n += " -> " + l
		}
		out = append(out, n)
	}
	return out
}

// sieveCounts returns the number of messages in the user's folders.
func sieveCounts(t *testing.T, in *Instance, user string) map[string]uint32 {
	t.Helper()
	c, err := in.DialIMAP(user, UserPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.Logout().Wait(); c.Close() }()
	out := map[string]uint32{}
	for _, f := range []string{"INBOX", "Trash", "Archive"} {
		st, err := c.Status(f, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatalf("status %s: %v", f, err)
		}
		out[f] = *st.NumMessages
	}
	return out
}

// checkSieveMessages rebuilds each message timsieved stored in A's
// #sieve with SieveMessage (same name, id, content and time) and wants
// the same bytes; names are the names put, in order (UID 1 first).
func checkSieveMessages(t *testing.T, in *Instance, sp *spool.Spool, user string, names []string) {
	t.Helper()
	m := sieveSnapshot(t, sp, user)
	for i := range m.Records {
		r := &m.Records[i]
		path, _ := sp.RecordPath(m, r)
		msg, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tl, err := cache.ParseTopLevel(msg)
		if err != nil {
			t.Fatal(err)
		}
		var id string
		for _, p := range tl.DispositionParams {
			if p.Name == "FILENAME" {
				id = strings.TrimSuffix(p.Value, ".sieve")
			}
		}
		if int(r.UID) > len(names) {
			t.Fatalf("#sieve uid %d: only %d scripts were put", r.UID, len(names))
		}
		name := names[r.UID-1]
		got := spool.SieveMessage(user, in.ServerName(), name, id, msg[tl.HeaderSize:], time.Unix(r.InternalDate, 0))
		if !bytes.Equal(got, msg) {
			t.Errorf("#sieve uid %d (%q):\nours  %q\nCyrus %q", r.UID, name, got, msg)
		}
	}
}
