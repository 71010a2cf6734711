package spool

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/header"
)

// benchSpool writes a spool with one by-id mailbox user.bench of n
// messages: a flat mailboxes.db, cyrus.header and a v17 cyrus.index with
// valid CRCs (every 3rd record expunged, user flags set).
func benchSpool(b *testing.B, n int) *Spool {
	b.Helper()
	s, dir := testSpool(b, "")
	const id = "benchbenchbenchbenchbenc"
	if err := os.WriteFile(filepath.Join(dir, "mailboxes.db"),
		[]byte("Nuser\x1Fbench\t%(T e I "+id+" P default V 1 C 1 F 1 M 1 A %(bench lrswipkxtecdan))\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	mdir := ByIDPath(filepath.Join(dir, "spool"), id)
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		b.Fatal(err)
	}
	hdr := header.Magic + "%(T e N user.bench I " + id + " A %(bench lrswipkxtecdan) U (Work Later))\n"
	if err := os.WriteFile(filepath.Join(mdir, "cyrus.header"), []byte(hdr), 0o600); err != nil {
		b.Fatal(err)
	}
	const hsize, rsize = 160, 112
	data := make([]byte, hsize+n*rsize)
	be := binary.BigEndian
	be.PutUint32(data[8:], 17)
	be.PutUint32(data[12:], hsize)
	be.PutUint32(data[16:], rsize)
	be.PutUint32(data[20:], uint32(n))
	be.PutUint32(data[28:], uint32(n))
	for i := range n {
		r := data[hsize+i*rsize:][:rsize]
		be.PutUint32(r[0:], uint32(i+1))
		be.PutUint32(r[4:], 1700000000)
		be.PutUint32(r[12:], 1000)
		flags := uint32(1 << 4)
		if i%3 == 0 {
			flags |= 1 << 31
		}
		be.PutUint32(r[32:], flags)
		be.PutUint32(r[36:], uint32(i%4))
		be.PutUint32(r[56:], 11)
		r[60] = byte(i)
		be.PutUint64(r[80:], uint64(i+1))
		be.PutUint32(r[108:], crc32.ChecksumIEEE(r[:108]))
	}
	be.PutUint32(data[156:], crc32.ChecksumIEEE(data[:156]))
	if err := os.WriteFile(filepath.Join(mdir, "cyrus.index"), data, 0o600); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSnapshot100k takes consistent snapshots (all locks, index,
// header, model conversion) of a 100,000-message mailbox.
func BenchmarkSnapshot100k(b *testing.B) {
	const n = 100_000
	s := benchSpool(b, n)
	ctx := context.Background()
	var peak uint64
	var locked time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m, st, err := s.SnapshotStats(ctx, "user.bench")
		locked = max(locked, st.IndexLocked)
		if err != nil || len(m.Records) != n {
			b.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(locked.Microseconds())/1000, "max-index-lock-ms")
}
