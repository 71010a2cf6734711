package twoskip

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
)

// Type is the type byte of a twoskip record.
type Type byte

// Record types.
//
// cyrus: lib/cyrusdb_twoskip.c enum DUMMY/RECORD/DELETE/COMMIT (3.6.1)
const (
	// TypeDummy is the list head at offset 64 ('=').
	TypeDummy Type = '='
	// TypeRecord is a key/value record ('+').
	TypeRecord Type = '+'
	// TypeDelete marks the deletion of a key ('-').
	TypeDelete Type = '-'
	// TypeCommit ends a write transaction ('$').
	TypeCommit Type = '$'
)

// String returns the name cyr_dbtool's dump uses for the type.
func (t Type) String() string {
	switch t {
	case TypeDummy:
		return "DUMMY"
	case TypeRecord:
		return "RECORD"
	case TypeDelete:
		return "DELETE"
	case TypeCommit:
		return "COMMIT"
	}
	return fmt.Sprintf("Type(%#02x)", byte(t))
}

// Blank is the 8-byte filler a writer may place between records so that a
// record head does not straddle a 512-byte block; it is never pointed to.
const Blank = " BLANK\x07\xA0"

// RawRecord is one record as stored in the file.
//
// cyrus: lib/cyrusdb_twoskip.c struct skiprecord, read_onerecord (3.6.1)
type RawRecord struct {
	// Offset is the file offset of the record's first byte.
	Offset uint64
	// Len is the total length of the record including padding.
	Len uint64
	// Type is the record type.
	Type Type
	// Level is the level byte L; the record has L+1 pointer slots.
	Level uint8
	// ptrs holds the L+1 big-endian 64-bit pointer slots; see Slot.
	ptrs []byte
	// HeadCRC is the stored CRC32 of the record head (all bytes before
	// the two CRCs); verified when the record is read.
	HeadCRC uint32
	// TailCRC is the stored CRC32 of key, value and padding; verified by
	// CheckTail.
	TailCRC uint32
	// Key is the key bytes (a sub-slice of the snapshot; do not modify).
	Key []byte
	// Value is the value bytes (a sub-slice of the snapshot; do not
	// modify).
	Value []byte
	// tail is key+value+padding, covered by TailCRC.
	tail []byte
}

// NumSlots returns the number of pointer slots, Level+1.
func (r *RawRecord) NumSlots() int { return len(r.ptrs) / 8 }

// Slot returns pointer slot i (0 ≤ i < NumSlots), or 0 if out of range.
// Slots 0 and 1 are the two alternative level-0 successors, slot k (k ≥ 2)
// the successor on level k−1. A DELETE's slot 0 is the successor of the
// deleted key, a COMMIT's slot 0 the offset where its transaction started.
func (r *RawRecord) Slot(i int) uint64 {
	if i < 0 || 8*i+8 > len(r.ptrs) {
		return 0
	}
	return binary.BigEndian.Uint64(r.ptrs[8*i:])
}

// Slots returns all pointer slots as a new slice.
func (r *RawRecord) Slots() []uint64 {
	s := make([]uint64, r.NumSlots())
	for i := range s {
		s[i] = r.Slot(i)
	}
	return s
}

// CheckTail verifies TailCRC against the key, value and padding bytes.
func (r *RawRecord) CheckTail() bool {
	return crc32.ChecksumIEEE(r.tail) == r.TailCRC
}

// next returns the successor of r on skiplist level lvl in the committed
// state ending at end: level 0 picks between the two alternative slots,
// higher levels use slot lvl+1. Pointers at or beyond end are treated as
// absent (0).
//
// cyrus: lib/cyrusdb_twoskip.c _getloc (3.6.1)
func (r *RawRecord) next(lvl int, end uint64) uint64 {
	if lvl > 0 {
		if p := r.Slot(lvl + 1); p < end {
			return p
		}
		return 0
	}
	if r.NumSlots() < 2 {
		if p := r.Slot(0); p < end {
			return p
		}
		return 0
	}
	a, b := r.Slot(0), r.Slot(1)
	switch {
	case a >= end && b >= end:
		return 0
	case a >= end:
		return b
	case b >= end:
		return a
	case a > b:
		return a
	default:
		return b
	}
}

// levels returns how many skiplist levels the record takes part in.
func (r *RawRecord) levels() int {
	if r.Type == TypeDummy || r.Type == TypeRecord {
		return int(r.Level)
	}
	return 1
}

// recordAt decodes the record at off, verifying its head CRC (and, if tail
// is set, its tail CRC). It never reads beyond db.end.
func (db *DB) recordAt(off uint64, tail bool) (RawRecord, error) {
	var r RawRecord
	end := uint64(len(db.data))
	if off < HeaderSize || off%8 != 0 || off >= end {
		return r, db.errf(off, ErrCorrupt, "record offset out of range (committed size 0x%X)", end)
	}
	if end-off < 24 {
		return r, db.errf(off, ErrTruncated, "record head past committed end 0x%X", end)
	}
	b := db.data[off:]
	be := binary.BigEndian
	r.Offset = off
	r.Type = Type(b[0])
	r.Level = b[1]
	switch r.Type {
	case TypeDummy, TypeRecord, TypeDelete, TypeCommit:
	default:
		if string(b[:8]) == Blank {
			return r, db.errf(off, ErrCorrupt, "pointer to a BLANK filler")
		}
		return r, db.errf(off, ErrCorrupt, "unknown record type %#02x", b[0])
	}
	if r.Level > MaxLevel {
		return r, db.errf(off, ErrCorrupt, "level %d > %d", r.Level, MaxLevel)
	}
	keylen := uint64(be.Uint16(b[2:]))
	vallen := uint64(be.Uint32(b[4:]))
	pos := uint64(8)
	if keylen == 0xFFFF {
		if uint64(len(b)) < pos+8 {
			return r, db.errf(off, ErrTruncated, "64-bit key length past committed end")
		}
		keylen = be.Uint64(b[pos:])
		pos += 8
	}
	if vallen == 0xFFFFFFFF {
		if uint64(len(b)) < pos+8 {
			return r, db.errf(off, ErrTruncated, "64-bit value length past committed end")
		}
		vallen = be.Uint64(b[pos:])
		pos += 8
	}
	nslots := uint64(r.Level) + 1
	headLen := pos + 8*nslots
	avail := uint64(len(b))
	if headLen+8 > avail {
		return r, db.errf(off, ErrTruncated, "record head (%d bytes) past committed end 0x%X", headLen+8, end)
	}
	// guard against overflow before rounding: both lengths are bounded
	// by the available bytes
	if keylen > avail || vallen > avail || keylen+vallen > avail {
		return r, db.errf(off, ErrTruncated, "key/value (%d+%d bytes) past committed end 0x%X", keylen, vallen, end)
	}
	kv := keylen + vallen
	padded := (kv + 7) &^ 7
	r.Len = headLen + 8 + padded
	if r.Len > avail {
		return r, db.errf(off, ErrTruncated, "record (%d bytes) past committed end 0x%X", r.Len, end)
	}
	r.ptrs = b[pos:headLen:headLen]
	r.HeadCRC = be.Uint32(b[headLen:])
	r.TailCRC = be.Uint32(b[headLen+4:])
	if got := crc32.ChecksumIEEE(b[:headLen]); got != r.HeadCRC {
		return r, db.errf(off, ErrHeadCRC, "%s", hexPair(r.HeadCRC, got))
	}
	k := headLen + 8
	r.Key = b[k : k+keylen : k+keylen]
	r.Value = b[k+keylen : k+kv : k+kv]
	r.tail = b[k : k+padded]
	if tail && !r.CheckTail() {
		return r, db.errf(off, ErrTailCRC, "%s", hexPair(r.TailCRC, crc32.ChecksumIEEE(r.tail)))
	}
	return r, nil
}

func hexPair(stored, computed uint32) string {
	return fmt.Sprintf("stored %08X, computed %08X", stored, computed)
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
