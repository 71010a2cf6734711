package integration

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

// dbtool is Cyrus's cyr_dbtool (of the version under test: 3.10's runs
// chrooted) on one twoskip file, with an imapd.conf of its own (it runs
// as the cyrus user).
type dbtool struct {
	conf string
	cy   *Cyrus
}

func newDbtool(t *testing.T, dir string) dbtool {
	t.Helper()
	RequireCyrus(t)
	for _, d := range []string{"conf", "part"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "imapd.conf")
	WriteConf(t, conf, "configdirectory: "+filepath.Join(dir, "conf"), "partition-default: "+filepath.Join(dir, "part"))
	Chown(t, dir)
	return dbtool{conf: conf, cy: DefaultCyrus(t)}
}

// run runs "cyr_dbtool -C conf [flags] path twoskip action args…".
func (d dbtool) run(t *testing.T, stdin []byte, path string, flags []string, action string, args ...string) Result {
	t.Helper()
	a := append([]string{"-C", d.conf}, flags...)
	a = append(append(a, path, "twoskip", action), args...)
	return d.cy.Run(t, stdin, d.cy.Prog("cyr_dbtool"), a...)
}

// check asserts that Cyrus finds path consistent and that its "show"
// equals both our reader's dump and want.
func (d dbtool) check(t *testing.T, path string, want map[string]string) {
	t.Helper()
	if r := d.run(t, nil, path, nil, "consistent"); r.Code != 0 || r.Stdout != "Yes, consistent\n" {
		t.Fatalf("cyr_dbtool consistent: %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
	show := d.run(t, nil, path, nil, "show")
	if show.Code != 0 {
		t.Fatalf("cyr_dbtool show: %d %s", show.Code, show.Stderr)
	}
	db, err := twoskip.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(); err != nil {
		t.Fatal(err)
	}
	var ours bytes.Buffer
	db.ForEach(func(k, v []byte) error {
		fmt.Fprintf(&ours, "%s\t%s\n", k, v)
		return nil
	})
	if show.Stdout != ours.String() {
		t.Fatalf("cyr_dbtool show differs from our reader:\ncyrus: %q\n ours: %q", show.Stdout, ours.String())
	}
	if m := render(want); m != ours.String() {
		t.Fatalf("file differs from the model:\n file: %q\nmodel: %q", ours.String(), m)
	}
}

// render prints a model as cyr_dbtool show does, in key order.
func render(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "\t" + m[k] + "\n")
	}
	return b.String()
}

// literal renders s as a non-synchronising IMAP literal for cyr_dbtool's
// batch mode.
func literal(s string) string { return fmt.Sprintf("{%d+}\r\n%s", len(s), s) }

func twoskipKey(r *rand.Rand) string {
	if r.IntN(8) == 0 {
		return fmt.Sprintf("user\x1f%c\x00%d", 'a'+r.IntN(3), r.IntN(5))
	}
	return fmt.Sprintf("N user.%c%02d", 'a'+r.IntN(6), r.IntN(30))
}

func twoskipValue(r *rand.Rand) string {
	b := make([]byte, r.IntN(300))
	for i := range b {
		b[i] = byte(' ' + r.IntN(95))
	}
	if len(b) > 3 && r.IntN(4) == 0 {
		b[1], b[2] = 0, 0xFF
	}
	return string(b)
}

// TestTwoskipWriteInterleaved alternates transactions by Cyrus's
// cyr_dbtool (batch, committed or aborted) and by our writer (committed
// or aborted) on the same file, past several repacks by either side;
// after each, Cyrus finds the file consistent and shows what our reader
// reads and the model holds.
func TestTwoskipWriteInterleaved(t *testing.T) {
	dir := TempDir(t)
	d := newDbtool(t, dir)
	path := filepath.Join(dir, "conf", "inter.db")
	r := rand.New(rand.NewPCG(1, 2))
	model := map[string]string{}
	var gens []uint64
	for round := range 40 {
		next := map[string]string{}
		for k, v := range model {
			next[k] = v
		}
		abort := r.IntN(5) == 0
		n := 1 + r.IntN(25)
		if round%2 == 0 {
			var in strings.Builder
			in.WriteString("BEGIN\n")
			for range n {
				k := twoskipKey(r)
				if r.IntN(3) == 0 {
					in.WriteString("DELETE " + literal(k) + "\n")
					delete(next, k)
				} else {
					v := twoskipValue(r)
					in.WriteString("SET " + literal(k) + " " + literal(v) + "\n")
					next[k] = v
				}
			}
			if abort {
				in.WriteString("ABORT\n")
			} else {
				in.WriteString("COMMIT\n")
			}
			flags := []string{}
			if round == 0 {
				flags = []string{"-n"}
			}
			if res := d.run(t, []byte(in.String()), path, flags, "batch"); res.Code != 0 || res.Stderr != "" {
				t.Fatalf("round %d: cyr_dbtool batch: %d %s", round, res.Code, res.Stderr)
			}
		} else {
			tx, err := twoskip.Begin(path, twoskip.Options{})
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			for range n {
				k := twoskipKey(r)
				if r.IntN(3) == 0 {
					err = tx.Delete([]byte(k))
					delete(next, k)
				} else {
					v := twoskipValue(r)
					err = tx.Store([]byte(k), []byte(v))
					next[k] = v
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if abort {
				err = tx.Abort()
			} else {
				err = tx.Commit()
			}
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			Chown(t, path) // a repack makes a new file
		}
		if !abort {
			model = next
		}
		d.check(t, path, model)
		db, _ := twoskip.ReadFile(path)
		h := db.Header()
		gens = append(gens, h.Generation)
		if h.CurrentSize > 16834 && h.CurrentSize > 2*h.RepackSize {
			t.Fatalf("round %d: left unrepacked: %+v", round, h)
		}
	}
	// then each side rewrites every value until it has repacked the file
	// itself (the loop above leaves that to chance)
	for side := range 2 {
		gen := gens[len(gens)-1]
		for i := 0; ; i++ {
			if i == 10 {
				t.Fatalf("side %d never repacked: generations %v", side, gens)
			}
			var in strings.Builder
			in.WriteString("BEGIN\n")
			for k := range model {
				v := twoskipValue(r)
				model[k] = v
				in.WriteString("SET " + literal(k) + " " + literal(v) + "\n")
			}
			in.WriteString("COMMIT\n")
			if side == 0 {
				if res := d.run(t, []byte(in.String()), path, nil, "batch"); res.Code != 0 || res.Stderr != "" {
					t.Fatalf("cyr_dbtool batch: %d %s", res.Code, res.Stderr)
				}
			} else {
				tx, err := twoskip.Begin(path, twoskip.Options{})
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range model {
					if err := tx.Store([]byte(k), []byte(v)); err != nil {
						t.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			Chown(t, path)
			d.check(t, path, model)
			db, _ := twoskip.ReadFile(path)
			if g := db.Header().Generation; g > gen {
				gens = append(gens, g)
				break
			}
		}
	}
}

// TestTwoskipWriteOursOnly: a DB created and written only by us (many
// transactions, aborts, repacks) is consistent for Cyrus, and an empty DB
// of ours is byte for byte the one cyr_dbtool -n creates.
func TestTwoskipWriteOursOnly(t *testing.T) {
	dir := TempDir(t)
	d := newDbtool(t, dir)
	cyrusEmpty := filepath.Join(dir, "conf", "cyrus-empty.db")
	if res := d.run(t, nil, cyrusEmpty, []string{"-n"}, "show"); res.Code != 0 {
		t.Fatalf("cyr_dbtool -n: %d %s", res.Code, res.Stderr)
	}
	oursEmpty := filepath.Join(dir, "conf", "ours-empty.db")
	tx, err := twoskip.Begin(oursEmpty, twoskip.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(cyrusEmpty)
	b, _ := os.ReadFile(oursEmpty)
	if !bytes.Equal(a, b) {
		t.Fatalf("empty DB differs from Cyrus's:\ncyrus %x\n ours %x", a, b)
	}
	Chown(t, oursEmpty)
	d.check(t, oursEmpty, map[string]string{})

	path := filepath.Join(dir, "conf", "ours.db")
	r := rand.New(rand.NewPCG(3, 4))
	model := map[string]string{}
	for i := range 60 {
		tx, err := twoskip.Begin(path, twoskip.Options{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		next := map[string]string{}
		for k, v := range model {
			next[k] = v
		}
		for range 1 + r.IntN(30) {
			k := twoskipKey(r)
			if r.IntN(3) == 0 {
				tx.Delete([]byte(k))
				delete(next, k)
			} else {
				v := twoskipValue(r)
				tx.Store([]byte(k), []byte(v))
				next[k] = v
			}
		}
		if i%7 == 3 {
			err = tx.Abort()
		} else {
			err = tx.Commit()
			model = next
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	Chown(t, path)
	d.check(t, path, model)
	db, _ := twoskip.ReadFile(path)
	if db.Header().Generation < 2 {
		t.Errorf("never repacked: %+v", db.Header())
	}
}

// TestTwoskipWriteLocking: Cyrus's writer waits for our transaction's
// lock; ours waits for Cyrus's; both writes land.
func TestTwoskipWriteLocking(t *testing.T) {
	dir := TempDir(t)
	d := newDbtool(t, dir)
	path := filepath.Join(dir, "conf", "lock.db")
	d.run(t, nil, path, []string{"-n"}, "set", "first", "1")
	tx, err := twoskip.Begin(path, twoskip.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// a chrooted cyr_dbtool (3.10) takes longer to start
	settle := 500 * time.Millisecond
	if d.cy.Root != "" {
		settle = 2 * time.Second
	}
	cmd := d.cy.Command(d.cy.Prog("cyr_dbtool"), "-C", d.conf, path, "twoskip", "set", "cyrus", "2")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tx.Store([]byte("ours"), []byte("3"))
	select {
	case err := <-done:
		t.Fatalf("cyr_dbtool set finished while we held the lock: %v", err)
	case <-time.After(settle):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("cyr_dbtool set: %v", err)
	}
	// and the other way round: Cyrus holds the lock in a batch
	// transaction that waits on its stdin
	cmd = d.cy.Command(d.cy.Prog("cyr_dbtool"), "-C", d.conf, path, "twoskip", "batch")
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(stdin, "BEGIN\nSET batch 4\n")
	time.Sleep(settle) // let it take the lock
	began := make(chan *twoskip.Tx, 1)
	go func() {
		tx, err := twoskip.Begin(path, twoskip.Options{})
		if err != nil {
			t.Error(err)
		}
		began <- tx
	}()
	select {
	case <-began:
		t.Fatal("Begin returned while cyr_dbtool held the lock")
	case <-time.After(500 * time.Millisecond):
	}
	fmt.Fprintf(stdin, "COMMIT\n")
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("cyr_dbtool batch: %v", err)
	}
	tx = <-began
	if tx == nil {
		t.FailNow()
	}
	tx.Store([]byte("last"), []byte("5"))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	d.check(t, path, map[string]string{"first": "1", "cyrus": "2", "ours": "3", "batch": "4", "last": "5"})
}

// TestTwoskipWriteCrashRecoveredByCyrus records every file operation of
// one of our transactions (and of the repack it triggers), and for a
// crash before each operation gives the file to Cyrus: cyr_dbtool's show
// (which recovers on open) must list the last committed state, the
// recovered file must be consistent, and our reader must agree.
func TestTwoskipWriteCrashRecoveredByCyrus(t *testing.T) {
	dir := TempDir(t)
	d := newDbtool(t, dir)
	path := filepath.Join(dir, "conf", "crash.db")
	r := rand.New(rand.NewPCG(5, 6))
	before := map[string]string{}
	tx, err := twoskip.Begin(path, twoskip.Options{Create: true, NoRepack: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 90 {
		k, v := twoskipKey(r), twoskipValue(r)
		tx.Store([]byte(k), []byte(v))
		before[k] = v
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	start, _ := os.ReadFile(path)
	var ops []twoskip.Op
	tx, err = twoskip.Begin(path, twoskip.Options{BeforeIO: func(op twoskip.Op) error {
		op.Data = bytes.Clone(op.Data)
		ops = append(ops, op)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	after := map[string]string{}
	for k, v := range before {
		after[k] = v
	}
	for range 12 {
		k := twoskipKey(r)
		if r.IntN(3) == 0 {
			tx.Delete([]byte(k))
			delete(after, k)
		} else {
			v := twoskipValue(r)
			tx.Store([]byte(k), []byte(v))
			after[k] = v
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	repacked := false
	for _, op := range ops {
		repacked = repacked || op.Kind == twoskip.OpRename
	}
	if !repacked {
		t.Fatal("the transaction did not repack")
	}
	img := filepath.Join(dir, "conf", "img.db")
	files := map[string][]byte{path: start}
	committed := false
	for k := 0; k <= len(ops); k++ {
		os.Remove(img)
		if err := os.WriteFile(img, files[path], 0o600); err != nil {
			t.Fatal(err)
		}
		Chown(t, img)
		want := before
		if committed {
			want = after
		}
		show := d.run(t, nil, img, nil, "show")
		if show.Code != 0 || show.Stdout != render(want) {
			t.Fatalf("crash before op %d of %d (%v): cyr_dbtool show: %d %s\n got %d bytes, want %d", k, len(ops), ops[min(k, len(ops)-1)].Kind, show.Code, show.Stderr, len(show.Stdout), len(render(want)))
		}
		d.check(t, img, want)
		if k == len(ops) {
			break
		}
		// apply op k
		op := ops[k]
		switch op.Kind {
		case twoskip.OpWrite:
			b := files[op.Name]
			if end := int(op.Offset) + len(op.Data); end > len(b) {
				b = append(b, make([]byte, end-len(b))...)
			}
			copy(b[op.Offset:], op.Data)
			files[op.Name] = b
			if op.Name == path && op.Offset == 0 && len(op.Data) == 64 && op.Data[59]&twoskip.FlagDirty == 0 {
				committed = true
			}
		case twoskip.OpTruncate:
			files[op.Name] = files[op.Name][:op.Offset]
		case twoskip.OpRename:
			files[op.Path] = files[op.Name]
			delete(files, op.Name)
		}
	}
}
