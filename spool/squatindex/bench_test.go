package squatindex

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/searchtext"
	"github.com/cyrus-replication/cyrus-replication/spool/squat"
)

// benchMessage is a message of integration's generated corpus: sizes
// mostly a few KiB with a tail up to 1 MiB, plain text of a few words.
func benchMessage(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: sender%d@example.org\r\nTo: alice@example.org\r\nSubject: corpus message %d\r\n"+
		"Message-ID: <%d.%d@bench.cyrepl.test>\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n", r.Intn(1000), n, n, r.Int63())
	var size int
	switch p := r.Intn(100); {
	case p < 60:
		size = 2<<10 + r.Intn(6<<10)
	case p < 90:
		size = 8<<10 + r.Intn(56<<10)
	case p < 99:
		size = 64<<10 + r.Intn(448<<10)
	default:
		size = 512<<10 + r.Intn(512<<10)
	}
	words := []string{"replication ", "mailbox ", "cyrus ", "modseq ", "uidvalidity ", "record ", "channel "}
	for line := 0; b.Len() < size; line++ {
		b.WriteString(words[r.Intn(len(words))])
		if line%12 == 11 {
			b.WriteString("\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// benchMailbox makes a mailbox of $SQUATINDEX_BENCH_MESSAGES (2000)
// generated messages and returns the spool, the extractor and the bytes.
func benchMailbox(b testing.TB) (*spool.Spool, Extractor, func(n int) int64) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("SQUATINDEX_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	sp := testSpool(b)
	r := rand.New(rand.NewSource(1))
	next := uint32(1)
	add := func(n int) int64 {
		w, err := sp.OpenMailboxWriter(context.Background(), "user.alice")
		if err != nil {
			b.Fatal(err)
		}
		var total int64
		for range n {
			m := benchMessage(r, int(next))
			total += int64(len(m))
			rec := index.Record{UID: next, Size: uint64(len(m)), GUID: guid.Sum(m)}
			if err := w.AppendMessage(rec, bytes.NewReader(m), spool.CacheEntry{Bytes: make([]byte, 8)}); err != nil {
				w.Abort()
				b.Fatal(err)
			}
			next++
		}
		if _, err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		return total
	}
	add(n)
	opt := searchtext.DefaultOptions()
	extract := func(uid uint32, msg []byte) ([]squat.Document, error) {
		docs, err := searchtext.Documents(uid, msg, opt)
		out := make([]squat.Document, len(docs))
		for i, d := range docs {
			out[i] = squat.Document{Name: d.Name, Text: d.Text}
		}
		return out, err
	}
	return sp, extract, add
}

// BenchmarkIndexMailbox: a full index of a mailbox of generated messages
// with the real text extractor, as squatter-channel runs it.
func BenchmarkIndexMailbox(b *testing.B) {
	sp, extract, _ := benchMailbox(b)
	b.ResetTimer()
	for range b.N {
		res, err := IndexMailbox(context.Background(), sp, "user.alice", Options{Blocking: true, Extract: extract})
		if err != nil || res != Done {
			b.Fatalf("IndexMailbox = %v, %v", res, err)
		}
	}
}

// BenchmarkIndexMailboxIncremental: squatter -i after 100 new messages,
// over an index of the mailbox's generated messages.
func BenchmarkIndexMailboxIncremental(b *testing.B) {
	sp, extract, add := benchMailbox(b)
	opt := Options{Blocking: true, Extract: extract, Incremental: true}
	if _, err := IndexMailbox(context.Background(), sp, "user.alice", opt); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		add(100)
		st := &Stats{}
		opt.Stats = st
		b.StartTimer()
		res, err := IndexMailbox(context.Background(), sp, "user.alice", opt)
		if err != nil || res != Done {
			b.Fatalf("IndexMailbox = %v, %v", res, err)
		}
		if st.Messages != 100 {
			b.Fatalf("indexed %d messages, want 100", st.Messages)
		}
	}
}
