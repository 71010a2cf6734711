package twoskip

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// files is a set of file contents by name, to replay recorded operations
// on.
type files map[string][]byte

func (fs files) clone() files {
	c := files{}
	for k, v := range fs {
		c[k] = bytes.Clone(v)
	}
	return c
}

// apply carries out one recorded operation; torn applies only the first
// half of a write.
func (fs files) apply(op Op, torn bool) {
	switch op.Kind {
	case OpWrite:
		d := op.Data
		if torn {
			d = d[:len(d)/2]
		}
		b := fs[op.Name]
		if end := int(op.Offset) + len(d); end > len(b) {
			b = append(b, make([]byte, end-len(b))...)
		}
		copy(b[op.Offset:], d)
		fs[op.Name] = b
	case OpTruncate:
		b := fs[op.Name]
		if int(op.Offset) <= len(b) {
			fs[op.Name] = b[:op.Offset]
		} else {
			fs[op.Name] = append(b, make([]byte, int(op.Offset)-len(b))...)
		}
	case OpRename:
		fs[op.Path] = fs[op.Name]
		delete(fs, op.Name)
	}
}

// recorder returns a BeforeIO hook that records every operation.
func recorder(ops *[]Op) func(Op) error {
	return func(op Op) error {
		op.Data = bytes.Clone(op.Data)
		*ops = append(*ops, op)
		return nil
	}
}

// commitPoint returns the index of the header write that commits a
// transaction on name: the first write at offset 0 with DIRTY clear after
// a write with DIRTY set. -1 if there is none.
func commitPoint(ops []Op, name string) int {
	dirty := false
	for i, op := range ops {
		if op.Kind != OpWrite || op.Name != name || op.Offset != 0 || len(op.Data) != HeaderSize {
			continue
		}
		if op.Data[59]&FlagDirty != 0 {
			dirty = true
		} else if dirty {
			return i
		}
	}
	return -1
}

// recovered writes b to a fresh file, lets Begin recover it, and returns
// what the reader then sees.
func recovered(t *testing.T, b []byte) map[string]string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "crash.db")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	tx, err := Begin(p, Options{})
	if err != nil {
		t.Fatalf("recovery: %v", err)
	}
	if err := tx.Abort(); err != nil {
		t.Fatal(err)
	}
	return contents(t, p)
}

// crashStates returns, for a recorded run starting from start, the file
// at name after a crash before operation k, for every k: the prefix
// ops[:k] applied; with reorder, only the operations up to the last sync
// before k are certain and each later write is applied or lost at
// random; with torn, an append in flight is half written.
//
// It also reports whether operation cp made it to the file.
func crashStates(r *rand.Rand, start files, ops []Op, name string, k int, reorder, torn bool, cp int) ([]byte, bool) {
	fs := start.clone()
	lastSync := 0
	for i := range k {
		if ops[i].Kind == OpFsync || ops[i].Kind == OpFdatasync || ops[i].Kind == OpRename {
			lastSync = i + 1
		}
	}
	applied := false
	for i, op := range ops[:k] {
		if reorder && i >= lastSync && op.Kind == OpWrite && r.IntN(2) == 0 {
			continue
		}
		applied = applied || i == cp
		isAppend := op.Kind == OpWrite && int(op.Offset) >= len(fs[op.Name])
		fs.apply(op, torn && i == k-1 && isAppend)
	}
	return fs[name], applied
}

// runCrashes builds a DB with a few committed transactions, records one
// more transaction (committed or aborted, possibly with a repack), and
// checks that a crash before any of its operations recovers to the state
// before it, or after it once its header write has happened.
func runCrashes(t *testing.T, seed uint64, repack bool) {
	r := rand.New(rand.NewPCG(seed, 99))
	dir := t.TempDir()
	p := filepath.Join(dir, "c.db")
	committed := map[string]string{}
	for range 1 + r.IntN(4) {
		tx, err := Begin(p, Options{Create: true, NoRepack: true})
		if err != nil {
			t.Fatal(err)
		}
		applyRandom(t, r, tx, committed, 5+r.IntN(40))
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(p)
	start := files{p: b}
	var ops []Op
	tx, err := Begin(p, Options{BeforeIO: recorder(&ops), NoRepack: !repack})
	if err != nil {
		t.Fatal(err)
	}
	after := copyMap(committed)
	applyRandom(t, r, tx, after, 1+r.IntN(30))
	abort := r.IntN(5) == 0
	if abort {
		err = tx.Abort()
		after = committed
	} else {
		err = tx.Commit()
	}
	if err != nil {
		t.Fatal(err)
	}
	cp := commitPoint(ops, p)
	if !abort && cp < 0 {
		t.Fatal("no commit point recorded")
	}
	for k := 0; k <= len(ops); k++ {
		for _, mode := range []struct{ reorder, torn bool }{{false, false}, {true, false}, {false, true}} {
			img, committing := crashStates(r, start, ops, p, k, mode.reorder, mode.torn, cp)
			want := committed
			if !abort && committing {
				want = after
			}
			got := recovered(t, img)
			if !sameMap(got, want) {
				t.Fatalf("crash before op %d of %d (%v at 0x%X, reorder=%v torn=%v): recovered %d keys, want %d",
					k, len(ops), ops[min(k, len(ops)-1)].Kind, ops[min(k, len(ops)-1)].Offset, mode.reorder, mode.torn, len(got), len(want))
			}
		}
	}
}

// TestCrashDuringTransaction stops a transaction before every one of its
// writes, truncations and syncs (and, with reorder, loses any unsynced
// write): recovery always yields the last committed state.
func TestCrashDuringTransaction(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runCrashes(t, seed, false) })
	}
}

// TestCrashDuringRepack: the same with a commit that repacks the file.
func TestCrashDuringRepack(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	p := filepath.Join(t.TempDir(), "big.db")
	model := map[string]string{}
	tx, _ := Begin(p, Options{Create: true, NoRepack: true})
	applyRandom(t, r, tx, model, 300)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	start := files{p: b}
	var ops []Op
	tx, _ = Begin(p, Options{BeforeIO: recorder(&ops)})
	after := copyMap(model)
	applyRandom(t, r, tx, after, 3)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	renamed := false
	for _, op := range ops {
		renamed = renamed || op.Kind == OpRename
	}
	if !renamed {
		t.Fatal("commit did not repack")
	}
	cp := commitPoint(ops, p)
	for k := 0; k <= len(ops); k++ {
		img, committing := crashStates(r, start, ops, p, k, false, false, cp)
		want := model
		if committing {
			want = after
		}
		if got := recovered(t, img); !sameMap(got, want) {
			t.Fatalf("crash before op %d of %d: %d keys, want %d", k, len(ops), len(got), len(want))
		}
	}
}

// TestCrashDuringRecovery: recovery itself stopped at any point is
// recovered again to the same state.
func TestCrashDuringRecovery(t *testing.T) {
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 3))
		p := filepath.Join(t.TempDir(), "rr.db")
		committed := map[string]string{}
		tx, _ := Begin(p, Options{Create: true})
		applyRandom(t, r, tx, committed, 40)
		tx.Commit()
		// crash a transaction just before its commit record
		crash := errors.New("crash")
		var ops []Op
		var stopped bool
		tx, _ = Begin(p, Options{BeforeIO: func(op Op) error {
			if stopped || (op.Kind == OpWrite && len(op.Data) == 24 && op.Data[0] == byte(TypeCommit)) {
				stopped = true
				return crash
			}
			return nil
		}})
		applyRandom(t, r, tx, copyMap(committed), 20)
		if err := tx.Commit(); !errors.Is(err, crash) {
			t.Fatalf("commit: %v", err)
		}
		b, _ := os.ReadFile(p)
		if h, _ := ParseHeader(p, b); !h.Dirty() {
			t.Fatal("crashed transaction left a clean header")
		}
		// record the recovery
		tx, err := Begin(p, Options{BeforeIO: recorder(&ops)})
		if err != nil {
			t.Fatal(err)
		}
		tx.Abort()
		if len(ops) < 4 {
			t.Fatalf("recovery made only %d operations", len(ops))
		}
		start := files{p: b}
		for k := 0; k <= len(ops); k++ {
			for _, reorder := range []bool{false, true} {
				img, _ := crashStates(r, start, ops, p, k, reorder, false, -1)
				if got := recovered(t, img); !sameMap(got, committed) {
					t.Fatalf("seed %d: recovery stopped before op %d of %d: %d keys, want %d", seed, k, len(ops), len(got), len(committed))
				}
			}
		}
	}
}

// TestRecovery2 damages a record of the committed level-0 chain of a
// dirty file, so that recovery1 fails, and checks the rebuild from the
// commits: every transaction that does not touch the damaged record
// survives, including deletes.
func TestRecovery2(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r2.db")
	tx, _ := Begin(p, Options{Create: true, NoRepack: true})
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		tx.Store([]byte(k), []byte("1"+k))
	}
	tx.Commit()
	tx, _ = Begin(p, Options{NoRepack: true})
	tx.Delete([]byte("c"))
	tx.Delete([]byte("e"))
	tx.Store([]byte("b"), []byte("2b"))
	tx.Commit()
	tx, _ = Begin(p, Options{NoRepack: true})
	tx.Store([]byte("f"), []byte("3f"))
	tx.Commit()
	b, _ := os.ReadFile(p)
	h, _ := ParseHeader(p, b)
	db, _ := Parse(p, b)
	// damage the key of the last transaction's record: recovery1 reads
	// only heads, so break f's head CRC
	var fOff uint64
	db.Records(func(r RawRecord) error {
		if string(r.Key) == "f" {
			fOff = r.Offset
		}
		return nil
	})
	b[fOff+8] ^= 0xFF
	h.Flags |= FlagDirty
	copy(b, encodeHeader(h))
	os.WriteFile(p, b, 0o600)
	ino, _ := os.Stat(p)
	tx, err := Begin(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tx.Abort()
	got := contents(t, p)
	want := map[string]string{"a": "1a", "b": "2b", "d": "1d"}
	if !sameMap(got, want) {
		t.Fatalf("recovery2 gave %v, want %v", got, want)
	}
	st, _ := os.Stat(p)
	if os.SameFile(ino, st) {
		t.Fatal("file not rebuilt")
	}
	if db, _ := ReadFile(p); db.Header().Generation != h.Generation+1 {
		t.Fatalf("generation %d", db.Header().Generation)
	}
}
