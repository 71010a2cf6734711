package twoskip

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

// FuzzTwoskip feeds arbitrary bytes to every reader entry point. Seeds
// (real Cyrus files) are in testdata/fuzz/FuzzTwoskip. Errors must be
// *FormatError; a file that passes Verify must answer Get and
// ForEachPrefix consistently with ForEach.
func FuzzTwoskip(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzOne(t, data)
		// the CRCs make almost every mutation fail early; also try the
		// same bytes with all CRCs made valid, to reach the structure
		fuzzOne(t, fixCRCs(data))
	})
}

// fixCRCs returns a copy of data with the header CRC and the head and tail
// CRCs of every record it can find by a linear scan recomputed.
func fixCRCs(data []byte) []byte {
	b := append([]byte{}, data...)
	if len(b) < HeaderSize {
		return b
	}
	be := binary.BigEndian
	be.PutUint32(b[60:], crc32.ChecksumIEEE(b[:60]))
	end := uint64(len(b))
	if cs := be.Uint64(b[48:]); cs < end {
		end = cs
	}
	for off := uint64(HeaderSize); off+24 <= end; {
		if string(b[off:off+8]) == Blank {
			off += 8
			continue
		}
		kl, vl := uint64(be.Uint16(b[off+2:])), uint64(be.Uint32(b[off+4:]))
		pos := off + 8
		if kl == 0xFFFF || vl == 0xFFFFFFFF {
			return b
		}
		pos += 8 * (uint64(b[off+1]) + 1)
		if pos+8 > end || kl+vl > end {
			return b
		}
		tailLen := (kl + vl + 7) &^ 7
		if pos+8+tailLen > end {
			return b
		}
		be.PutUint32(b[pos:], crc32.ChecksumIEEE(b[off:pos]))
		be.PutUint32(b[pos+4:], crc32.ChecksumIEEE(b[pos+8:pos+8+tailLen]))
		off = pos + 8 + tailLen
	}
	return b
}

func fuzzOne(t *testing.T, data []byte) {
	{
		check := func(err error) {
			var fe *FormatError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
		}
		db, err := Parse("fuzz", data)
		check(err)
		if err != nil {
			return
		}
		type kv struct{ k, v []byte }
		var all []kv
		err = db.ForEach(func(k, v []byte) error { all = append(all, kv{k, v}); return nil })
		check(err)
		check(db.Records(func(RawRecord) error { return nil }))
		verr := db.Verify()
		check(verr)
		for _, e := range all {
			v, ok, gerr := db.Get(e.k)
			check(gerr)
			if verr == nil && err == nil && (!ok || !bytes.Equal(v, e.v)) {
				t.Fatalf("verified DB: Get(%q) = %q, %v; ForEach gave %q", e.k, v, ok, e.v)
			}
			if len(e.k) > 0 {
				n := 0
				perr := db.ForEachPrefix(e.k[:1], func(_, _ []byte) error { n++; return nil })
				check(perr)
				if verr == nil && err == nil && perr == nil && n == 0 {
					t.Fatalf("verified DB: no key with prefix %q", e.k[:1])
				}
			}
		}
	}
}
