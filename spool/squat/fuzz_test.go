package squat

import (
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: no panic, and whatever it
// accepts must be walkable, searchable, updatable, and rebuild (from its
// documents' word sets) into an index Parse accepts with the same
// documents. Seeds: testdata/fuzz/FuzzParse (an empty-mailbox index, which
// is byte for byte Cyrus's, and a small one with every node form); the
// real Cyrus index in testdata is left out because minimizing inputs that
// size stalls a short fuzz run.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		exercise(ix)
		again, err := Parse("again", rebuild(t, ix))
		if err != nil {
			t.Fatalf("rebuild of an accepted index rejected: %v", err)
		}
		if len(again.Docs()) != len(ix.Docs()) {
			t.Fatal("rebuild lost documents")
		}
	})
}
