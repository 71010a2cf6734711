// Package davdb is a user's dav.db, the SQLite database where Cyrus 3.6
// keeps DAV objects and the sieve_scripts table, opened and created the
// way Cyrus's sqldb_open does it: same file, same schema and user_version,
// same pragmas, SQLite's own locking with a busy timeout (dav_lock_timeout)
// and writes inside BEGIN IMMEDIATE transactions. Only the sieve_scripts
// table is read and written here (sieve.go).
//
// cyrus: lib/sqldb.c sqldb_open, sqldb_begin, sqldb_commit; imap/dav_db.c
// dav_open_userid (3.6.1)
package davdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go)
)

// DB is an open dav.db. It holds one SQLite connection; a DB is not for
// concurrent use.
type DB struct {
	path string
	db   *sql.DB
	c    *sql.Conn
	// inTx is set between Begin and Commit/Rollback.
	inTx bool
	// version is the user_version the database is brought to.
	version int
}

// Path returns the database's file name.
func (d *DB) Path() string { return d.path }

// Open opens the dav.db at path, creating it (and missing parent
// directories, mode 0755) when it does not exist, and brings it to
// version (Version for Cyrus 3.6.1, Version310 for 3.10.2) as that Cyrus
// would: pragmas foreign_keys = ON,
// secure_delete = OFF, temp_store = 2; a database of user_version 0 gets
// the whole schema, an older one the upgrade steps, inside BEGIN
// EXCLUSIVE. lockTimeout is how long to wait for another process's lock
// (Cyrus: dav_lock_timeout, default 20s). created reports that the file
// did not exist before.
//
// A database of a newer version, or of the development versions 12 and
// 13, is refused with an error naming the file: Cyrus would renumber the
// first (and the older Cyrus could then no longer read what the newer
// one wrote) and needs mailboxes.db to rewrite the others.
//
// cyrus: lib/sqldb.c sqldb_open (3.6.1, 3.10.2)
func Open(ctx context.Context, path string, lockTimeout time.Duration, version int) (d *DB, created bool, err error) {
	if version != Version && version != Version310 {
		return nil, false, fmt.Errorf("davdb: %s: no schema for user_version %d", path, version)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		created = true
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, false, fmt.Errorf("davdb: %w", err)
		}
	}
	db, err := sql.Open("sqlite", fileURI(path))
	if err != nil {
		return nil, false, fmt.Errorf("davdb: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, false, fmt.Errorf("davdb: open %s: %w", path, err)
	}
	d = &DB{path: path, db: db, c: c, version: version}
	if err := d.init(ctx, lockTimeout); err != nil {
		d.Close()
		return nil, false, err
	}
	return d, created, nil
}

// fileURI names path as an SQLite URI, so that no byte of a Cyrus path
// ('?', '#', '%' may occur in a legacy user's file name) is taken for a
// query or a fragment.
func fileURI(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(path)
}

func (d *DB) init(ctx context.Context, lockTimeout time.Duration) error {
	for _, p := range []string{
		fmt.Sprintf("PRAGMA busy_timeout = %d;", lockTimeout.Milliseconds()),
		"PRAGMA foreign_keys = ON;",
		"PRAGMA secure_delete = OFF;",
		"PRAGMA temp_store = 2;",
	} {
		if _, err := d.c.ExecContext(ctx, p); err != nil {
			return d.errorf("%s: %w", p, err)
		}
	}
	v, err := d.userVersion(ctx)
	if err != nil || v == d.version {
		return err
	}
	if _, err := d.c.ExecContext(ctx, "BEGIN EXCLUSIVE;"); err != nil {
		return d.errorf("begin: %w", err)
	}
	if err := d.upgrade(ctx); err != nil {
		d.c.ExecContext(context.Background(), "ROLLBACK;")
		return err
	}
	if _, err := d.c.ExecContext(ctx, "COMMIT;"); err != nil {
		return d.errorf("commit: %w", err)
	}
	return nil
}

// upgrade runs, under the exclusive lock, what brings the database to
// its version: the whole schema on a new one, else the missing steps.
func (d *DB) upgrade(ctx context.Context) error {
	v, err := d.userVersion(ctx)
	if err != nil || v == d.version {
		return err
	}
	steps, create, cyrus := upgrades, createAll, "3.6"
	if d.version == Version310 {
		steps, create, cyrus = append(steps[:len(steps):len(steps)], upgrades310...), createAll310, "3.10"
	}
	switch {
	case v > d.version:
		return d.errorf("user_version %d is newer than Cyrus %s's %d", v, cyrus, d.version)
	case v == 12 || v == 13:
		return d.errorf("user_version %d (a development version of the sieve table) is not upgraded here; run Cyrus's dav_reconstruct", v)
	case v == 0:
		if _, err := d.c.ExecContext(ctx, create); err != nil {
			return d.errorf("create: %w", err)
		}
	default:
		for _, u := range steps {
			if u.to <= v {
				continue
			}
			if _, err := d.c.ExecContext(ctx, u.sql); err != nil {
				return d.errorf("upgrade to v%d: %w", u.to, err)
			}
		}
	}
	if _, err := d.c.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d;", d.version)); err != nil {
		return d.errorf("set user_version: %w", err)
	}
	return nil
}

func (d *DB) userVersion(ctx context.Context) (int, error) {
	var v int
	if err := d.c.QueryRowContext(ctx, "PRAGMA user_version;").Scan(&v); err != nil {
		return 0, d.errorf("user_version: %w", err)
	}
	return v, nil
}

// Begin takes the write lock (BEGIN IMMEDIATE), waiting up to the lock
// timeout for other writers, as sqldb_begin does before its savepoint.
//
// cyrus: lib/sqldb.c sqldb_begin, sqldb_writelock (3.6.1)
func (d *DB) Begin(ctx context.Context) error {
	if d.inTx {
		return d.errorf("begin: a transaction is already open")
	}
	if _, err := d.c.ExecContext(ctx, "BEGIN IMMEDIATE;"); err != nil {
		return d.errorf("begin: %w", err)
	}
	d.inTx = true
	return nil
}

// Commit ends the transaction, making its changes durable.
//
// cyrus: lib/sqldb.c sqldb_commit, sqldb_writecommit (3.6.1)
func (d *DB) Commit() error {
	if !d.inTx {
		return nil
	}
	if _, err := d.c.ExecContext(context.Background(), "COMMIT;"); err != nil {
		return d.errorf("commit: %w", err)
	}
	d.inTx = false
	return nil
}

// Rollback drops the transaction's changes.
func (d *DB) Rollback() error {
	if !d.inTx {
		return nil
	}
	d.inTx = false
	if _, err := d.c.ExecContext(context.Background(), "ROLLBACK;"); err != nil {
		return d.errorf("rollback: %w", err)
	}
	return nil
}

// Close rolls back an open transaction and closes the database.
func (d *DB) Close() error {
	d.Rollback()
	err := d.c.Close()
	if cerr := d.db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return d.errorf("close: %w", err)
	}
	return nil
}

func (d *DB) errorf(format string, args ...any) error {
	return fmt.Errorf("davdb: %s: "+format, append([]any{d.path}, args...)...)
}
