package twoskip

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// snapshot returns a DB over the file as the transaction has written it
// so far (every pointer below the file's end is valid).
func (tx *Tx) snapshot() (*DB, error) {
	db := tx.df.view(tx.df.size)
	db.hdr = tx.hdr
	d, err := db.recordAt(HeaderSize, true)
	if err != nil {
		return nil, err
	}
	db.dummy = d
	return db, nil
}

// beginNew starts a transaction on a fresh "<file>.NEW" beside the file,
// for a repack or a rebuild.
func (tx *Tx) beginNew() (*Tx, error) {
	name := tx.df.name + ".NEW"
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("twoskip: %w", err)
	}
	return Begin(name, Options{Create: true, NoRepack: true, BeforeIO: tx.opts.BeforeIO, level: tx.opts.level})
}

// discard closes and removes a "<file>.NEW" that will not be used.
func (tx *Tx) discard() {
	tx.done = true
	tx.df.close()
	os.Remove(tx.df.name)
}

// checkpoint repacks the committed file: every live record, in key
// order, into a new file "<file>.NEW" in one transaction whose header
// carries generation+1 and repack_size = the size before its COMMIT
// record; then renames it over the file and syncs the directory. The
// caller still holds the lock on the old file, so nobody sees the file in
// between; others re-open the new file when they find the inode changed.
//
// cyrus: lib/cyrusdb_twoskip.c mycheckpoint (3.6.1)
func (tx *Tx) checkpoint() error {
	old, err := tx.snapshot()
	if err != nil {
		return err
	}
	if err := old.Verify(); err != nil {
		return fmt.Errorf("inconsistent before repack: %w", err)
	}
	ntx, err := tx.beginNew()
	if err != nil {
		return err
	}
	if err := old.ForEach(ntx.Store); err != nil {
		ntx.discard()
		return err
	}
	if db, err := ntx.snapshot(); err != nil || db.Verify() != nil {
		ntx.discard()
		if err == nil {
			err = db.Verify()
		}
		return fmt.Errorf("inconsistent after repack: %w", err)
	}
	ntx.hdr.RepackSize = ntx.df.size
	ntx.hdr.Generation = tx.hdr.Generation + 1
	if err := ntx.commit(); err != nil {
		ntx.discard()
		return err
	}
	if err := ntx.df.renameOver(tx.df.name); err != nil {
		ntx.discard()
		return err
	}
	ntx.done = true
	return ntx.df.close()
}

// recovery2 rebuilds a file recovery1 could not repair: it scans the
// whole file for COMMIT records and replays each transaction that was
// read without error (its RECORDs as stores, its DELETEs as deletes) into
// a new file "<file>.NEW", which then replaces the file.
//
// Differences from Cyrus, on purpose: a DELETE record holds no key, only
// the deleted key's successor; Cyrus 3.6.1 deletes that successor, we
// delete the key before it (the one actually deleted). Cyrus's rebuilt
// file ends up with generation 1 (its header is re-read at the first
// replayed transaction); ours carries the old generation + 1.
//
// cyrus: lib/cyrusdb_twoskip.c recovery2, _copy_commit (3.6.1)
func (tx *Tx) recovery2() error {
	ntx, err := tx.beginNew()
	if err != nil {
		return err
	}
	ntx.hdr.Generation = tx.hdr.Generation + 1
	db := tx.df.view(tx.df.size)
	bad := false
	for off := uint64(HeaderSize); off+8 <= tx.df.size; {
		if string(db.data[off:off+8]) == Blank {
			off += 8
			continue
		}
		r, err := db.recordAt(off, false)
		if err != nil {
			bad = true
			off += 8
			continue
		}
		if r.Type == TypeCommit {
			if !bad {
				if err := ntx.replay(db, r.Slot(0), r.Offset); err != nil {
					// as Cyrus: drop this transaction, go on
					if ntx.done {
						ntx.discard()
						return err
					}
					if err := ntx.recovery1(); err != nil {
						ntx.discard()
						return err
					}
				} else if err := ntx.commit(); err != nil {
					ntx.discard()
					return err
				}
			}
			bad = false
		}
		off += r.Len
	}
	if ntx.hdr.NumRecords == 0 {
		ntx.discard()
		return fmt.Errorf("twoskip: %s: no committed records found to rebuild from", tx.df.name)
	}
	if err := ntx.df.renameOver(tx.df.name); err != nil {
		ntx.discard()
		return err
	}
	ntx.done = true
	return ntx.df.close()
}

// replay applies the records of src between from and to (one committed
// transaction) to tx.
//
// cyrus: lib/cyrusdb_twoskip.c _copy_commit (3.6.1)
func (tx *Tx) replay(src *DB, from, to uint64) error {
	if from < HeaderSize || to > src.end() {
		return src.errf(to, ErrCorrupt, "COMMIT start 0x%X out of range", from)
	}
	for off := from; off < to; {
		if to-off >= 8 && string(src.data[off:off+8]) == Blank {
			off += 8
			continue
		}
		r, err := src.recordAt(off, true)
		if err != nil {
			return err
		}
		switch r.Type {
		case TypeRecord:
			if err := tx.Store(r.Key, r.Value); err != nil {
				return err
			}
		case TypeDelete:
			if err := tx.deleteBefore(src, r.Slot(0)); err != nil {
				return err
			}
		default:
			return src.errf(off, ErrCorrupt, "%v record inside a transaction", r.Type)
		}
		off += r.Len
	}
	return nil
}

// deleteBefore deletes, in tx, the key just before the key of src's
// record at succ (the last key if succ is 0): the key a DELETE record
// pointing at succ deleted.
func (tx *Tx) deleteBefore(src *DB, succ uint64) error {
	var key []byte
	if succ != 0 {
		s, err := src.recordAt(succ, false)
		if err != nil {
			return err
		}
		if s.Type != TypeRecord {
			return src.errf(succ, ErrCorrupt, "DELETE points to a %v record", s.Type)
		}
		loc, err := tx.locate(s.Key)
		if err != nil {
			return err
		}
		if loc.back[0] == HeaderSize {
			return nil
		}
		p, err := tx.df.view(tx.df.size).recordAt(loc.back[0], false)
		if err != nil {
			return err
		}
		key = p.Key
	} else {
		db, err := tx.snapshot()
		if err != nil {
			return err
		}
		if err := db.ForEach(func(k, _ []byte) error { key = k; return nil }); err != nil {
			return err
		}
		if key == nil {
			return nil
		}
	}
	return tx.Delete(append([]byte(nil), key...))
}
