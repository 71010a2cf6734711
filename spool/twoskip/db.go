package twoskip

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// DB is an immutable snapshot of the committed state of a twoskip file.
// It is safe for concurrent use by multiple goroutines.
type DB struct {
	name string
	hdr  Header
	// data is the file content up to hdr.CurrentSize.
	data []byte
	// dummy is the decoded DUMMY record at offset 64.
	dummy RawRecord
}

// ReadFile reads the committed state of the twoskip file at path. It opens
// the file, takes a shared fcntl OFD lock (re-opening if a repack replaced
// the file meanwhile), reads the header and the bytes up to current_size,
// and releases the lock before parsing.
//
// cyrus: lib/cyrusdb_twoskip.c myopen/read_lock; lib/mappedfile.c
// mappedfile_readlock (3.6.1)
func ReadFile(path string) (*DB, error) {
	f, err := ofd.OpenShared(path)
	if err != nil {
		return nil, fmt.Errorf("twoskip: %w", err)
	}
	defer f.Close()
	data, err := readCommitted(f, path)
	if uerr := ofd.Unlock(f); uerr != nil && err == nil {
		err = fmt.Errorf("twoskip: %w", uerr)
	}
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// readCommitted reads the header and then the committed bytes of f.
func readCommitted(f *os.File, path string) ([]byte, error) {
	var hb [HeaderSize]byte
	if _, err := f.ReadAt(hb[:], 0); err != nil {
		if err == io.EOF {
			return nil, &FormatError{File: path, Err: ErrTruncated, Detail: "file shorter than the 64-byte header"}
		}
		return nil, fmt.Errorf("twoskip: read header of %s: %w", path, err)
	}
	h, err := ParseHeader(path, hb[:])
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("twoskip: %w", err)
	}
	if h.CurrentSize < HeaderSize || uint64(st.Size()) < h.CurrentSize {
		return nil, &FormatError{File: path, Err: ErrTruncated,
			Detail: fmt.Sprintf("current_size 0x%X but file size 0x%X", h.CurrentSize, st.Size())}
	}
	data := make([]byte, h.CurrentSize)
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("twoskip: read %s: %w", path, err)
	}
	return data, nil
}

// Parse makes a DB from the bytes of a twoskip file. name is used in error
// messages. Bytes beyond the header's current_size are ignored; data is
// retained (not copied) and must not be modified afterwards. Parse checks
// the header and the DUMMY record; other records are checked as they are
// reached (see Verify for a full check).
func Parse(name string, data []byte) (*DB, error) {
	h, err := ParseHeader(name, data)
	if err != nil {
		return nil, err
	}
	if h.CurrentSize < HeaderSize || h.CurrentSize > uint64(len(data)) {
		return nil, &FormatError{File: name, Err: ErrTruncated,
			Detail: fmt.Sprintf("current_size 0x%X but only 0x%X bytes", h.CurrentSize, len(data))}
	}
	db := &DB{name: name, hdr: h, data: data[:h.CurrentSize:h.CurrentSize]}
	d, err := db.recordAt(HeaderSize, true)
	if err != nil {
		return nil, err
	}
	if d.Type != TypeDummy {
		return nil, db.errf(HeaderSize, ErrCorrupt, "first record is %v, want DUMMY", d.Type)
	}
	db.dummy = d
	return db, nil
}

// Name returns the file name the DB was read from.
func (db *DB) Name() string { return db.name }

// Header returns the file header.
func (db *DB) Header() Header { return db.hdr }

// Len returns the number of live keys according to the header.
func (db *DB) Len() int { return int(db.hdr.NumRecords) }

// end is the committed end of the file.
func (db *DB) end() uint64 { return uint64(len(db.data)) }

// maxSteps bounds every walk: no chain can have more records than fit
// into the committed bytes.
func (db *DB) maxSteps() int { return len(db.data)/24 + 2 }

// ForEach calls fn for every live key in key order with its value. Key and
// value alias the snapshot and must not be modified. If fn returns an
// error, ForEach stops and returns it.
func (db *DB) ForEach(fn func(key, value []byte) error) error {
	dummy := db.dummy
	return db.walk(&dummy, nil, fn)
}

// ForEachPrefix is ForEach restricted to keys starting with prefix.
func (db *DB) ForEachPrefix(prefix []byte, fn func(key, value []byte) error) error {
	pred, err := db.seek(prefix)
	if err != nil {
		return err
	}
	return db.walk(&pred, prefix, fn)
}

// Get returns the value stored under key, or ok=false if there is none.
// The value aliases the snapshot and must not be modified.
func (db *DB) Get(key []byte) (value []byte, ok bool, err error) {
	pred, err := db.seek(key)
	if err != nil {
		return nil, false, err
	}
	r, found, err := db.next0(&pred)
	if err != nil || !found {
		return nil, false, err
	}
	if !bytes.Equal(r.Key, key) {
		return nil, false, nil
	}
	if !r.CheckTail() {
		return nil, false, db.errf(r.Offset, ErrTailCRC, "key %q", r.Key)
	}
	return r.Value, true, nil
}

// next0 returns the live RECORD following r on level 0 in the committed
// state (skipping a DELETE); ok is false at the end of the list.
func (db *DB) next0(r *RawRecord) (n RawRecord, ok bool, err error) {
	off := r.next(0, db.end())
	for range db.maxSteps() {
		if off == 0 {
			return n, false, nil
		}
		n, err = db.recordAt(off, false)
		if err != nil {
			return n, false, err
		}
		switch n.Type {
		case TypeRecord:
			return n, true, nil
		case TypeDelete:
			off = n.next(0, db.end())
		default:
			return n, false, db.errf(off, ErrCorrupt, "level-0 pointer from 0x%X to a %v record", r.Offset, n.Type)
		}
	}
	return n, false, db.errf(off, ErrCorrupt, "DELETE chain loops")
}

// walk visits the live records after start on level 0. If prefix is
// non-nil, records before the prefix are skipped and the walk ends at the
// first key not starting with it.
func (db *DB) walk(start *RawRecord, prefix []byte, fn func(key, value []byte) error) error {
	cur := *start
	var prev []byte
	havePrev := start.Type == TypeRecord
	if havePrev {
		prev = start.Key
	}
	for range db.maxSteps() {
		r, ok, err := db.next0(&cur)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if havePrev && bytes.Compare(prev, r.Key) >= 0 {
			return db.errf(r.Offset, ErrCorrupt, "key %q not after %q", r.Key, prev)
		}
		prev, havePrev, cur = r.Key, true, r
		if prefix != nil {
			if bytes.Compare(r.Key, prefix) < 0 {
				continue
			}
			if !bytes.HasPrefix(r.Key, prefix) {
				return nil
			}
		}
		if !r.CheckTail() {
			return db.errf(r.Offset, ErrTailCRC, "key %q", r.Key)
		}
		if err := fn(r.Key, r.Value); err != nil {
			return err
		}
	}
	return db.errf(cur.Offset, ErrCorrupt, "level-0 list longer than the file allows (loop?)")
}

// seek descends the skiplist and returns the last record (possibly the
// DUMMY) whose key is < key on level 0's upper neighbours. Pointers at or
// beyond current_size are treated as absent, so an interrupted
// transaction cannot lead the descent astray; the final approach is done
// on level 0 (walk/next0), which the two-pointer scheme keeps consistent.
//
// cyrus: lib/cyrusdb_twoskip.c relocate (3.6.1)
func (db *DB) seek(key []byte) (RawRecord, error) {
	cur := db.dummy
	steps := 0
	// rejected is the last record found to be ≥ key; when the next
	// level down points to it again it need not be read again
	var rejected uint64
	for lvl := cur.levels() - 1; lvl >= 0; lvl-- {
		for {
			var n RawRecord
			if lvl == 0 {
				var ok bool
				var err error
				n, ok, err = db.next0(&cur)
				if err != nil {
					return cur, err
				}
				if !ok {
					break
				}
			} else {
				off := cur.next(lvl, db.end())
				if off == 0 || off == rejected {
					break
				}
				var err error
				n, err = db.recordAt(off, false)
				if err != nil {
					return cur, err
				}
				if n.Type != TypeRecord || int(n.Level) <= lvl {
					return cur, db.errf(off, ErrCorrupt, "level-%d pointer from 0x%X to %v of level %d", lvl, cur.Offset, n.Type, n.Level)
				}
			}
			if bytes.Compare(n.Key, key) >= 0 {
				rejected = n.Offset
				break
			}
			if cur.Type == TypeRecord && bytes.Compare(cur.Key, n.Key) >= 0 {
				return cur, db.errf(n.Offset, ErrCorrupt, "key %q not after %q", n.Key, cur.Key)
			}
			cur = n
			if steps++; steps > db.maxSteps() {
				return cur, db.errf(cur.Offset, ErrCorrupt, "skiplist descent loops")
			}
		}
	}
	return cur, nil
}

// Record decodes the record at file offset off (head CRC checked, tail CRC
// not; see RawRecord.CheckTail).
func (db *DB) Record(off uint64) (RawRecord, error) { return db.recordAt(off, false) }

// Records calls fn for every record of the committed part of the file in
// file order (as "cyr_dbtool … dump" lists them), skipping BLANK fillers;
// this includes replaced and deleted records. It stops at the first
// undecodable record or when fn returns an error.
func (db *DB) Records(fn func(r RawRecord) error) error {
	off := uint64(HeaderSize)
	for off < db.end() {
		if db.end()-off >= 8 && string(db.data[off:off+8]) == Blank {
			off += 8
			continue
		}
		r, err := db.recordAt(off, false)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		off += r.Len
	}
	return nil
}

// Verify checks the whole committed file: head and tail CRCs of every
// record, key order of the level-0 list, that the number of live keys
// equals the header's num_records, and that every higher-level list links
// only live records of sufficient level in key order (so that Get agrees
// with ForEach).
//
// cyrus: lib/cyrusdb_twoskip.c myconsistent (3.6.1)
func (db *DB) Verify() error {
	err := db.Records(func(r RawRecord) error {
		if !r.CheckTail() {
			return db.errf(r.Offset, ErrTailCRC, "%s", hexPair(r.TailCRC, crc32IEEE(r.tail)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	// level 0: the live records; remember their offsets
	live := map[uint64]bool{}
	dummy := db.dummy
	for cur := dummy; ; {
		r, ok, err := db.next0(&cur)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if cur.Type == TypeRecord && bytes.Compare(cur.Key, r.Key) >= 0 {
			return db.errf(r.Offset, ErrCorrupt, "key %q not after %q", r.Key, cur.Key)
		}
		live[r.Offset] = true
		if len(live) > db.maxSteps() {
			return db.errf(r.Offset, ErrCorrupt, "level-0 list loops")
		}
		cur = r
	}
	if uint64(len(live)) != db.hdr.NumRecords {
		return db.errf(0, ErrCorrupt, "header num_records %d but %d live keys", db.hdr.NumRecords, len(live))
	}
	// higher levels: only live records of sufficient level, in key order
	for lvl := 1; lvl < dummy.levels(); lvl++ {
		cur := dummy
		for {
			off := cur.next(lvl, db.end())
			if off == 0 {
				break
			}
			if !live[off] {
				return db.errf(cur.Offset, ErrCorrupt, "level-%d pointer to 0x%X, not a live record", lvl, off)
			}
			r, err := db.recordAt(off, false)
			if err != nil {
				return err
			}
			if int(r.Level) <= lvl || (cur.Type == TypeRecord && bytes.Compare(cur.Key, r.Key) >= 0) {
				return db.errf(off, ErrCorrupt, "level-%d list out of order or record of level %d", lvl, r.Level)
			}
			cur = r
		}
	}
	return nil
}
