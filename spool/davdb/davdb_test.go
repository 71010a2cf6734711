package davdb

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func open(t *testing.T, path string) *DB {
	t.Helper()
	d, _, err := Open(context.Background(), path, time.Second, Version)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestOpenCreatesSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "user", "uuid", "a", "b", "abc", "dav.db")
	d, created, err := Open(ctx, path, time.Second, Version)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("created = false for a new file")
	}
	v, err := d.userVersion(ctx)
	if err != nil || v != Version {
		t.Errorf("user_version = %d, %v; want %d", v, err, Version)
	}
	var names []string
	rows, err := d.c.QueryContext(ctx, "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var typ, name string
		rows.Scan(&typ, &name)
		names = append(names, typ+" "+name)
	}
	rows.Close()
	want := "table ical_objs,index idx_ical_uid,table vcard_objs,index idx_vcard_fn,index idx_vcard_uid," +
		"table vcard_emails,index idx_vcard_email,table vcard_groups,table dav_objs,table ical_jmapcache," +
		"table vcard_jmapcache,table sieve_scripts,index idx_sieve_name"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("schema objects:\n got %s\nwant %s", got, want)
	}
	d.Close()
	d2, created, err := Open(ctx, path, time.Second, Version)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if created {
		t.Error("created = true when reopening")
	}
}

// TestOpenWithOddPath: '?', '#' and '%' are ordinary bytes of the path.
func TestOpenWithOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%20d.dav")
	open(t, path)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %s: %v", path, err)
	}
}

func TestSieveRows(t *testing.T) {
	ctx := context.Background()
	d := open(t, filepath.Join(t.TempDir(), "dav.db"))
	if err := d.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	a := SieveScript{CreationDate: 100, LastUpdated: 100, Mailbox: "mbox1", IMAPUID: 1, Modseq: 5, CreatedModseq: 5,
		ID: "id-a", Name: "a", ContentID: "c1", IsActive: true, Alive: true}
	if err := d.WriteSieve(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if a.RowID != 1 {
		t.Errorf("rowid = %d", a.RowID)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	got, ok, err := d.SieveByID(ctx, "id-a", true)
	if err != nil || !ok || got != a {
		t.Fatalf("by id: %v %v %v", got, ok, err)
	}
	if got, ok, _ := d.SieveActive(ctx); !ok || got.Name != "a" {
		t.Errorf("active: %v %v", got, ok)
	}
	// An update keeps id, mailbox, creationdate and createdmodseq.
	b := a
	b.ID, b.Mailbox, b.CreationDate, b.CreatedModseq = "other", "other", 1, 1
	b.IMAPUID, b.Modseq, b.LastUpdated, b.IsActive, b.Alive = 2, 7, 200, false, false
	if err := d.WriteSieve(ctx, &b); err != nil {
		t.Fatal(err)
	}
	got, _, _ = d.SieveByID(ctx, "id-a", true)
	want := a
	want.IMAPUID, want.Modseq, want.LastUpdated, want.IsActive, want.Alive = 2, 7, 200, false, false
	if got != want {
		t.Errorf("after update:\n got %v\nwant %v", got, want)
	}
	// Without tombstones a dead row is not found.
	if _, ok, _ := d.SieveByName(ctx, "a", false); ok {
		t.Error("dead row found without tombstones")
	}
	// A new live script of the same name: the last row decides.
	c := SieveScript{CreationDate: 300, LastUpdated: 300, Mailbox: "mbox1", IMAPUID: 3, Modseq: 9, CreatedModseq: 9,
		ID: "id-c", Name: "a", ContentID: "c3", Alive: true}
	if err := d.WriteSieve(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := d.SieveByName(ctx, "a", false); !ok || got.ID != "id-c" {
		t.Errorf("by name: %v %v", got, ok)
	}
	live, err := d.SieveScripts(ctx)
	if err != nil || len(live) != 1 || live[0].ID != "id-c" {
		t.Errorf("live scripts: %v %v", live, err)
	}
	// (mailbox, imap_uid) is unique.
	dup := c
	dup.RowID, dup.ID = 0, "id-d"
	if err := d.WriteSieve(ctx, &dup); err == nil || !strings.Contains(err.Error(), "dav.db") {
		t.Errorf("duplicate (mailbox, imap_uid): %v", err)
	}
	if err := d.DeleteSieve(ctx, c.RowID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.SieveByID(ctx, "id-c", true); ok {
		t.Error("deleted row still there")
	}
	if err := d.DeleteAllSieve(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.SieveByID(ctx, "id-a", true); ok {
		t.Error("row left after DeleteAllSieve")
	}
}

// TestRollback: what a failed mailbox commit wrote is gone.
func TestRollback(t *testing.T) {
	ctx := context.Background()
	d := open(t, filepath.Join(t.TempDir(), "dav.db"))
	d.Begin(ctx)
	s := SieveScript{Mailbox: "m", IMAPUID: 1, ID: "x", Name: "x", ContentID: "c", Alive: true}
	if err := d.WriteSieve(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if err := d.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.SieveByID(ctx, "x", true); ok {
		t.Error("row survived the rollback")
	}
}

// TestLockTimeout: a writer waits for another process's write lock, then
// fails naming the file.
func TestLockTimeout(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dav.db")
	d := open(t, path)
	other, _, err := Open(ctx, path, 100*time.Millisecond, Version)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := d.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = other.Begin(ctx)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("second writer: %v", err)
	}
	if e := time.Since(start); e < 80*time.Millisecond {
		t.Errorf("second writer gave up after %v, before its timeout", e)
	}
	d.Commit()
	if err := other.Begin(ctx); err != nil {
		t.Errorf("after the first commit: %v", err)
	}
	other.Commit()
}

// withVersion makes a database whose user_version is v, holding the
// tables an older Cyrus left (all but sieve_scripts).
func withVersion(t *testing.T, v int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dav.db")
	d := open(t, path)
	ctx := context.Background()
	for _, q := range []string{"DROP TABLE sieve_scripts;", "PRAGMA user_version = " + strconv.Itoa(v) + ";"} {
		if _, err := d.c.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	return path
}

func TestUpgradeFrom10(t *testing.T) {
	path := withVersion(t, 10)
	d := open(t, path)
	ctx := context.Background()
	if v, _ := d.userVersion(ctx); v != Version {
		t.Errorf("user_version = %d", v)
	}
	s := SieveScript{Mailbox: "m", IMAPUID: 1, ID: "x", Name: "x", ContentID: "c", Alive: true}
	if err := d.WriteSieve(ctx, &s); err != nil {
		t.Errorf("sieve_scripts after upgrade: %v", err)
	}
}

func TestRefusedVersions(t *testing.T) {
	for _, v := range []int{12, 13, 15} {
		path := withVersion(t, v)
		_, _, err := Open(context.Background(), path, time.Second, Version)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("version %d: %v", v, err)
		}
	}
}

// TestVersion310: a new database for Cyrus 3.10 gets user_version 16 and
// its JSCalendar and JSContact tables; a 3.6 one is brought there (the old
// JMAP caches dropped, its rows kept); a 3.10 one is refused for 3.6.
func TestVersion310(t *testing.T) {
	ctx := context.Background()
	tables := func(d *DB) string {
		rows, err := d.c.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, n)
		}
		return strings.Join(names, " ")
	}
	path := filepath.Join(t.TempDir(), "new.dav")
	d, _, err := Open(ctx, path, time.Second, Version310)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := d.userVersion(ctx); v != Version310 {
		t.Errorf("user_version = %d", v)
	}
	if got := tables(d); !strings.Contains(got, "jscal_cache jscal_objs jscard_cache") || !strings.Contains(got, "vcard_jmapcache") {
		t.Errorf("tables of a new 3.10 database: %s", got)
	}
	d.Close()
	if _, _, err := Open(ctx, path, time.Second, Version); err == nil || !strings.Contains(err.Error(), "newer than Cyrus 3.6's 14") {
		t.Errorf("a 3.10 database opened for 3.6: %v", err)
	}

	old := filepath.Join(t.TempDir(), "old.dav")
	d, _, err = Open(ctx, old, time.Second, Version)
	if err != nil {
		t.Fatal(err)
	}
	s := SieveScript{Mailbox: "m", IMAPUID: 1, ID: "x", Name: "x", ContentID: "c", Alive: true}
	if err := d.WriteSieve(ctx, &s); err != nil {
		t.Fatal(err)
	}
	d.Close()
	d, _, err = Open(ctx, old, time.Second, Version310)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if v, _ := d.userVersion(ctx); v != Version310 {
		t.Errorf("upgraded user_version = %d", v)
	}
	if got := tables(d); strings.Contains(got, "jmapcache") || !strings.Contains(got, "jscard_cache") {
		t.Errorf("tables after the upgrade: %s", got)
	}
	if got, found, err := d.SieveByName(ctx, "x", false); err != nil || !found || got.ID != "x" {
		t.Errorf("sieve row after the upgrade: %+v %v %v", got, found, err)
	}
}
