package twoskip

import (
	"os"
	"testing"
)

// BenchmarkForEach walks the 338 live keys of a real, repacked
// mailboxes.db (57 KB) held in memory.
func BenchmarkForEach(b *testing.B) {
	data, err := os.ReadFile("testdata/mailboxes-big.db")
	if err != nil {
		b.Fatal(err)
	}
	db, err := Parse("bench", data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := db.ForEach(func(_, _ []byte) error { n++; return nil }); err != nil || n != db.Len() {
			b.Fatal(err, n)
		}
	}
	b.ReportMetric(float64(db.Len())*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkGet looks up every key of the same DB by skiplist descent.
func BenchmarkGet(b *testing.B) {
	data, err := os.ReadFile("testdata/mailboxes-big.db")
	if err != nil {
		b.Fatal(err)
	}
	db, err := Parse("bench", data)
	if err != nil {
		b.Fatal(err)
	}
	var keys [][]byte
	_ = db.ForEach(func(k, _ []byte) error { keys = append(keys, k); return nil })
	b.ReportAllocs()
	for b.Loop() {
		for _, k := range keys {
			if _, ok, err := db.Get(k); !ok || err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(keys))*float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}
