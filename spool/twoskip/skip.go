package twoskip

import "bytes"

// blockSize is the disk block a record head is kept within, so that
// rewriting a head in place is atomic.
//
// cyrus: lib/cyrusdb_twoskip.c BLOCKSIZE (3.6.1)
const blockSize = 512

// repackMin is the committed size below which Cyrus never repacks.
//
// cyrus: lib/cyrusdb_twoskip.c MINREWRITE (3.6.1)
const repackMin = 16834

// location is where a key is, or would be, in the skiplist: on every
// level the record before it and that record's successor.
//
// cyrus: lib/cyrusdb_twoskip.c struct skiploc (3.6.1)
type location struct {
	// back[i] is the offset of the last record before the key that
	// takes part in level i (possibly the DUMMY).
	back [MaxLevel]uint64
	// fwd[i] is the successor of back[i] on level i, or, when found,
	// the successor of the key's record (on level 0 possibly a DELETE).
	fwd [MaxLevel]uint64
	// found says the key exists; rec is then its record.
	found bool
	rec   RawRecord
}

// skipDelete decodes the record at off; for a DELETE it decodes the
// record the DELETE points to instead. ok is false if there is none.
//
// cyrus: lib/cyrusdb_twoskip.c read_skipdelete (3.6.1)
func skipDelete(db *DB, off uint64) (r RawRecord, ok bool, err error) {
	if off == 0 {
		return r, false, nil
	}
	r, err = db.recordAt(off, false)
	if err != nil {
		return r, false, err
	}
	if r.Type == TypeDelete {
		from := off
		if off = r.Slot(0); off == 0 {
			return r, false, nil
		}
		if r, err = db.recordAt(off, false); err != nil {
			return r, false, err
		}
		if r.Type != TypeRecord {
			return r, false, db.errf(from, ErrCorrupt, "DELETE points to a %v record", r.Type)
		}
	}
	if r.Type != TypeRecord {
		return r, false, db.errf(off, ErrCorrupt, "pointer to a %v record", r.Type)
	}
	return r, true, nil
}

// locate descends the skiplist to key, in the file as written so far
// (every pointer below the file's end is valid during a transaction).
//
// cyrus: lib/cyrusdb_twoskip.c relocate (3.6.1)
func (tx *Tx) locate(key []byte) (location, error) {
	var loc location
	db := tx.df.view(tx.df.size)
	end := tx.df.size
	cur, err := db.recordAt(HeaderSize, false)
	if err != nil {
		return loc, err
	}
	var (
		rejected    RawRecord // the last record found not to be before key
		rejectedOff uint64    // the pointer that led to it
		cmp         int       // how rejected compares to key
		steps       int
	)
	for lvl := int(cur.Level) - 1; lvl >= 0; lvl-- {
		atEnd := false
		for {
			off := cur.next(lvl, end)
			loc.back[lvl], loc.fwd[lvl] = cur.Offset, off
			if off == 0 {
				atEnd = true
				break
			}
			if off == rejectedOff {
				break
			}
			n, ok, err := skipDelete(db, off)
			if err != nil {
				return loc, err
			}
			if !ok {
				atEnd = true
				break
			}
			if int(n.Level) <= lvl {
				return loc, db.errf(off, ErrCorrupt, "level-%d pointer from 0x%X to a record of level %d", lvl, cur.Offset, n.Level)
			}
			c := bytes.Compare(n.Key, key)
			if c >= 0 {
				rejected, rejectedOff, cmp = n, off, c
				break
			}
			if cur.Type == TypeRecord && bytes.Compare(cur.Key, n.Key) >= 0 {
				return loc, db.errf(n.Offset, ErrCorrupt, "key %q not after %q", n.Key, cur.Key)
			}
			cur = n
			if steps++; steps > db.maxSteps() {
				return loc, db.errf(cur.Offset, ErrCorrupt, "skiplist descent loops")
			}
		}
		if lvl == 0 && !atEnd && cmp == 0 {
			loc.found, loc.rec = true, rejected
		}
	}
	if !loc.found {
		return loc, nil
	}
	if !loc.rec.CheckTail() {
		return loc, db.errf(loc.rec.Offset, ErrTailCRC, "key %q", loc.rec.Key)
	}
	for i := range int(loc.rec.Level) {
		loc.fwd[i] = loc.rec.next(i, end)
	}
	return loc, nil
}

// storeHere appends a RECORD for key at loc and links it in, unlinking
// the key's old record if there is one.
//
// cyrus: lib/cyrusdb_twoskip.c store_here (3.6.1)
func (tx *Tx) storeHere(loc *location, key, value []byte) error {
	top := 0
	if loc.found {
		top = int(loc.rec.Level)
		tx.hdr.NumRecords--
	}
	lvl := tx.randomLevel()
	slots := make([]uint64, lvl+1)
	for i := range lvl {
		slots[i+1] = loc.fwd[i]
	}
	off, err := tx.appendRecord(TypeRecord, slots, key, value)
	if err != nil {
		return err
	}
	for i := range lvl {
		loc.fwd[i] = off
	}
	if err := tx.stitch(loc, max(top, lvl)); err != nil {
		return err
	}
	tx.hdr.NumRecords++
	return nil
}

// deleteHere appends a DELETE for the record at loc and links it in
// place of the record on level 0; higher levels skip the record.
//
// cyrus: lib/cyrusdb_twoskip.c delete_here (3.6.1)
func (tx *Tx) deleteHere(loc *location) error {
	tx.hdr.NumRecords--
	next, ok, err := skipDelete(tx.df.view(tx.df.size), loc.fwd[0])
	if err != nil {
		return err
	}
	var to uint64
	if ok {
		to = next.Offset
	}
	off, err := tx.appendRecord(TypeDelete, []uint64{to}, nil, nil)
	if err != nil {
		return err
	}
	loc.fwd[0] = off
	return tx.stitch(loc, int(loc.rec.Level))
}

// stitch points the predecessors on levels 0 … top−1 at loc.fwd,
// rewriting each predecessor's head once.
//
// cyrus: lib/cyrusdb_twoskip.c stitch (3.6.1)
func (tx *Tx) stitch(loc *location, top int) error {
	for lvl := 0; lvl < top; {
		db := tx.df.view(tx.df.size)
		r, err := db.recordAt(loc.back[lvl], false)
		if err != nil {
			return err
		}
		n := r.levels()
		if (r.Type != TypeRecord && r.Type != TypeDummy) || n <= lvl {
			return db.errf(r.Offset, ErrCorrupt, "predecessor on level %d is a %v of level %d", lvl, r.Type, r.Level)
		}
		slots := r.Slots()
		for i := lvl; i < min(top, n); i++ {
			tx.setNext(slots, i, loc.fwd[i])
		}
		if err := tx.df.rewriteHead(&r, slots); err != nil {
			return err
		}
		lvl = n
	}
	return nil
}

// setNext sets the successor on level lvl in a record's slots. Level 0
// has two slots: one written in this transaction (at or beyond
// current_size) is overwritten again, otherwise the older (smaller) one,
// so the other still holds the committed successor.
//
// cyrus: lib/cyrusdb_twoskip.c _setloc (3.6.1)
func (tx *Tx) setNext(slots []uint64, lvl int, off uint64) {
	if lvl > 0 {
		slots[lvl+1] = off
		return
	}
	cs := tx.hdr.CurrentSize
	switch {
	case slots[0] >= cs:
		slots[0] = off
	case slots[1] >= cs:
		slots[1] = off
	case slots[1] > slots[0]:
		slots[0] = off
	default:
		slots[1] = off
	}
}

// appendRecord appends a record at the end of the file, first marking
// the header DIRTY (and syncing) if this is the transaction's first
// write, and first padding with BLANKs so that the head does not cross a
// 512-byte block. It returns the record's offset.
//
// cyrus: lib/cyrusdb_twoskip.c append_record, write_record, add_padding (3.6.1)
func (tx *Tx) appendRecord(typ Type, slots []uint64, key, value []byte) (uint64, error) {
	if !tx.hdr.Dirty() {
		tx.hdr.Flags |= FlagDirty
		if err := tx.commitHeader(); err != nil {
			return 0, err
		}
	}
	kv := uint64(len(key) + len(value))
	rec := make([]byte, 0, 16+8*len(slots)+16+int(kv)+8)
	tail := append(append(make([]byte, 0, kv+8), key...), value...)
	for len(tail)%8 != 0 {
		tail = append(tail, 0)
	}
	head := encodeHead(typ, slots, uint64(len(key)), uint64(len(value)), crc32IEEE(tail))
	rec = append(append(rec, head...), tail...)
	hl := uint64(len(head))
	if hl <= blockSize-8 {
		for (tx.df.size+8)%blockSize > (tx.df.size-8+hl)%blockSize {
			if err := tx.df.pwrite([]byte(Blank), tx.df.size); err != nil {
				return 0, err
			}
		}
	}
	off := tx.df.size
	if err := tx.df.pwrite(rec, off); err != nil {
		return 0, err
	}
	return off, nil
}
