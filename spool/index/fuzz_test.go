package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"reflect"
	"testing"
)

// FuzzIndex feeds arbitrary bytes to Parse and Read. Seeds (real Cyrus
// 3.6.1 indexes and synthetic v18/v19 ones) are in testdata/fuzz/FuzzIndex.
// Errors must be *FormatError, both entry points must agree, and a parsed
// index must hold NumRecords records.
func FuzzIndex(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzIndexOne(t, data)
		// also with valid CRCs, to get past the checks
		fuzzIndexOne(t, fixIndexCRCs(data))
	})
}

func fixIndexCRCs(data []byte) []byte {
	b := append([]byte{}, data...)
	if len(b) < HeaderSize {
		return b
	}
	be := binary.BigEndian
	be.PutUint32(b[HeaderSize-4:], crc32.ChecksumIEEE(b[:HeaderSize-4]))
	start, size := int(be.Uint32(b[12:])), int(be.Uint32(b[16:]))
	if size < RecordSize || start < HeaderSize {
		return b
	}
	for off := start; off >= 0 && off+RecordSize <= len(b); off += size {
		be.PutUint32(b[off+offRecordCRC:], crc32.ChecksumIEEE(b[off:off+offRecordCRC]))
	}
	return b
}

func fuzzIndexOne(t *testing.T, data []byte) {
	x1, err1 := Parse("fuzz", data)
	x2, err2 := Read("fuzz", bytes.NewReader(data))
	x3, err3 := Read("fuzz", onlyReaderAt{bytes.NewReader(data)})
	if (err3 == nil) != (err2 == nil) || (err3 != nil && err3.Error() != err2.Error()) || !reflect.DeepEqual(x2, x3) {
		t.Fatalf("Read with and without Size disagree: %v / %v", err2, err3)
	}
	for _, err := range []error{err1, err2} {
		var fe *FormatError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error %v (%T) is not a *FormatError", err, err)
		}
	}
	if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
		t.Fatalf("Parse and Read disagree: %v / %v", err1, err2)
	}
	if err1 != nil {
		return
	}
	if !reflect.DeepEqual(x1, x2) {
		t.Fatal("Parse and Read results differ")
	}
	if len(x1.Records) != int(x1.Header.NumRecords) {
		t.Fatalf("%d records, header says %d", len(x1.Records), x1.Header.NumRecords)
	}
	for i := range x1.Records {
		r := &x1.Records[i]
		if r.SystemFlags&internalMask != 0 || r.InternalFlags&systemMask != 0 {
			t.Fatal("flag halves mixed up")
		}
		_ = x1.Lookup(r.UID)
	}
}

// onlyReaderAt hides the Size method of a *bytes.Reader, to exercise
// Read's chunked path.
type onlyReaderAt struct{ r *bytes.Reader }

func (o onlyReaderAt) ReadAt(p []byte, off int64) (int, error) { return o.r.ReadAt(p, off) }
