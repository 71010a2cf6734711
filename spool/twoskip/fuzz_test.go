package twoskip

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
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

// FuzzRecovery writes arbitrary bytes to a file and opens it for writing,
// which recovers it if it is dirty or has bytes past current_size (the
// real fixtures are seeded clean, dirty, and with an uncommitted tail).
// Nothing may panic; if Begin succeeds, a store, delete and commit must
// work and the reader must then read the file.
func FuzzRecovery(f *testing.F) {
	for _, name := range []string{"empty", "seen", "mailboxes"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".db"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		h, _ := ParseHeader(name, b)
		h.Flags |= FlagDirty
		d := append(encodeHeader(h), b[HeaderSize:]...)
		f.Add(d)
		f.Add(append(bytes.Clone(d), bytes.Repeat([]byte{0x2b, 1}, 40)...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		p := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		tx, err := Begin(p, Options{NoRepack: true})
		if err != nil {
			return
		}
		var st, de error
		if st = tx.Store([]byte("fuzz"), []byte("value")); st == nil {
			de = tx.Delete([]byte("user.x"))
		}
		if st != nil || de != nil {
			// a corrupt record met on the way: the transaction may have
			// ended; Abort must still be safe
			tx.Abort()
			return
		}
		if err := tx.Commit(); err != nil {
			t.Fatalf("commit after a successful recovery: %v", err)
		}
		db, err := ReadFile(p)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("reader after recovery: %v", err)
			}
			return
		}
		if v, ok, err := db.Get([]byte("fuzz")); err == nil && (!ok || string(v) != "value") {
			t.Fatalf("stored key reads back as %q, %v", v, ok)
		}
	})
}
