package dlist

import (
	"bufio"
	"strings"
	"testing"
)

// TestSkipLine checks the sync_eatline behaviour used after a parse error:
// the rest of the line is discarded, {n+} and file literal payloads
// (which may contain LF) are skipped, {n} payloads are not.
func TestSkipLine(t *testing.T) {
	msg := "a\r\nb\n"
	tests := []struct{ name, in, next string }{
		{"plain", "junk ( \"x\r\nNEXT 1\r\n", "NEXT"},
		{"literal+ payload skipped", "junk {4+}\r\na\nb\n more\r\nNEXT 1\r\n", "NEXT"},
		{"literal payload not skipped", "junk {4}\r\nNEXT 1\r\n", "NEXT"},
		{"file literal skipped", "junk (" + fileLit(msg) + ") x\r\nNEXT 1\r\n", "NEXT"},
		{"file literal CR optional", "%{p g 3}\nx\ny\nNEXT 1\r\n", "NEXT"},
		{"broken literal header", "junk {4+x\nNEXT 1\r\n", "NEXT"},
		{"broken file header", "junk %{p\nNEXT 1\r\n", "NEXT"},
		{"percent at end of line", "junk %\nNEXT 1\r\n", "NEXT"},
		{"brace at end of line", "junk {\nNEXT 1\r\n", "NEXT"},
		{"huge literal is text", "junk {99999999999999999999+}\r\nNEXT 1\r\n", "NEXT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(bufio.NewReader(strings.NewReader(tc.in)), nil)
			if err := d.SkipLine(); err != nil {
				t.Fatal(err)
			}
			key, _, err := d.ReadItem()
			if err != nil || key != tc.next {
				t.Fatalf("after SkipLine: %q, %v", key, err)
			}
		})
	}
	// After a syntax error the line end is still there to be skipped.
	// (An unterminated list is another matter: like Cyrus, the decoder
	// lets lists run across line ends.)
	for _, in := range []string{
		"A \"x\r\nB 1\r\n", "A {3+\r\nB 1\r\n", "A %(K)\r\nB 1\r\n", "A a\x00b\r\nB 1\r\n",
		"A x y\r\nB 1\r\n", "A %{p " + sha1hex("") + " 0\r\nB 1\r\n", "A {2}\nB 1\r\n",
	} {
		d := NewDecoder(bufio.NewReader(strings.NewReader(in)), nil)
		_, _, err := d.ReadItem()
		if err == nil {
			err = d.ReadLineEnd()
		}
		if err == nil {
			t.Fatalf("%q: no error", in)
		}
		if err := d.SkipLine(); err != nil {
			t.Fatalf("%q: SkipLine: %v", in, err)
		}
		if key, v, err := d.ReadItem(); err != nil || key != "B" || v.Text() != "1" {
			t.Errorf("%q: after error and SkipLine: %q %v %v", in, key, v, err)
		}
	}
	d := NewDecoder(bufio.NewReader(strings.NewReader("junk {5+}\r\nab")), nil)
	if err := d.SkipLine(); err == nil {
		t.Error("truncated payload not reported")
	}
}
