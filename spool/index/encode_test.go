package index

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestEncodeRoundTrip re-encodes every header and record of indexes
// written by Cyrus 3.6.1 and expects Cyrus's bytes back.
func TestEncodeRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.index"))
	if len(files) == 0 {
		t.Fatal("no testdata indexes")
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := Parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		h := idx.Header
		raw := bytes.Clone(data[:HeaderSize])
		clear(raw[:HeaderSize-4]) // known fields must all be rewritten...
		copy(raw[136:], data[136:HeaderSize-4])
		if err := h.Encode(raw); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, data[:HeaderSize]) {
			t.Errorf("%s: header re-encoded differs:\n got %x\nwant %x", name, raw, data[:HeaderSize])
		}
		for i := range idx.Records {
			r := idx.Records[i]
			want := data[h.RecordOffset(uint32(i+1)):][:RecordSize]
			got := make([]byte, RecordSize)
			if err := r.Encode(got, h.MinorVersion); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s record %d: got %x\nwant %x", name, i+1, got, want)
			}
		}
	}
}

// TestEncodeSynthetic checks the fields that moved between versions and
// the 48-bit cache offset through a parse of what was encoded.
func TestEncodeSynthetic(t *testing.T) {
	for _, v := range []uint32{17, 18, 19} {
		h := Header{MinorVersion: v, StartOffset: HeaderSize, RecordSize: RecordSize, NumRecords: 1,
			LastUID: 7, Exists: 1, Options: OptMailboxNeedsUnlink, HighestModseq: 1 << 40, DeletedModseq: 5,
			ChangesEpoch: 99, UIDValidity: 12345}
		if v >= 18 {
			h.QuotaDeletedUsed, h.QuotaExpungedUsed = 11, 22
		}
		b := make([]byte, HeaderSize+RecordSize)
		if err := h.Encode(b); err != nil {
			t.Fatal(err)
		}
		r := Record{UID: 7, CacheOffset: 1<<40 + 12, CacheVersion: 12, SystemFlags: FlagSeen,
			InternalFlags: FlagExpunged, Modseq: 3, UserFlags: [4]uint32{1, 0, 0, 1 << 31}}
		if err := r.Encode(b[HeaderSize:], v); err != nil {
			t.Fatal(err)
		}
		idx, err := Parse("synthetic", b)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if idx.Header != h {
			t.Errorf("v%d header: got %+v\nwant %+v", v, idx.Header, h)
		}
		if idx.Records[0] != r {
			t.Errorf("v%d record: got %+v\nwant %+v", v, idx.Records[0], r)
		}
	}
	r := Record{CacheOffset: 1 << 48}
	if err := r.Encode(make([]byte, RecordSize), 17); err == nil {
		t.Error("a cache offset beyond 48 bits was encoded")
	}
}
