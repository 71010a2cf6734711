package squat

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
)

// TestAddTextDistinctWords: AddText's word set (and WordFinder's) gives the file that adding
// each document's distinct 4-byte substrings, found the plain way, gives;
// over documents of many sizes (the set grows, and is reused) and few
// and many distinct words.
func TestAddTextDistinctWords(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	fast, plain, found := NewBuilder(), NewBuilder(), NewBuilder()
	var finder WordFinder
	for i := range 300 {
		text := make([]byte, r.Intn(1<<uint(r.Intn(15)+1)))
		alphabet := 1 + r.Intn(256)
		for j := range text {
			text[j] = byte(r.Intn(alphabet))
		}
		name := fmt.Sprintf("m%d", i)
		if err := fast.AddText(name, text); err != nil {
			t.Fatal(err)
		}
		seen := map[Word]bool{}
		var words []Word
		for j := 0; j+WordSize <= len(text); j++ {
			if w := Word(text[j : j+WordSize]); !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
		if err := plain.AddWords(name, int64(len(text)), words); err != nil {
			t.Fatal(err)
		}
		if err := found.AddWords(name, int64(len(text)), finder.Words(text)); err != nil {
			t.Fatal(err)
		}
	}
	var a, b bytes.Buffer
	if _, err := fast.WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("AddText's index (%d bytes) differs from the plain words' (%d bytes)", a.Len(), b.Len())
	}
	var c bytes.Buffer
	if _, err := found.WriteTo(&c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Bytes(), b.Bytes()) {
		t.Errorf("WordFinder's index (%d bytes) differs from the plain words' (%d bytes)", c.Len(), b.Len())
	}
}

// TestUpdateMergesSorted: an update that merges the new pairs into the
// old index's (already sorted) writes what sorting them all writes.
func TestUpdateMergesSorted(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	text := func() []byte {
		p := make([]byte, r.Intn(3000))
		for i := range p {
			p[i] = "abcdefgh ij"[r.Intn(11)]
		}
		return p
	}
	var docs []Document
	for i := range 50 {
		docs = append(docs, Document{Name: fmt.Sprintf("m%d", i+1), Text: text()})
	}
	var first bytes.Buffer
	if err := Build(&first, 7, docs); err != nil {
		t.Fatal(err)
	}
	old, err := Parse("first", first.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	merged, sorted := NewUpdate(old, 7), NewUpdate(old, 7)
	sorted.sorted = [256]int{}
	for i := range 20 {
		d := Document{Name: fmt.Sprintf("m%d", 51+i), Text: text()}
		for _, b := range []*Builder{merged, sorted} {
			if err := b.AddDocument(d); err != nil {
				t.Fatal(err)
			}
		}
	}
	var a, b bytes.Buffer
	if _, err := merged.WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if _, err := sorted.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("merged update (%d bytes) differs from the fully sorted one (%d bytes)", a.Len(), b.Len())
	}
	if bytes.Equal(a.Bytes(), first.Bytes()) {
		t.Error("the update added nothing")
	}
}
