package cache

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, always yields a well-formed
// entry of ten items whose CRC matches, and that ReadEntry reads it back.
func FuzzParse(f *testing.F) {
	emls, _ := filepath.Glob("testdata/vectors/*.eml")
	for _, e := range emls {
		if b, err := os.ReadFile(e); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n"))
	f.Add([]byte("From: \"unterminated\r\nTo: <@a,@b\r\nSubject: =?x?q?=?=\r\n\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > 1<<20 {
			return
		}
		m, err := Parse(msg)
		if err != nil {
			if len(msg) == 0 {
				return
			}
			t.Fatal(err)
		}
		if _, err := Items(m.Entry); err != nil {
			t.Fatal(err)
		}
		if len(m.Entry)%4 != 0 || m.Size != uint64(len(msg)) {
			t.Fatalf("entry %d bytes, size %d", len(m.Entry), m.Size)
		}
		got, err := ReadEntry(bytes.NewReader(append([]byte{0, 0, 0, 0}, m.Entry...)), 4)
		if err != nil || !bytes.Equal(got, m.Entry) {
			t.Fatalf("ReadEntry: %v", err)
		}
	})
}

// TestDeepNesting checks that deeply nested messages parse without
// exhausting the stack.
func TestDeepNesting(t *testing.T) {
	msg := bytes.Repeat([]byte("Content-Type: message/rfc822\r\n\r\n"), 20000)
	m, err := Parse(msg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Exact {
		t.Error("nesting beyond maxDepth reported exact")
	}
	mp := bytes.Repeat([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"), 5000)
	if _, err := Parse(mp); err != nil {
		t.Fatal(err)
	}
}
