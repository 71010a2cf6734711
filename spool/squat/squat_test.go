package squat

import (
	"bytes"
	"testing"
)

func build(t *testing.T, validity uint32, docs ...Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Build(&buf, validity, docs); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	data := build(t, 77,
		Document{"m1", []byte("HELLO WORLD HELLO")},
		Document{"s1", []byte("abc")}, // too short: skipped
		Document{"f2", []byte("HELLO THERE")},
		Document{"m3", []byte("WORLD\x00\x01\x02\x03\xff")},
	)
	ix, err := Parse("t", data)
	if err != nil {
		t.Fatal(err)
	}
	docs := ix.Docs()
	want := []Doc{{0, "validity.77", 0}, {1, "m1", 17}, {2, "f2", 11}, {3, "m3", 10}}
	if len(docs) != len(want) {
		t.Fatalf("docs %v", docs)
	}
	for i := range want {
		if docs[i] != want[i] {
			t.Fatalf("doc %d = %v, want %v", i, docs[i], want[i])
		}
	}
	if v, ok := ix.Validity(); !ok || v != 77 {
		t.Fatalf("validity %d %v", v, ok)
	}
	if u := ix.IndexedUIDs(); len(u) != 3 || u[0] != 1 || u[1] != 2 || u[2] != 3 {
		t.Fatalf("uids %v", u)
	}
	for q, names := range map[string]string{"HELLO": "m1 f2", "WORLD": "m1 m3", "LO WO": "m1", "D\x00\x01\x02": "m3", "ZZZZ": ""} {
		res, err := ix.Search([]byte(q))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range res {
			got = append(got, d.Name)
		}
		if g := join(got); g != names {
			t.Errorf("Search(%q) = %q, want %q", q, g, names)
		}
	}
	if _, err := ix.Search([]byte("abc")); err != ErrSearchTooShort {
		t.Errorf("short search: %v", err)
	}
	// Rebuild from what the file holds.
	re := rebuild(t, ix)
	if !bytes.Equal(re, data) {
		t.Fatalf("rebuild differs")
	}
}

func join(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(x)
	}
	return b.String()
}

func rebuild(t *testing.T, ix *Index) []byte {
	t.Helper()
	words := make([][]Word, len(ix.docs))
	for w, ids := range ix.Words() {
		for _, id := range ids {
			words[id] = append(words[id], w)
		}
	}
	b := NewBuilder()
	for _, d := range ix.Docs() {
		if err := b.AddWords(d.Name, d.Length, words[d.ID]); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
