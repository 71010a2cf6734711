package twoskip

import (
	"bytes"
	"fmt"
)

// recover brings a file that is not clean (DIRTY set, or bytes beyond
// current_size) back to its last committed state. again is set if the
// file was replaced by a rebuilt one, which must then be locked afresh.
//
// cyrus: lib/cyrusdb_twoskip.c recovery (3.6.1)
func (tx *Tx) recover() (again bool, err error) {
	err1 := tx.recovery1()
	if err1 == nil {
		return false, nil
	}
	if err := tx.recovery2(); err != nil {
		return false, fmt.Errorf("twoskip: recovery of %s failed: %w (and rebuilding it from its commits: %v)", tx.df.name, err1, err)
	}
	return true, nil
}

// recovery1 repairs the committed state in place. Walking level 0 from
// the DUMMY by the committed pointers (those below current_size), it
// resets every level-0 slot that points into the discarded tail, relinks
// every higher level through the live records of sufficient level, counts
// the live keys; then it truncates the file to current_size, syncs, and
// writes the header with DIRTY clear and the new count, and syncs again.
// Keys out of order or an undecodable record make it fail.
//
// cyrus: lib/cyrusdb_twoskip.c recovery1 (3.6.1)
func (tx *Tx) recovery1() error {
	df := tx.df
	end := tx.hdr.CurrentSize
	if end <= HeaderSize || end > df.size {
		return &FormatError{File: df.name, Err: ErrTruncated,
			Detail: fmt.Sprintf("current_size 0x%X but file size 0x%X", end, df.size)}
	}
	if !tx.hdr.Dirty() {
		tx.hdr.Flags |= FlagDirty
		if err := tx.commitHeader(); err != nil {
			return err
		}
	}
	db := df.view(end)
	dummy, err := db.recordAt(HeaderSize, false)
	if err != nil {
		return err
	}
	if dummy.Type != TypeDummy || dummy.Level != MaxLevel {
		return db.errf(HeaderSize, ErrCorrupt, "first record is %v of level %d", dummy.Type, dummy.Level)
	}
	// prev[i], next[i]: for pointer slot i ≥ 2 (level i−1), the last live
	// record seen on that level and where its slot points
	var prev, next [MaxLevel + 1]uint64
	for i := 2; i <= MaxLevel; i++ {
		prev[i], next[i] = dummy.Offset, dummy.Slot(i)
	}
	if err := tx.dropFuturePointers(&dummy, end); err != nil {
		return err
	}
	var (
		num     uint64
		prevKey []byte
		steps   int
	)
	for off := dummy.next(0, end); off != 0; {
		if steps++; steps > db.maxSteps() {
			return db.errf(off, ErrCorrupt, "level-0 list loops")
		}
		r, err := db.recordAt(off, false)
		if err != nil {
			return err
		}
		if r.Type == TypeDelete {
			off = r.Slot(0)
			continue
		}
		if r.Type != TypeRecord {
			return db.errf(off, ErrCorrupt, "level-0 pointer to a %v record", r.Type)
		}
		if bytes.Compare(r.Key, prevKey) <= 0 {
			return db.errf(off, ErrCorrupt, "key %q not after %q", r.Key, prevKey)
		}
		for i := 2; i <= int(r.Level); i++ {
			if next[i] != r.Offset {
				if err := tx.setSlot(db, prev[i], i, r.Offset); err != nil {
					return err
				}
			}
			prev[i], next[i] = r.Offset, r.Slot(i)
		}
		if err := tx.dropFuturePointers(&r, end); err != nil {
			return err
		}
		num++
		off, prevKey = r.next(0, end), r.Key
	}
	for i := 2; i <= MaxLevel; i++ {
		if next[i] != 0 {
			if err := tx.setSlot(db, prev[i], i, 0); err != nil {
				return err
			}
		}
	}
	if err := df.truncate(end); err != nil {
		return err
	}
	if err := df.sync(); err != nil {
		return err
	}
	tx.hdr.Flags &^= FlagDirty
	tx.hdr.NumRecords = num
	return tx.commitHeader()
}

// dropFuturePointers zeroes each of r's two level-0 slots that points at
// or beyond end, rewriting the head once per slot.
func (tx *Tx) dropFuturePointers(r *RawRecord, end uint64) error {
	for i := range 2 {
		if r.Slot(i) >= end {
			slots := r.Slots()
			slots[i] = 0
			if err := tx.df.rewriteHead(r, slots); err != nil {
				return err
			}
			// r's slots alias the shared mapping and now read 0
		}
	}
	return nil
}

// setSlot rewrites pointer slot i of the record at off to val.
func (tx *Tx) setSlot(db *DB, off uint64, i int, val uint64) error {
	r, err := db.recordAt(off, false)
	if err != nil {
		return err
	}
	if i >= r.NumSlots() {
		return db.errf(off, ErrCorrupt, "record of level %d has no slot %d", r.Level, i)
	}
	slots := r.Slots()
	slots[i] = val
	return tx.df.rewriteHead(&r, slots)
}
