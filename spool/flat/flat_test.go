package flat

import (
	"errors"
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
