package squat

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
)

// updated writes old updated with docs, copying the old lists or not.
func updated(t *testing.T, old *Index, v uint32, copyLists bool, docs ...Document) []byte {
	t.Helper()
	b := newUpdate(old, v, copyLists)
	for _, d := range docs {
		if err := b.AddDocument(d); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestUpdateCopiesLists: an update copies the old document lists only
// when that writes what decoding and encoding them again writes, and
// NewUpdate's file is the decoding one's in every case: a plain append,
// documents dropped (UID 0) or past an empty name (their IDs change or
// vanish: copying would be wrong), doc 0 holding words (dropped from the
// lists that start with it), a list not written as the builder writes it.
func TestUpdateCopiesLists(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	text := func() []byte {
		p := make([]byte, 1+r.Intn(400))
		for i := range p {
			p[i] = "abcde f"[r.Intn(7)]
		}
		return p
	}
	docs := func(from, n int) []Document {
		var ds []Document
		for i := from; i < from+n; i++ {
			ds = append(ds, Document{fmt.Sprintf("m%d", i), text()}, Document{fmt.Sprintf("s%d", i), text()})
		}
		return ds
	}
	plain := build(t, 7, docs(1, 30)...)
	dropped := build(t, 7, append(docs(1, 10), append([]Document{{"m0", text()}}, docs(11, 10)...)...)...)
	nameless := build(t, 7, append(docs(1, 10), append([]Document{{"", text()}}, docs(11, 10)...)...)...)
	var zero bytes.Buffer
	b := NewBuilder()
	for _, d := range docs(1, 20) { // doc 0 is m1: its words go
		if err := b.AddDocument(d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.WriteTo(&zero); err != nil {
		t.Fatal(err)
	}
	// Lists long enough for validation to remember their last entry: ABCD
	// in every other document, then in a run of them.
	var long []Document
	for i := 1; i <= 700; i++ {
		text := []byte("WXYZ")
		if i%2 == 0 || i > 690 {
			text = []byte("ABCD WXYZ")
		}
		long = append(long, Document{fmt.Sprintf("m%d", i), text})
	}
	// Docs 1 and 2 hold ABCD: the run "04 01" written as two single IDs
	// "03 03" (same size, so the file stays valid).
	canon := build(t, 7, Document{"m1", []byte("ABCD")}, Document{"m2", []byte("ABCD")}, Document{"m3", []byte("WXYZ")})
	odd := bytes.Replace(canon, []byte{4, 4, 1}, []byte{4, 3, 3}, 1)
	if bytes.Equal(odd, canon) {
		t.Fatal("no run to rewrite")
	}

	for _, tc := range []struct {
		name   string
		data   []byte
		copies bool
	}{
		{"plain append", plain, true},
		{"long lists", build(t, 7, long...), true},
		{"UID 0 dropped", dropped, false},
		{"empty name", nameless, false},
		{"doc 0 with words", zero.Bytes(), true},
		{"run as single IDs", odd, false},
	} {
		old, err := Parse(tc.name, tc.data)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if old.keepsIDs() != tc.copies {
			t.Errorf("%s: copies lists %v, want %v", tc.name, old.keepsIDs(), tc.copies)
		}
		added := append(docs(100, 5), Document{"m200", []byte("ABCDE abcd")})
		for _, v := range []uint32{7, 8} { // 8: a new validity document too
			decoded := updated(t, old, v, false, added...)
			got := updated(t, old, v, old.keepsIDs(), added...)
			if !bytes.Equal(got, decoded) {
				t.Errorf("%s, validity %d: update differs from the decoding one", tc.name, v)
			}
			if copied := updated(t, old, v, true, added...); !tc.copies && bytes.Equal(copied, decoded) {
				t.Errorf("%s: copying the lists gives the right file: the case tests nothing", tc.name)
			}
			if _, err := Parse("new", got); err != nil {
				t.Errorf("%s: update unreadable: %v", tc.name, err)
			}
		}
	}
	ix, err := Parse("canon", canon)
	if err != nil {
		t.Fatal(err)
	}
	oddIx, err := Parse("odd", odd)
	if err != nil {
		t.Fatal(err)
	}
	add := Document{"m4", []byte("ABCD")}
	if !bytes.Equal(updated(t, oddIx, 7, false, add), updated(t, ix, 7, true, add)) {
		t.Error("the odd list is not the canonical one decoded")
	}
}
