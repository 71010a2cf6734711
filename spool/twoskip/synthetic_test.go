package twoskip

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

// buildDeleted builds, record by record, a committed DB in which key "B"
// was deleted: DUMMY → A → DELETE → C on level 0 (A's newer level-0 slot
// points at the DELETE, the older one still at B), as Cyrus writes a
// delete. If relinkUpper is false the DUMMY's level-1 pointer is left
// pointing at the deleted B (an inconsistent file).
//
// cyrus: lib/cyrusdb_twoskip.c delete_here (3.6.1)
func buildDeleted(t *testing.T, relinkUpper bool) []byte {
	t.Helper()
	const (
		offDummy  = 64
		offA      = 336 // DUMMY is 8 + 32·8 + 8 = 272 bytes
		offB      = 376 // A: 8 + 2·8 + 8 + 8 = 40
		offC      = 424 // B: 8 + 3·8 + 8 + 8 = 48
		offDel    = 464 // C: 40
		offCommit = 488 // DELETE: 24
		end       = 512 // COMMIT: 24
	)
	b := make([]byte, HeaderSize)
	copy(b, Magic)
	be := binary.BigEndian
	be.PutUint32(b[20:], 1)
	be.PutUint64(b[24:], 1)
	be.PutUint64(b[32:], 2) // A and C live
	be.PutUint64(b[40:], end)
	be.PutUint64(b[48:], end)
	be.PutUint32(b[60:], crc32.ChecksumIEEE(b[:60]))

	dummy := make([]uint64, 32)
	dummy[0] = offA
	if !relinkUpper {
		dummy[2] = offB // level 1
	}
	var off uint64
	b, off = appendRecord(b, TypeDummy, dummy, nil, nil)
	if off != offDummy {
		t.Fatalf("dummy at %d", off)
	}
	b, off = appendRecord(b, TypeRecord, []uint64{offDel, offB}, []byte("A"), []byte("1"))
	if off != offA {
		t.Fatalf("A at %d", off)
	}
	b, off = appendRecord(b, TypeRecord, []uint64{offC, 0, 0}, []byte("B"), []byte("2"))
	if off != offB {
		t.Fatalf("B at %d", off)
	}
	b, _ = appendRecord(b, TypeRecord, []uint64{0, 0}, []byte("C"), []byte("3"))
	b, _ = appendRecord(b, TypeDelete, []uint64{offC}, nil, nil)
	b, off = appendRecord(b, TypeCommit, []uint64{offB}, nil, nil)
	if off != offCommit || len(b) != end {
		t.Fatalf("commit at %d, end %d", off, len(b))
	}
	return b
}

func TestCommittedDelete(t *testing.T) {
	for _, relink := range []bool{true, false} {
		db, err := Parse("deleted", buildDeleted(t, relink))
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		if err := db.ForEach(func(k, v []byte) error { keys = append(keys, string(k)+"="+string(v)); return nil }); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(keys, ","); got != "A=1,C=3" {
			t.Fatalf("keys %v, want A=1 C=3", keys)
		}
		for k, want := range map[string]string{"A": "1", "B": "", "C": "3", "Bx": "", "0": ""} {
			v, ok, err := db.Get([]byte(k))
			if err != nil || ok != (want != "") || string(v) != want {
				t.Errorf("relink=%v: Get(%q) = %q, %v, %v", relink, k, v, ok, err)
			}
		}
		err = db.Verify()
		if relink && err != nil {
			t.Errorf("Verify: %v", err)
		}
		if !relink && !errors.Is(err, ErrCorrupt) {
			t.Errorf("Verify of a level-1 pointer to a deleted record: %v, want ErrCorrupt", err)
		}
	}
}
