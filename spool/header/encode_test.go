package header

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestEncodeRoundTrip: headers written by Cyrus 3.6.1 come back byte for
// byte, with the same CRC.
func TestEncodeRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.header"))
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		h, err := Parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		crc := h.FileCRC
		got, err := h.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, data)
		}
		if h.FileCRC != crc {
			t.Errorf("%s: CRC %08X, want %08X", name, h.FileCRC, crc)
		}
	}
}

// TestEncodeFreeSlot: a removed flag before a used one is written as NIL
// and reads back as a free slot.
func TestEncodeFreeSlot(t *testing.T) {
	h := &Header{Type: "e", Name: "user.fred", UniqueID: "abc", ACL: []ACLEntry{{"fred", "lrs"}},
		UserFlags: []string{"a", "", "c"}}
	b, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("%(T e N user.fred I abc A %(fred lrs) U (a NIL c))\n")) {
		t.Errorf("got %q", b[len(Magic):])
	}
	back, err := Parse("x", b)
	if err != nil {
		t.Fatal(err)
	}
	if back.UserFlag(1) != "" || back.UserFlag(2) != "c" {
		t.Errorf("flags back: %q", back.UserFlags)
	}
}
