package squat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCorrupt(t *testing.T) {
	_, good := readTestdata(t, "full.squat")
	mod := func(f func(d []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"empty", "shorter than header", nil},
		{"magic", "bad magic", mod(func(d []byte) []byte { d[6] = '2'; return d })},
		{"safety zone", "safety zone", mod(func(d []byte) []byte { d[len(d)-3] = 1; return d })},
		{"truncated", "", mod(func(d []byte) []byte { return d[:len(d)-100] })},
		{"doc list offset", "doc_list_offset", mod(func(d []byte) []byte { binary.BigEndian.PutUint64(d[8:], 65); return d })},
		{"doc-ID list offset", "doc_ID_list_offset", mod(func(d []byte) []byte { binary.BigEndian.PutUint64(d[16:], 1<<40); return d })},
		{"word list offset", "", mod(func(d []byte) []byte { binary.BigEndian.PutUint64(d[24:], 200); return d })},
		{"negative offset", "outside data", mod(func(d []byte) []byte { binary.BigEndian.PutUint64(d[24:], 1<<63); return d })},
		{"doc-ID entry", "doc-ID list entry 1", mod(func(d []byte) []byte {
			at := binary.BigEndian.Uint64(d[16:]) + 4
			d[at+3]++
			return d
		})},
		{"root offset", "", mod(func(d []byte) []byte {
			at := binary.BigEndian.Uint64(d[24:])
			d[at+10] ^= 0x7f
			return d
		})},
	} {
		_, err := Parse("x/cyrus.squat", tc.data)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "x/cyrus.squat") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
}

// TestEveryByte flips each byte of a small index with runs, singletons
// and both presence forms: Parse must never panic, and whatever it accepts
// must be walkable, searchable and updatable.
func TestEveryByte(t *testing.T) {
	d := build(t, 3, Document{"m1", []byte("ZEBRA ZEBU \x01\x02\x03\x04")}, Document{"m2", []byte("ZEBRA")},
		Document{"s2", []byte("ZEBRA\xff\xfe")}, Document{"m5", []byte("ZEBU")})
	for i := range d {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			d[i] ^= x
			if ix, err := Parse("x", d); err == nil {
				exercise(ix)
			}
			d[i] ^= x
		}
	}
}

func exercise(ix *Index) {
	for range ix.Words() {
	}
	_, _ = ix.Search([]byte("ZEBRA"))
	_ = ix.IndexedUIDs()
	_, _ = ix.Validity()
	// Whatever the old index, NewUpdate writes what decoding its lists
	// writes (it copies them only when that is the same file).
	for _, v := range []uint32{1, 3} {
		var copied, decoded bytes.Buffer
		for _, u := range []struct {
			b   *Builder
			out *bytes.Buffer
		}{{NewUpdate(ix, v), &copied}, {newUpdate(ix, v, false), &decoded}} {
			_ = u.b.AddText("m999", []byte("ZEBRA ZEBU \x01\x02\x03\x04 abcd e"))
			_, _ = u.b.WriteTo(u.out)
		}
		if !bytes.Equal(copied.Bytes(), decoded.Bytes()) {
			panic(fmt.Sprintf("update copying lists (%d bytes) differs from decoding them (%d bytes)", copied.Len(), decoded.Len()))
		}
	}
}

func TestEmptyMailboxAndShortDoc(t *testing.T) {
	empty := build(t, 5)
	short := build(t, 5, Document{"s1", []byte("Hi!")}, Document{"m1", []byte("")})
	if !bytes.Equal(empty, short) {
		t.Fatal("documents under 4 bytes were written")
	}
	ix, err := Parse("e", empty)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Docs()) != 1 || ix.Docs()[0].Name != "validity.5" || len(ix.IndexedUIDs()) != 0 {
		t.Fatalf("docs %v", ix.Docs())
	}
	// Header, "validity.5" NUL 0, terminator, doc-ID list {0}, 0, root "0 0", safety zone.
	if want := 64 + 12 + 1 + 8 + 2 + 16; len(empty) != want {
		t.Fatalf("empty index is %d bytes, want %d", len(empty), want)
	}
	if res, err := ix.Search([]byte("ABCD")); err != nil || len(res) != 0 {
		t.Fatalf("search in empty index: %v %v", res, err)
	}
	// A 4-byte document is indexed, and the low level writes short ones.
	b := NewBuilder()
	_ = b.AddText("validity.5", nil)
	_ = b.AddText("s1", []byte("Hi!"))
	_ = b.AddDocument(Document{"m2", []byte("ABCD")})
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	ix, err = Parse("s", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if d := ix.Docs(); len(d) != 3 || d[1] != (Doc{1, "s1", 3}) || d[2] != (Doc{2, "m2", 4}) {
		t.Fatalf("docs %v", d)
	}
	if res, _ := ix.Search([]byte("ABCD")); len(res) != 1 || res[0].Name != "m2" {
		t.Fatalf("search %v", res)
	}
}

func TestUpdateRules(t *testing.T) {
	old := build(t, 9,
		Document{"m0", []byte("ZERO UID")},
		Document{"m3", []byte("THREE")},
		Document{"s3", []byte("SUBJECT THREE")},
	)
	ix, err := Parse("o", old)
	if err != nil {
		t.Fatal(err)
	}
	if !ix.Current(9) || ix.Current(10) {
		t.Fatal("Current")
	}
	if u := ix.IndexedUIDs(); len(u) != 1 || u[0] != 3 {
		t.Fatalf("indexed %v", u)
	}
	var buf bytes.Buffer
	if err := Update(&buf, ix, 9, []Document{{"m4", []byte("FOUR THREE")}}); err != nil {
		t.Fatal(err)
	}
	nix, err := Parse("n", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := join(names(nix.Docs())); got != "validity.9 m3 s3 m4" {
		t.Fatalf("docs %s", got)
	}
	if res, _ := nix.Search([]byte("THREE")); join(names(res)) != "m3 s3 m4" {
		t.Fatalf("THREE in %v", names(res))
	}
	if res, _ := nix.Search([]byte("ZERO")); len(res) != 0 {
		t.Fatalf("dropped document still found: %v", res)
	}
	// Another UIDVALIDITY: old documents kept, a new validity appended.
	buf.Reset()
	if err := Update(&buf, ix, 10, nil); err != nil {
		t.Fatal(err)
	}
	if nix, err = Parse("n", buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if got := join(names(nix.Docs())); got != "validity.9 m3 s3 validity.10" {
		t.Fatalf("docs %s", got)
	}
	if v, _ := nix.Validity(); v != 10 || !nix.Current(10) {
		t.Fatalf("validity %d", v)
	}
}

func names(docs []Doc) []string {
	var s []string
	for _, d := range docs {
		s = append(s, d.Name)
	}
	return s
}

func TestStrtoul(t *testing.T) {
	for s, want := range map[string]uint64{"42": 42, " 7x": 7, "": 0, "x": 0, "+5": 5, "-1": ^uint64(0), "99999999999999999999999": ^uint64(0)} {
		if got := strtoul(s); got != want {
			t.Errorf("strtoul(%q) = %d, want %d", s, got, want)
		}
	}
}
