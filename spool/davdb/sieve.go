package davdb

import (
	"context"
	"database/sql"
	"fmt"
)

// SieveScript is a row of sieve_scripts: one script of the user, pointing
// at the #sieve message that holds its current version.
//
// cyrus: imap/sieve_db.h struct sieve_data (3.6.1)
type SieveScript struct {
	// RowID is the row's id; 0 for a row not yet inserted.
	RowID int64
	// CreationDate is the internaldate of the script's first version.
	CreationDate int64
	// LastUpdated is the internaldate of its current version.
	LastUpdated int64
	// Mailbox is the uniqueid of the #sieve mailbox.
	Mailbox string
	// IMAPUID is the UID of the current version in #sieve.
	IMAPUID uint32
	// Modseq and CreatedModseq are that record's.
	Modseq, CreatedModseq uint64
	// ID is the script id (the message's attachment file name without
	// ".sieve"); Name the script name (the message's Subject).
	ID, Name string
	// ContentID is the SHA-1 (hex) of the script source.
	ContentID string
	// IsActive marks the active script; Alive is false once the
	// script's message is expunged (a tombstone until it is unlinked).
	IsActive, Alive bool
}

const selectSieve = "SELECT rowid, creationdate, lastupdated, mailbox, imap_uid," +
	"  modseq, createdmodseq, id, name, contentid, isactive, alive" +
	" FROM sieve_scripts"

// lookup runs a single-row SELECT the way sieve_db.c's read_cb reads it:
// every row found overwrites the result, and without tombstones a dead
// row leaves it empty, so the last row decides. found is false when the
// result has no rowid (CYRUSDB_NOTFOUND).
//
// cyrus: imap/sieve_db.c read_cb, sievedb_lookup_name (3.6.1)
func (d *DB) lookup(ctx context.Context, where string, tombstones bool, args ...any) (s SieveScript, found bool, err error) {
	rows, err := d.c.QueryContext(ctx, selectSieve+where, args...)
	if err != nil {
		return s, false, d.errorf("select sieve_scripts%s: %w", where, err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanSieve(rows)
		if err != nil {
			return s, false, d.errorf("read sieve_scripts: %w", err)
		}
		s = r
		if !tombstones && !r.Alive {
			s = SieveScript{Modseq: r.Modseq, CreatedModseq: r.CreatedModseq}
		}
	}
	if err := rows.Err(); err != nil {
		return s, false, d.errorf("read sieve_scripts: %w", err)
	}
	return s, s.RowID != 0, nil
}

func scanSieve(rows *sql.Rows) (SieveScript, error) {
	var s SieveScript
	var mailbox, id, name, contentid sql.NullString
	var cdate, lupd, uid, modseq, cmodseq, active, alive sql.NullInt64
	if err := rows.Scan(&s.RowID, &cdate, &lupd, &mailbox, &uid, &modseq, &cmodseq, &id, &name, &contentid, &active, &alive); err != nil {
		return s, err
	}
	s.CreationDate, s.LastUpdated = cdate.Int64, lupd.Int64
	s.Mailbox, s.ID, s.Name, s.ContentID = mailbox.String, id.String, name.String, contentid.String
	s.IMAPUID, s.Modseq, s.CreatedModseq = uint32(uid.Int64), uint64(modseq.Int64), uint64(cmodseq.Int64)
	s.IsActive, s.Alive = active.Int64 != 0, alive.Int64 != 0
	return s, nil
}

// SieveByName looks a script up by name; tombstones includes dead rows.
//
// cyrus: imap/sieve_db.c sievedb_lookup_name (3.6.1)
func (d *DB) SieveByName(ctx context.Context, name string, tombstones bool) (SieveScript, bool, error) {
	return d.lookup(ctx, " WHERE name = :name;", tombstones, sql.Named("name", name))
}

// SieveByID looks a script up by id.
//
// cyrus: imap/sieve_db.c sievedb_lookup_id (3.6.1)
func (d *DB) SieveByID(ctx context.Context, id string, tombstones bool) (SieveScript, bool, error) {
	return d.lookup(ctx, " WHERE id = :id;", tombstones, sql.Named("id", id))
}

// SieveByUID looks a script up by the UID of its #sieve message.
//
// cyrus: imap/sieve_db.c sievedb_lookup_imapuid (3.6.1)
func (d *DB) SieveByUID(ctx context.Context, uid uint32, tombstones bool) (SieveScript, bool, error) {
	return d.lookup(ctx, " WHERE imap_uid = :imap_uid;", tombstones, sql.Named("imap_uid", int64(uid)))
}

// SieveActive returns the active script, if any.
//
// cyrus: imap/sieve_db.c sievedb_lookup_active (3.6.1)
func (d *DB) SieveActive(ctx context.Context) (SieveScript, bool, error) {
	return d.lookup(ctx, " WHERE isactive = 1 AND alive = 1;", false)
}

// SieveScripts returns the live scripts in the database's order.
//
// cyrus: imap/sieve_db.c sievedb_foreach (3.6.1)
func (d *DB) SieveScripts(ctx context.Context) ([]SieveScript, error) {
	rows, err := d.c.QueryContext(ctx, selectSieve+" WHERE alive = 1;")
	if err != nil {
		return nil, d.errorf("select sieve_scripts: %w", err)
	}
	defer rows.Close()
	var out []SieveScript
	for rows.Next() {
		s, err := scanSieve(rows)
		if err != nil {
			return nil, d.errorf("read sieve_scripts: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, d.errorf("read sieve_scripts: %w", err)
	}
	return out, nil
}

const (
	insertSieve = "INSERT INTO sieve_scripts (" +
		"  creationdate, lastupdated, mailbox, imap_uid," +
		"  modseq, createdmodseq,  id, name, contentid, isactive, alive )" +
		" VALUES (" +
		"  :creationdate, :lastupdated, :mailbox, :imap_uid," +
		"  :modseq, :createdmodseq,  :id, :name, :contentid, :isactive, :alive );"
	updateSieve = "UPDATE sieve_scripts SET" +
		"  lastupdated   = :lastupdated," +
		"  imap_uid      = :imap_uid," +
		"  modseq        = :modseq," +
		"  name          = :name," +
		"  contentid     = :contentid," +
		"  isactive      = :isactive," +
		"  alive         = :alive" +
		" WHERE rowid = :rowid;"
)

// WriteSieve inserts s (RowID 0; its new RowID is set) or updates the row
// s.RowID. An update changes only what a new version or a flag change
// can: lastupdated, imap_uid, modseq, name, contentid, isactive, alive.
//
// cyrus: imap/sieve_db.c sievedb_write (3.6.1)
func (d *DB) WriteSieve(ctx context.Context, s *SieveScript) error {
	args := []any{
		sql.Named("lastupdated", s.LastUpdated), sql.Named("imap_uid", int64(s.IMAPUID)),
		sql.Named("modseq", int64(s.Modseq)), sql.Named("name", s.Name),
		sql.Named("contentid", s.ContentID), sql.Named("isactive", b2i(s.IsActive)),
		sql.Named("alive", b2i(s.Alive)),
	}
	if s.RowID != 0 {
		if _, err := d.c.ExecContext(ctx, updateSieve, append(args, sql.Named("rowid", s.RowID))...); err != nil {
			return d.errorf("update sieve script %s (row %d): %w", s.Name, s.RowID, err)
		}
		return nil
	}
	args = append(args, sql.Named("creationdate", s.CreationDate), sql.Named("createdmodseq", int64(s.CreatedModseq)),
		sql.Named("id", s.ID), sql.Named("mailbox", s.Mailbox))
	res, err := d.c.ExecContext(ctx, insertSieve, args...)
	if err != nil {
		return d.errorf("insert sieve script %s (id %s): %w", s.Name, s.ID, err)
	}
	if s.RowID, err = res.LastInsertId(); err != nil {
		return d.errorf("insert sieve script %s: %w", s.Name, err)
	}
	return nil
}

// DeleteSieve removes row rowid.
//
// cyrus: imap/sieve_db.c sievedb_delete (3.6.1)
func (d *DB) DeleteSieve(ctx context.Context, rowid int64) error {
	if _, err := d.c.ExecContext(ctx, "DELETE FROM sieve_scripts WHERE rowid = :rowid;", sql.Named("rowid", rowid)); err != nil {
		return d.errorf("delete sieve row %d: %w", rowid, err)
	}
	return nil
}

// DeleteAllSieve empties sieve_scripts (the #sieve mailbox was deleted).
//
// cyrus: imap/sieve_db.c sievedb_delmbox (3.6.1)
func (d *DB) DeleteAllSieve(ctx context.Context) error {
	if _, err := d.c.ExecContext(ctx, "DELETE FROM sieve_scripts;"); err != nil {
		return d.errorf("delete sieve scripts: %w", err)
	}
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// String is a one-line summary for logs and test failures.
func (s SieveScript) String() string {
	return fmt.Sprintf("row %d id=%s name=%q uid=%d modseq=%d createdmodseq=%d active=%v alive=%v contentid=%s created=%d updated=%d mailbox=%s",
		s.RowID, s.ID, s.Name, s.IMAPUID, s.Modseq, s.CreatedModseq, s.IsActive, s.Alive, s.ContentID, s.CreationDate, s.LastUpdated, s.Mailbox)
}
