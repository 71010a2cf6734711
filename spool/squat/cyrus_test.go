package squat

import (
	"bytes"
	"os"
	"testing"
)

// testdata/full.squat and incremental.squat were written by Cyrus 3.6.1's
// squatter (integration TestSquatFormat's corpus: 30 messages, then 12
// more with squatter -i). They let the byte-for-byte checks run offline.

func readTestdata(t *testing.T, name string) (*Index, []byte) {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return ix, data
}

func TestCyrusFullRebuilt(t *testing.T) {
	for _, name := range []string{"full.squat", "incremental.squat"} {
		ix, data := readTestdata(t, name)
		if got := rebuild(t, ix); !bytes.Equal(got, data) {
			t.Errorf("%s: rebuild differs", name)
		}
	}
}

func TestCyrusIncrementalRebuilt(t *testing.T) {
	old, _ := readTestdata(t, "full.squat")
	nix, want := readTestdata(t, "incremental.squat")
	v, ok := old.Validity()
	if !ok || !old.Current(v) {
		t.Fatalf("validity %d %v", v, ok)
	}
	words := make([][]Word, len(nix.Docs()))
	for w, ids := range nix.Words() {
		for _, id := range ids {
			words[id] = append(words[id], w)
		}
	}
	// Both ways of carrying the old words over: copying their lists (what
	// NewUpdate does with this index) and decoding them.
	for _, copyLists := range []bool{true, false} {
		if copyLists && !old.keepsIDs() {
			t.Fatal("Cyrus's index does not qualify for copying its lists")
		}
		u := newUpdate(old, v, copyLists)
		if len(u.Docs()) != len(old.Docs()) {
			t.Fatalf("update kept %d of %d documents", len(u.Docs()), len(old.Docs()))
		}
		for _, d := range nix.Docs()[len(old.Docs()):] {
			if err := u.AddWords(d.Name, d.Length, words[d.ID]); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if _, err := u.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("incremental update (copying lists: %v) differs from Cyrus's", copyLists)
		}
	}
	// Documents already indexed are those squatter -i skips.
	if uids := nix.IndexedUIDs(); len(uids) != 42 || uids[0] != 1 || uids[41] != 42 {
		t.Fatalf("indexed UIDs %v", uids)
	}
}

func TestCyrusSearch(t *testing.T) {
	ix, _ := readTestdata(t, "full.squat")
	res, err := ix.Search([]byte("ZEBRA"))
	if err != nil {
		t.Fatal(err)
	}
	// Messages 4k carry "zebra" in the body, 8k+2 ("Re: zebra crossing")
	// in the subject.
	got := map[byte][]string{}
	for _, d := range res {
		got[d.Name[0]] = append(got[d.Name[0]], d.Name[1:])
	}
	if g := join(got['m']); g != "4 8 12 16 20 24 28" {
		t.Errorf("ZEBRA in m documents of %s", g)
	}
	if g := join(got['s']); g != "2 10 18 26" {
		t.Errorf("ZEBRA in s documents of %s", g)
	}
}
