package flat

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParse(t *testing.T) {
	db, err := Parse("x.sub", []byte("\x1FVER\x1F\t2\nNINBOX\t\nNa\xFF\x89b\tv\xFF\xFF\n"))
	if err != nil {
		t.Fatal(err)
	}
	if db.Len() != 3 {
		t.Fatalf("len %d", db.Len())
	}
	if v, ok := db.Get([]byte("\x1FVER\x1F")); !ok || string(v) != "2" {
		t.Errorf("version %q %v", v, ok)
	}
	if v, ok := db.Get([]byte("Na\tb")); !ok || string(v) != "v\xFF" {
		t.Errorf("escaped %q %v", v, ok)
	}
	var keys []string
	db.ForEachPrefix([]byte("N"), func(k, v []byte) error { keys = append(keys, string(k)); return nil })
	if len(keys) != 2 || keys[0] != "NINBOX" {
		t.Errorf("keys %q", keys)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"no tab\n", "k\tv"} {
		_, err := Parse("bad.sub", []byte(in))
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrSyntax) || fe.File != "bad.sub" {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("\x1FVER\x1F\t2\nNINBOX\t\nNa\xFF\x89b\tv\xFF\xFF\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		db, err := Parse("fuzz", b)
		if err != nil {
			return
		}
		db.ForEach(func(k, v []byte) error {
			if _, ok := db.Get(k); !ok {
				t.Fatalf("key %q not found", k)
			}
			return nil
		})
	})
}

func TestCompareOrder(t *testing.T) {
	// Cyrus's mbox order: a key before its extensions, '.' before
	// 0x01…0x08 before the rest, TAB-terminated keys ending first.
	sorted := []string{"", "\x1FVER\x1F", "NINBOX", "NINBOX.x", "NINBOX\x01", "NINBOX\x08", "NINBOX\x1FSent", "NINBOX\x1Fa", "NINBOXhew", "N\xFF\xFF"}
	for i := range sorted {
		for j := range sorted {
			c := Compare([]byte(sorted[i]), []byte(sorted[j]))
			if (i < j && c >= 0) || (i > j && c <= 0) || (i == j && c != 0) {
				t.Errorf("Compare(%q, %q) = %d", sorted[i], sorted[j], c)
			}
		}
	}
}

func TestTxWrite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d", "x.sub")
	if _, err := Begin(p, false); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	tx, err := Begin(p, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.Store([]byte("b\tc"), []byte("v\n"))
	tx.Store([]byte("a"), nil)
	tx.Store([]byte("b\tc"), []byte("w\xff"))
	tx.Store([]byte("a.b"), []byte("1"))
	if v, ok := tx.Get([]byte("b\tc")); !ok || string(v) != "w\xff" {
		t.Errorf("get %q %v", v, ok)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "a\t\na.b\t1\nb\xff\x89c\tw\xff\xff\n" {
		t.Errorf("file %q", b)
	}
	db, err := ReadFile(p)
	if err != nil || db.Len() != 3 {
		t.Fatal(db, err)
	}
	tx, _ = Begin(p, false)
	tx.Delete([]byte("a.b"))
	tx.Delete([]byte("zz"))
	tx.Abort()
	tx, _ = Begin(p, false)
	tx.Delete([]byte("a.b"))
	tx.Commit()
	if b, _ := os.ReadFile(p); string(b) != "a\t\nb\xff\x89c\tw\xff\xff\n" {
		t.Errorf("after delete %q", b)
	}
	os.WriteFile(p, []byte("a\t\nno tab\n"), 0o600)
	var fe *FormatError
	if _, err := Begin(p, false); !errors.As(err, &fe) || fe.Line != 2 {
		t.Errorf("malformed: %v", err)
	}
}

// FuzzTxRoundTrip stores arbitrary keys and values through a Tx: what the
// reader then parses must be what was stored, in Compare order.
func FuzzTxRoundTrip(f *testing.F) {
	f.Add([]byte("NINBOX"), []byte(""), []byte("\x1FVER\x1F"), []byte("2"))
	f.Add([]byte("a\x00\t\r\n\xff"), []byte("\xff\xff"), []byte("a"), []byte("\n"))
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 []byte) {
		p := filepath.Join(t.TempDir(), "f")
		tx, err := Begin(p, true)
		if err != nil {
			t.Fatal(err)
		}
		tx.Store(k1, v1)
		tx.Store(k2, v2)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		db, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{string(k1): v1, string(k2): v2}
		if db.Len() != len(want) {
			t.Fatalf("%d keys, want %d", db.Len(), len(want))
		}
		var prev []byte
		db.ForEach(func(k, v []byte) error {
			if !bytes.Equal(v, want[string(k)]) {
				t.Errorf("key %q: %q, want %q", k, v, want[string(k)])
			}
			if prev != nil && Compare(Escape(prev), Escape(k)) >= 0 {
				t.Errorf("order: %q before %q", prev, k)
			}
			prev = append([]byte(nil), k...)
			return nil
		})
	})
}
