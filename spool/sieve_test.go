package spool

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/fixture"
	"github.com/cyrus-replication/cyrus-replication/spool/cache"
	"github.com/cyrus-replication/cyrus-replication/spool/davdb"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// The fixture (testdata/sieve/mkfixture.sh): user sv whose #sieve, made by
// Cyrus's timsieved, holds uid 1 "keepit" v1 (expunged), uid 2 "keepit"
// v2 (\Flagged, active) and uid 3 "other"; Cyrus's dav.db beside it.
const (
	sieveUser    = "sv"
	sieveMailbox = "user.sv.#sieve"
)

// sieveFixture copies the fixture spool to a temporary directory.
func sieveFixture(t *testing.T, extra ...string) (*Spool, string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("testdata", "sieve", "spool")
	fixture.CopySpool(t, src, dir, extra...)
	for _, d := range []string{"conf/lock", "sieve"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	cfg, err := conf.Load(filepath.Join(dir, "imapd.conf"), "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// cyrusRows reads the fixture's dav.db, as Cyrus wrote it.
func cyrusRows(t *testing.T) []davdb.SieveScript {
	t.Helper()
	return sqlRows(t, filepath.Join("testdata", "sieve", "cyrus-dav.db"))
}

func sqlRows(t *testing.T, path string) []davdb.SieveScript {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT rowid, creationdate, lastupdated, mailbox, imap_uid, modseq, createdmodseq, id, name, contentid, isactive, alive FROM sieve_scripts ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
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

// ourRows reads the user's dav.db as we left it.
func ourRows(t *testing.T, s *Spool) []davdb.SieveScript {
	t.Helper()
	p, err := s.UserFilePath(sieveUser, "dav")
	if err != nil {
		t.Fatal(err)
	}
	return sqlRows(t, p)
}

func sieveListing(t *testing.T, s *Spool) []string {
	t.Helper()
	dir, err := s.SieveDir(sieveUser)
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

func sieveWriter(t *testing.T, s *Spool) *MailboxWriter {
	t.Helper()
	w, err := s.OpenMailboxWriter(context.Background(), sieveMailbox)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Abort)
	return w
}

// TestDavDBSchemaMatchesCyrus: the database we create has Cyrus's
// user_version and, object for object, the CREATE statements Cyrus ran.
func TestDavDBSchemaMatchesCyrus(t *testing.T) {
	s, _ := sieveFixture(t)
	db, err := s.OpenDavDB(sieveUser)
	if err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	db.Close()
	schema := func(p string) string {
		d, err := sql.Open("sqlite", "file:"+p+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var v int
		d.QueryRow("PRAGMA user_version").Scan(&v)
		rows, err := d.Query("SELECT type, name, tbl_name, ifnull(sql, '') FROM sqlite_master ORDER BY rowid")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		b.WriteString("user_version " + strconv.Itoa(v) + "\n")
		for rows.Next() {
			var a, n, tb, q string
			rows.Scan(&a, &n, &tb, &q)
			b.WriteString(a + " " + n + " " + tb + " " + q + "\n")
		}
		return b.String()
	}
	if got, want := schema(path), schema(filepath.Join("testdata", "sieve", "cyrus-dav.db")); got != want {
		t.Errorf("schema differs from Cyrus's:\n--- ours\n%s--- Cyrus\n%s", got, want)
	}
}

// TestAddSieveRebuildsCyrusRows: taking the fixture's records as appended
// (a rename) gives Cyrus's rows, but for creationdate, which only the
// whole history tells (Cyrus's dav_reconstruct loses it too), and the
// sieve directory's active link.
func TestAddSieveRebuildsCyrusRows(t *testing.T) {
	s, _ := sieveFixture(t)
	w := sieveWriter(t, s)
	w.AddSieve()
	changed, err := w.Commit()
	if err != nil || changed {
		t.Fatalf("commit: changed %v, %v", changed, err)
	}
	want := cyrusRows(t)
	got := ourRows(t, s)
	if len(got) != len(want) {
		t.Fatalf("rows:\n got %v\nwant %v", got, want)
	}
	for i := range got {
		if got[i].CreationDate != got[i].LastUpdated {
			t.Errorf("row %d: creationdate %d, want lastupdated %d", i, got[i].CreationDate, got[i].LastUpdated)
		}
		got[i].CreationDate = want[i].CreationDate
		if got[i] != want[i] {
			t.Errorf("row %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
	if l := sieveListing(t, s); !slices.Equal(l, []string{"defaultbc -> keepit.bc"}) {
		t.Errorf("sieve directory %v", l)
	}
}

// TestSieveMessageMatchesCyrus: our message for each fixture script is
// Cyrus's, byte for byte, given its id and time.
func TestSieveMessageMatchesCyrus(t *testing.T) {
	s, _ := sieveFixture(t)
	m, err := s.Snapshot(context.Background(), sieveMailbox)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Records {
		r := &m.Records[i]
		p, _ := s.RecordPath(m, r)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tl, err := cache.ParseTopLevel(b)
		if err != nil {
			t.Fatal(err)
		}
		id, name, err := scriptIDName(tl)
		if err != nil {
			t.Fatal(err)
		}
		got := SieveMessage(sieveUser, "master.cyrepl.test", name, id, b[tl.HeaderSize:], time.Unix(r.InternalDate, 0).In(time.UTC))
		// The Date line is in local time; the fixture was made in UTC.
		date := func(m []byte) []byte {
			i := bytes.Index(m, []byte("Date: "))
			j := bytes.Index(m[i:], []byte("\r\n"))
			return append(append([]byte{}, m[:i]...), m[i+j:]...)
		}
		if !bytes.Equal(date(got), date(b)) {
			t.Errorf("uid %d:\n got %q\nwant %q", r.UID, got, b)
		}
		if r.System&index.FlagFlagged != 0 != (name == "keepit") {
			t.Errorf("uid %d flags %x", r.UID, r.System)
		}
	}
}

// TestLegacySieveCommands runs APPLY SIEVE, ACTIVATE_SIEVE,
// UNACTIVATE_SIEVE and UNSIEVE's store operations on the fixture.
func TestLegacySieveCommands(t *testing.T) {
	ctx := context.Background()
	s, _ := sieveFixture(t)
	w := sieveWriter(t, s)
	w.AddSieve()
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	before := ourRows(t, s)
	h0 := mustSnapshot(t, s).HighestModseq

	// A new version of the active script.
	v3 := []byte("require \"fileinto\";\r\nfileinto \"Junk\";\r\n")
	if changed, err := s.ApplySieve(ctx, sieveUser, "keepit.script", v3); err != nil || !changed {
		t.Fatalf("apply: %v %v", changed, err)
	}
	m := mustSnapshot(t, s)
	r4 := m.Records[len(m.Records)-1]
	if r4.UID != 4 || r4.System&index.FlagFlagged == 0 || r4.CreatedModseq != before[0].CreatedModseq || r4.Modseq != h0+1 {
		t.Errorf("new version: %+v", r4)
	}
	if r2 := m.Records[1]; !r2.Expunged() || r2.Modseq != h0+2 {
		t.Errorf("old version: %+v", r2)
	}
	rows := ourRows(t, s)
	k := rows[0]
	if k.RowID != before[0].RowID || k.ID != before[0].ID || k.IMAPUID != 4 || k.Modseq != r4.Modseq ||
		k.LastUpdated != r4.InternalDate || k.CreationDate != before[0].CreationDate || !k.IsActive || !k.Alive ||
		k.ContentID != sha1hex(v3) {
		t.Errorf("keepit row after apply: %v", k)
	}
	if sc, _ := s.SieveScripts(ctx, sieveUser); len(sc) != 2 || string(sc[1].Content) != string(v3) {
		t.Errorf("scripts after apply: %+v", sc)
	}

	// Activate the other one, then none.
	if _, err := s.ActivateSieve(ctx, sieveUser, "other.bc"); err != nil {
		t.Fatal(err)
	}
	if l := sieveListing(t, s); !slices.Equal(l, []string{"defaultbc -> other.bc"}) {
		t.Errorf("sieve directory %v", l)
	}
	rows = ourRows(t, s)
	if rows[0].IsActive || !rows[1].IsActive {
		t.Errorf("after activate: %v", rows)
	}
	if _, err := s.DeactivateSieve(ctx, sieveUser); err != nil {
		t.Fatal(err)
	}
	if l := sieveListing(t, s); len(l) != 0 {
		t.Errorf("sieve directory %v", l)
	}
	if _, err := s.ActivateSieve(ctx, sieveUser, "none.bc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("activate a missing script: %v", err)
	}

	// Delete the active script: deactivated, then expunged.
	if _, err := s.ActivateSieve(ctx, sieveUser, "other.bc"); err != nil {
		t.Fatal(err)
	}
	dir, _ := s.SieveDir(sieveUser)
	os.WriteFile(filepath.Join(dir, "other.bc"), []byte("bytecode"), 0o644)
	if _, err := s.UnSieve(ctx, sieveUser, "other.script"); err != nil {
		t.Fatal(err)
	}
	if l := sieveListing(t, s); len(l) != 0 {
		t.Errorf("sieve directory after unsieve %v", l)
	}
	rows = ourRows(t, s)
	if o := rows[1]; o.Alive || o.IsActive || o.IMAPUID != 3 {
		t.Errorf("other after unsieve: %v", o)
	}
	if _, err := s.UnSieve(ctx, sieveUser, "other.script"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unsieve of a deleted script: %v", err)
	}
	for _, f := range []func() (bool, error){
		func() (bool, error) { return s.ApplySieve(ctx, sieveUser, "x.bc", v3) },
		func() (bool, error) { return s.UnSieve(ctx, sieveUser, "x") },
	} {
		if changed, err := f(); changed || err != nil {
			t.Errorf("a name that is no .script: %v %v", changed, err)
		}
	}

	// A script whose name was used before gets a new id, and the dead
	// row's createdmodseq (as Cyrus's lookup leaves it).
	if _, err := s.ApplySieve(ctx, sieveUser, "other.script", []byte("keep;\r\n")); err != nil {
		t.Fatal(err)
	}
	rows = ourRows(t, s)
	if len(rows) != 3 || rows[2].Name != "other" || rows[2].ID == rows[1].ID || !rows[2].Alive || len(rows[2].ID) != 24 {
		t.Errorf("rows after re-creating other: %v", rows)
	}
}

func mustSnapshot(t *testing.T, s *Spool) *Mailbox {
	t.Helper()
	m, err := s.Snapshot(context.Background(), sieveMailbox)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sha1hex(b []byte) string { return guid.Sum(b).String() }

// TestSieveAppendExpungeOneSession: a version appended and expunged
// before the commit still leaves its dead row, as Cyrus's per-change
// bookkeeping does.
func TestSieveAppendExpungeOneSession(t *testing.T) {
	s, _ := sieveFixture(t)
	w := sieveWriter(t, s)
	if err := w.StoreSieveScript(sieveUser, davdb.SieveScript{Name: "brief"}, []byte("stop;\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.expungeSieve(w.Header().LastUID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	rows := ourRows(t, s)
	if len(rows) != 1 || rows[0].Name != "brief" || rows[0].Alive {
		t.Errorf("rows %v", rows)
	}
}

// TestSieveAbortLeavesNothing: an aborted writer touches neither dav.db
// nor the sieve directory.
func TestSieveAbortLeavesNothing(t *testing.T) {
	s, dir := sieveFixture(t)
	w := sieveWriter(t, s)
	w.AddSieve()
	w.Abort()
	if _, err := os.Stat(filepath.Join(dir, "sieve", "uuid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sieve directory made on abort: %v", err)
	}
	p, _ := s.UserFilePath(sieveUser, "dav")
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dav.db made on abort: %v", err)
	}
}

// TestSieveBadMessage: a #sieve message without the id fails the commit,
// naming the mailbox and UID, and the index is not written.
func TestSieveBadMessage(t *testing.T) {
	s, _ := sieveFixture(t)
	w := sieveWriter(t, s)
	msg := []byte("Subject: x\r\n\r\nkeep;\r\n")
	m, _ := cache.Parse(msg)
	rec := index.Record{UID: w.Header().LastUID + 1, Size: m.Size, GUID: m.GUID}
	if err := w.AppendMessage(rec, bytes.NewReader(msg), CacheEntry{Bytes: m.Entry, CRC: m.CRC, Version: m.CacheVersion, HeaderSize: m.HeaderSize}); err != nil {
		t.Fatal(err)
	}
	_, err := w.Commit()
	if err == nil || !strings.Contains(err.Error(), "user.sv.#sieve uid 4") {
		t.Errorf("commit: %v", err)
	}
	if m := mustSnapshot(t, s); m.LastUID != 3 {
		t.Errorf("index written: last uid %d", m.LastUID)
	}
}

func TestCleanSieveDir(t *testing.T) {
	ctx := context.Background()
	s, _ := sieveFixture(t)
	w := sieveWriter(t, s)
	w.AddSieve()
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	dir, _ := s.SieveDir(sieveUser)
	for _, f := range []string{"keepit.bc", "other.bc", "gone.bc", "keepit.script", "junk"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	removed, err := s.CleanSieveDir(ctx, sieveUser)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{"gone.bc", "junk", "keepit.script"}) {
		t.Errorf("removed %v", removed)
	}
	e, _ := s.LookupName(sieveMailbox)
	if err := s.DeleteSieveRows(ctx, e); err != nil {
		t.Fatal(err)
	}
	if rows := ourRows(t, s); len(rows) != 0 {
		t.Errorf("rows after delete %v", rows)
	}
	// Without scripts everything goes.
	removed, _ = s.CleanSieveDir(ctx, sieveUser)
	if !slices.Equal(removed, []string{"defaultbc", "keepit.bc", "other.bc"}) {
		t.Errorf("removed %v", removed)
	}
}

func TestMigrateSieveScripts(t *testing.T) {
	ctx := context.Background()
	s, _ := sieveFixture(t)
	dir, _ := s.SieveDir(sieveUser)
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "legacy.script"), []byte("discard;\r\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "legacy.bc"), []byte("old bytecode"), 0o644)
	os.WriteFile(filepath.Join(dir, "jmap_vacation.script"), []byte("keep;\r\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "jmap_vacation.bc"), []byte("bytecode"), 0o644)
	os.Symlink("legacy.bc", filepath.Join(dir, "defaultbc"))
	// The scripts are stored in the directory's own order, as Cyrus's
	// readdir loop stores them.
	var order []string
	entries, _ := readDirUnsorted(dir)
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".script"); ok {
			order = append(order, n)
		}
	}
	names, err := s.MigrateSieveScripts(ctx, sieveUser)
	if err != nil || len(order) != 2 || !slices.Equal(names, order) {
		t.Fatalf("migrated %v, %v; directory order %v", names, err, order)
	}
	if l := sieveListing(t, s); !slices.Equal(l, []string{"defaultbc -> legacy.bc"}) {
		t.Errorf("sieve directory %v", l)
	}
	rows := ourRows(t, s)
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	for i, r := range rows {
		want := order[i]
		if want == "jmap_vacation" {
			if r.ID != jmapURNVacation || r.Name != jmapURNVacation || r.IsActive {
				t.Errorf("row %d: %v", i, r)
			}
		} else if r.Name != want || !r.IsActive {
			t.Errorf("row %d: %v", i, r)
		}
		if r.IMAPUID != uint32(4+i) {
			t.Errorf("row %d (%s): uid %d, want %d", i, want, r.IMAPUID, 4+i)
		}
	}
}

// TestSieveMailboxLifecycle: deleting #sieve drops every row (the sieve
// directory stays for GET USER's clean-up); renaming it rebuilds the rows
// under the new mailbox.
func TestSieveMailboxLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := sieveFixture(t)
	if err := s.RenameMailbox(ctx, sieveMailbox, "user.sv.scripts", RenameOptions{}); err != nil {
		t.Fatal(err)
	}
	rows := ourRows(t, s)
	if len(rows) != 2 || !rows[0].IsActive || rows[1].Name != "other" {
		t.Errorf("rows after rename %v", rows)
	}
	if l := sieveListing(t, s); !slices.Equal(l, []string{"defaultbc -> keepit.bc"}) {
		t.Errorf("sieve directory after rename %v", l)
	}
	if err := s.DeleteMailbox(ctx, "user.sv.scripts", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if rows := ourRows(t, s); len(rows) != 0 {
		t.Errorf("rows after delete %v", rows)
	}
	if l := sieveListing(t, s); !slices.Equal(l, []string{"defaultbc -> keepit.bc"}) {
		t.Errorf("sieve directory after delete %v", l)
	}
}
