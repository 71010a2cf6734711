package pwcheck

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The fixtures and their .dump/.list files come from testdata/gen.sh
// (saslpasswd2, db5.3_load, db5.3_dump, sasldblistusers2).

type kv struct{ k, v string }

// readDump parses db_dump -p output: header lines up to HEADER=END, then
// key and value lines starting with a space, printable bytes as
// themselves, "\\" for a backslash, "\xx" (hex) for the others.
func readDump(t *testing.T, path string) []kv {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var out []kv
	var lines []string
	inData := false
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == "HEADER=END":
			inData = true
		case l == "DATA=END":
			inData = false
		case inData:
			if !strings.HasPrefix(l, " ") {
				t.Fatalf("%s: bad line %q", path, l)
			}
			lines = append(lines, unescapeDump(t, l[1:]))
		}
	}
	if len(lines)%2 != 0 {
		t.Fatalf("%s: odd number of data lines", path)
	}
	for i := 0; i < len(lines); i += 2 {
		out = append(out, kv{lines[i], lines[i+1]})
	}
	return out
}

func unescapeDump(t *testing.T, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			b.WriteByte('\\')
			i++
			continue
		}
		if i+2 >= len(s) {
			t.Fatalf("bad escape in %q", s)
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			t.Fatalf("bad escape in %q", s)
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String()
}

func each(t *testing.T, db *HashDB) []kv {
	t.Helper()
	var got []kv
	if err := db.Each(func(k, v []byte) error {
		got = append(got, kv{string(k), string(v)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func short(s string) string {
	if len(s) > 60 {
		return strconv.Quote(s[:60]) + "…"
	}
	return strconv.Quote(s)
}

// Every pair libdb's cursor returns, in its order, and each key found by
// Get with its first value.
func TestHashMatchesDbDump(t *testing.T) {
	for _, name := range []string{"small", "many", "many512", "small-be", "small-v8", "legacy", "dups", "dupsort"} {
		t.Run(name, func(t *testing.T) {
			want := readDump(t, filepath.Join("testdata", name+".dump"))
			db, err := OpenHash(filepath.Join("testdata", name+".db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			got := each(t, db)
			if len(got) != len(want) {
				t.Fatalf("%d pairs, db_dump has %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("pair %d: %s=%s, db_dump: %s=%s", i, short(got[i].k), short(got[i].v), short(want[i].k), short(want[i].v))
				}
			}
			first := map[string]string{}
			for _, p := range want {
				if _, ok := first[p.k]; !ok {
					first[p.k] = p.v
				}
			}
			for k, v := range first {
				g, ok, err := db.Get([]byte(k))
				if err != nil || !ok || string(g) != v {
					t.Errorf("Get(%s) = %s, %v, %v; want %s", short(k), short(string(g)), ok, err, short(v))
				}
				if _, ok, err := db.Get([]byte(k + "x")); ok || err != nil {
					t.Errorf("Get(%s) found, err %v", short(k+"x"), err)
				}
			}
		})
	}
}

// ListSasldb prints what sasldblistusers2 prints.
func TestListSasldbMatchesSasldblistusers2(t *testing.T) {
	for _, name := range []string{"small", "many", "many512", "small-be", "small-v8", "legacy"} {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", name+".list"))
			if err != nil {
				t.Fatal(err)
			}
			entries, bad, err := ListSasldb(filepath.Join("testdata", name+".db"))
			if err != nil || bad != 0 {
				t.Fatal(err, bad)
			}
			var got bytes.Buffer
			for _, e := range entries {
				got.WriteString(e.String() + "\n")
			}
			if got.String() != string(want) {
				t.Errorf("ours:\n%s\nsasldblistusers2:\n%s", got.String(), want)
			}
		})
	}
}

func TestHashRefuses(t *testing.T) {
	small, err := os.ReadFile("testdata/small.db")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct{ path, want string }{
		{"testdata/chksum.db", "checksummed databases are not supported"},
		{"testdata/btree.db", "not a Berkeley DB hash database (a btree)"},
		{write("short", small[:100]), "too short"},
		{write("odd", small[:len(small)-1]), "not a multiple of the pagesize"},
		{write("text", bytes.Repeat([]byte("userPassword"), 100)), "bad magic"},
		{write("v6", patch(small, 16, 6)), "hash version 6 requires a version upgrade"},
		{write("v10", patch(small, 16, 10)), "unsupported hash version: 10"},
		{write("enc", patch(small, 24, 1)), "encrypted"},
		{write("psize", patch(small, 21, 0x11)), "bad page size"},
		{write("charkey", patch(small, 92, 0)), "hash function unknown"},
		{write("subdb", patch(small, 48, hashSubDB)), "subdatabases"},
	} {
		_, err := OpenHash(c.path)
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), c.path+": ") {
			t.Errorf("%s: %v, want a *FormatError naming the file: %q", c.path, err, c.want)
		}
	}
	if _, err := OpenHash(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// patch returns a copy of b with byte off set to v.
func patch(b []byte, off int, v byte) []byte {
	c := bytes.Clone(b)
	c[off] = v
	return c
}

// A page never written (zeros, as libdb leaves a hole) is an empty bucket,
// as libdb's __ham_pgin makes it; a damaged page is an error naming it.
func TestHashPages(t *testing.T) {
	small, err := os.ReadFile("testdata/small.db")
	if err != nil {
		t.Fatal(err)
	}
	db0, _ := newHashDB("small", bytes.NewReader(small), int64(len(small)))
	all := each(t, db0)
	// the bucket page of alice@realm.test's key
	k := []byte("alice\x00realm.test\x00userPassword")
	b := hashFunc5(k) & db0.highMask
	if b > db0.maxBucket {
		b &= db0.lowMask
	}
	pg, _ := db0.bucketPage(b)
	zeroed := bytes.Clone(small)
	clear(zeroed[int(pg)*4096 : int(pg+1)*4096])
	db, _ := newHashDB("zeroed", bytes.NewReader(zeroed), int64(len(zeroed)))
	if _, ok, err := db.Get(k); ok || err != nil {
		t.Errorf("zeroed bucket page: found %v, err %v", ok, err)
	}
	if got := each(t, db); len(got) >= len(all) {
		t.Errorf("zeroed bucket page: %d pairs, before %d", len(got), len(all))
	}
	for _, c := range []struct {
		name string
		off  int
		v    byte
		want string
	}{
		{"pgno", 8, 0x7f, "header says page"},
		{"type", 25, pOverflow, "in a hash bucket chain"},
		{"entries", 21, 0xff, "do not fit"},
		{"odd", 20, 1, "odd number of items"},
		{"next", 16, 0xff, "beyond the end"},
		{"inp", 27, 0xff, "outside the page"},
	} {
		bad := patch(small, int(pg)*4096+c.off, c.v)
		db, err := newHashDB(c.name, bytes.NewReader(bad), int64(len(bad)))
		if err != nil {
			t.Fatal(err)
		}
		err = db.Each(func(k, v []byte) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name+": page ") {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// The overflow value of dave and the overflow key of the long name, cut
// short, are errors.
func TestHashOverflowDamage(t *testing.T) {
	small, err := os.ReadFile("testdata/small.db")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for p := 1; p < len(small)/4096; p++ {
		if small[p*4096+25] != pOverflow {
			continue
		}
		n++
		for _, c := range []struct {
			off  int
			v    byte
			want string
		}{
			{25, pHash, "in an overflow chain"},
			{23, 0xff, "does not fit"},
		} {
			bad := patch(small, p*4096+c.off, c.v)
			db, _ := newHashDB("x", bytes.NewReader(bad), int64(len(bad)))
			if err := db.Each(func(k, v []byte) error { return nil }); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("overflow page %d: %v, want %q", p, err, c.want)
			}
		}
	}
	if n < 2 {
		t.Fatalf("%d overflow pages in small.db, want at least 2 (a key and a value)", n)
	}
}

func TestLog2AndHash(t *testing.T) {
	for n, want := range map[uint32]uint32{0: 0, 1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 1 << 31: 31, 1<<31 + 1: 32} {
		if got := log2(n); got != want {
			t.Errorf("log2(%d) = %d, want %d", n, got, want)
		}
	}
	// the value saslpasswd2's libdb stored as h_charkey
	small, _ := os.ReadFile("testdata/small.db")
	if got := hashFunc5([]byte(charKey)); got != leUint32(small[92:]) {
		t.Errorf("hash of CHARKEY %#x, file says %#x", got, leUint32(small[92:]))
	}
}

func leUint32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
