package index

import (
	"bytes"
	"testing"
)

// BenchmarkParse100k parses the index of a synthetic 100,000-record v17
// mailbox held in memory (header + 100,000 records, all CRCs checked).
func BenchmarkParse100k(b *testing.B) {
	const n = 100_000
	data, _ := synthIndex(17, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		idx, err := Parse("bench", data)
		if err != nil || len(idx.Records) != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRead100k is BenchmarkParse100k through the io.ReaderAt path
// (chunked reads into a buffer, then decoding).
func BenchmarkRead100k(b *testing.B) {
	const n = 100_000
	data, _ := synthIndex(19, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		idx, err := Read("bench", bytes.NewReader(data))
		if err != nil || len(idx.Records) != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
