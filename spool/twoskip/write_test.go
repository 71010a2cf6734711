package twoskip

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// contents reads path with the reader, verifies it, and returns its keys
// and values.
func contents(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := db.ForEach(func(k, v []byte) error { m[string(k)] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	return m
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestCreateEmpty: a new DB is byte for byte the empty file Cyrus 3.6.1
// creates (testdata/empty.db, made by cyr_dbtool).
func TestCreateEmpty(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "new.db")
	if _, err := Begin(p, Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Begin without Create on a missing file: %v", err)
	}
	tx, err := Begin(p, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	want := readGolden(t, "empty.db")
	if !bytes.Equal(got, want) {
		t.Fatalf("new DB differs from Cyrus's:\n got %x\nwant %x", got, want)
	}
	// an existing empty file is initialised too, as Cyrus does
	q := filepath.Join(t.TempDir(), "zero.db")
	os.WriteFile(q, nil, 0o600)
	tx, err = Begin(q, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Abort(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(q); !bytes.Equal(got, want) {
		t.Fatalf("initialised empty file differs from Cyrus's")
	}
	if err := tx.Commit(); err != ErrTxDone {
		t.Fatalf("Commit after Abort: %v", err)
	}
}

// randKey draws keys from a small space (so that replaces and deletes
// are frequent), sometimes long ones, sometimes with 0 and 0xFF bytes.
func randKey(r *rand.Rand) []byte {
	switch r.IntN(10) {
	case 0:
		return bytes.Repeat([]byte{byte('a' + r.IntN(3))}, 1+r.IntN(300))
	case 1:
		return []byte{byte(r.IntN(3)), 0xFF, byte(r.IntN(2))}
	}
	return []byte(fmt.Sprintf("user.%c%d", 'a'+r.IntN(5), r.IntN(40)))
}

func randValue(r *rand.Rand) []byte {
	n := r.IntN(40)
	if r.IntN(20) == 0 {
		n = r.IntN(3000)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// applyRandom runs n random operations on tx and on model, checking Get
// against the model after each.
func applyRandom(t *testing.T, r *rand.Rand, tx *Tx, model map[string]string, n int) {
	t.Helper()
	for range n {
		k := randKey(r)
		switch r.IntN(5) {
		case 0, 1:
			if err := tx.Delete(k); err != nil {
				t.Fatal(err)
			}
			delete(model, string(k))
		case 2:
			// rewrite an existing key with its own value (no-op)
			if v, ok := model[string(k)]; ok {
				if err := tx.Store(k, []byte(v)); err != nil {
					t.Fatal(err)
				}
				continue
			}
			fallthrough
		default:
			v := randValue(r)
			if err := tx.Store(k, v); err != nil {
				t.Fatal(err)
			}
			model[string(k)] = string(v)
		}
		v, ok, err := tx.Get(k)
		if err != nil {
			t.Fatal(err)
		}
		if w, in := model[string(k)]; ok != in || string(v) != w {
			t.Fatalf("Get(%q) in transaction = %q, %v; want %q, %v", k, v, ok, w, in)
		}
	}
	seen := map[string]string{}
	var prev []byte
	if err := tx.ForEach(func(k, v []byte) error {
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			t.Fatalf("ForEach out of order: %q after %q", k, prev)
		}
		prev = append(prev[:0], k...)
		seen[string(k)] = string(v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !sameMap(seen, model) {
		t.Fatalf("ForEach in transaction: %d keys, model %d", len(seen), len(model))
	}
	if int(tx.Header().NumRecords) != len(model) {
		t.Fatalf("num_records %d, model %d", tx.Header().NumRecords, len(model))
	}
}

func copyMap(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestRandomTransactions: random stores and deletes, committed or
// aborted, against a Go map; after every transaction the reader sees
// exactly the committed map and the file verifies. Repacks happen on the
// way (the file crosses Cyrus's threshold several times).
func TestRandomTransactions(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			p := filepath.Join(t.TempDir(), "r.db")
			committed := map[string]string{}
			gen := uint64(1)
			for i := range 60 {
				tx, err := Begin(p, Options{Create: true, NoRepack: seed == 0})
				if err != nil {
					t.Fatal(err)
				}
				model := copyMap(committed)
				applyRandom(t, r, tx, model, 1+r.IntN(30))
				if r.IntN(4) == 0 {
					err = tx.Abort()
				} else {
					err = tx.Commit()
					committed = model
				}
				if err != nil {
					t.Fatalf("transaction %d: %v", i, err)
				}
				if got := contents(t, p); !sameMap(got, committed) {
					t.Fatalf("transaction %d: reader sees %d keys, want %d", i, len(got), len(committed))
				}
				db, _ := ReadFile(p)
				h := db.Header()
				if h.Dirty() || h.Generation < gen {
					t.Fatalf("header after transaction %d: %+v", i, h)
				}
				gen = h.Generation
				if seed != 0 && (h.CurrentSize > repackMin && h.CurrentSize > 2*h.RepackSize) {
					t.Fatalf("not repacked: %+v", h)
				}
			}
			if seed == 0 && gen != 1 {
				t.Fatalf("NoRepack: generation %d", gen)
			}
			if seed != 0 && gen == 1 {
				t.Fatalf("never repacked")
			}
		})
	}
}

// TestRepackLayout: a repack writes the live records in key order into a
// file with generation+1 and repack_size = its size before the COMMIT.
func TestRepackLayout(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.db")
	tx, _ := Begin(p, Options{Create: true, NoRepack: true})
	want := map[string]string{}
	for i := range 400 {
		k, v := fmt.Sprintf("key%04d", i), fmt.Sprintf("value %d", i)
		tx.Store([]byte(k), []byte(v))
		want[k] = v
	}
	for i := range 400 {
		if i%3 == 0 {
			k := fmt.Sprintf("key%04d", i)
			tx.Delete([]byte(k))
			delete(want, k)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	tx, _ = Begin(p, Options{})
	tx.Store([]byte("key0001"), []byte("changed"))
	want["key0001"] = "changed"
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(p)
	if os.SameFile(st, st2) {
		t.Fatal("file not replaced by a repack")
	}
	db, _ := ReadFile(p)
	h := db.Header()
	if h.Generation != 2 || h.RepackSize+24 != h.CurrentSize {
		t.Fatalf("header after repack %+v", h)
	}
	var keys []string
	db.Records(func(r RawRecord) error {
		switch r.Type {
		case TypeRecord:
			keys = append(keys, string(r.Key))
		case TypeDummy, TypeCommit:
		default:
			t.Errorf("%v record in a repacked file", r.Type)
		}
		return nil
	})
	if !sort.StringsAreSorted(keys) || len(keys) != len(want) {
		t.Fatalf("repacked records not the live keys in order: %d of %d", len(keys), len(want))
	}
	if got := contents(t, p); !sameMap(got, want) {
		t.Fatal("contents changed by the repack")
	}
	if _, err := os.Stat(p + ".NEW"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s.NEW left behind: %v", p, err)
	}
}

// TestTxErrors: empty keys, use after the end, deletes of absent keys.
func TestTxErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "e.db")
	tx, err := Begin(p, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Store(nil, []byte("x")); err == nil {
		t.Error("Store of an empty key succeeded")
	}
	if err := tx.Delete([]byte("absent")); err != nil {
		t.Error(err)
	}
	if tx.Header().Dirty() {
		t.Error("delete of an absent key wrote")
	}
	tx.Store([]byte("a"), nil)
	if v, ok, err := tx.Get([]byte("a")); !ok || err != nil || len(v) != 0 {
		t.Errorf("Get of an empty value: %q %v %v", v, ok, err)
	}
	tx.Commit()
	for _, err := range []error{tx.Store([]byte("b"), nil), tx.Delete([]byte("a")), tx.Abort(), tx.Commit()} {
		if err != ErrTxDone {
			t.Errorf("after Commit: %v", err)
		}
	}
	if _, _, err := tx.Get([]byte("a")); err != ErrTxDone {
		t.Errorf("Get after Commit: %v", err)
	}
	if got := contents(t, p); !sameMap(got, map[string]string{"a": ""}) {
		t.Fatalf("contents %v", got)
	}
	// a file that is not twoskip
	q := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(q, bytes.Repeat([]byte("junk"), 100), 0o600)
	var fe *FormatError
	if _, err := Begin(q, Options{}); !errors.As(err, &fe) {
		t.Fatalf("Begin on junk: %v", err)
	}
}

// TestReaderWaitsForTx: Begin holds the exclusive lock until Commit.
func TestReaderWaitsForTx(t *testing.T) {
	p := filepath.Join(t.TempDir(), "l.db")
	tx, err := Begin(p, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { _, err := ReadFile(p); done <- err }()
	tx.Store([]byte("k"), []byte("v"))
	select {
	case err := <-done:
		t.Fatalf("ReadFile returned during the transaction: %v", err)
	default:
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
