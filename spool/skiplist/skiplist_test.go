package skiplist

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"
)

// testdata/small.db was written by Cyrus 3.6.1's cyr_dbtool from
// testdata/small.batch (sets, a delete, a replace in a transaction);
// small.show.golden is what `cyr_dbtool … skiplist show` printed.
func TestShowGolden(t *testing.T) {
	db, err := ReadFile("testdata/small.db")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	db.ForEachPrefix(nil, func(k, v []byte) error { fmt.Fprintf(&got, "%s\t%s\n", k, v); return nil })
	want, _ := os.ReadFile("testdata/small.show.golden")
	if got.String() != string(want) {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want)
	}
	if v, ok := db.Get([]byte("key5")); !ok || string(v) != "replaced" {
		t.Errorf("key5 %q %v", v, ok)
	}
	if _, ok := db.Get([]byte("key3")); ok {
		t.Error("deleted key3 found")
	}
	if db.Len() != 11 {
		t.Errorf("len %d", db.Len())
	}
}

func TestCorrupt(t *testing.T) {
	orig, _ := os.ReadFile("testdata/small.db")
	for name, f := range map[string]func(b []byte) []byte{
		"magic":     func(b []byte) []byte { b[0] = 'x'; return b },
		"version":   func(b []byte) []byte { b[23] = 2; return b },
		"truncated": func(b []byte) []byte { return b[:200] },
		"pointer":   func(b []byte) []byte { copy(b[HeaderSize+12:], []byte{0x7f, 0, 0, 0}); return b },
		"short":     func(b []byte) []byte { return b[:10] },
	} {
		_, err := Parse("bad.db", f(bytes.Clone(orig)))
		var fe *FormatError
		if !errors.As(err, &fe) || fe.File != "bad.db" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, _ := os.ReadFile("testdata/small.db")
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := Parse("fuzz.db", data)
		if err != nil {
			return
		}
		db.ForEachPrefix(nil, func(k, v []byte) error {
			if w, ok := db.Get(k); !ok || !bytes.Equal(w, v) {
				t.Fatalf("Get(%q) disagrees with the walk", k)
			}
			return nil
		})
	})
}
