package squatindex

import (
	"bytes"
	"context"
	"runtime"
	"sync"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/squat"
)

// extracted is one message's documents and each one's distinct words, as
// a worker made them.
type extracted struct {
	rec   *spool.Record
	docs  []squat.Document
	words [][]squat.Word
	err   error
	ready chan struct{}
}

// maxWorkers caps the goroutines extracting one mailbox's messages.
const maxWorkers = 4

// extractAll reads and extracts recs on a few goroutines (text extraction
// and word finding are most of the work, and independent per message)
// and hands the results to use in record order: the doc IDs, and so the
// file, are those of a single pass. It stops at the first extraction error
// (returned as it is) or error from use; no goroutine is left running.
func extractAll(ctx context.Context, sp *spool.Spool, m *spool.Mailbox, recs []*spool.Record, fn Extractor, use func(*extracted) error) error {
	workers := min(runtime.GOMAXPROCS(0), maxWorkers, max(len(recs), 1))
	stop := make(chan struct{})
	ordered := make(chan *extracted, 2*workers)
	jobs := make(chan *extracted)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // hands out the records, keeping their order in ordered
		defer wg.Done()
		defer close(ordered)
		defer close(jobs)
		for _, r := range recs {
			e := &extracted{rec: r, ready: make(chan struct{})}
			select {
			case ordered <- e:
			case <-stop:
				return
			}
			select {
			case jobs <- e:
			case <-stop:
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer // one message's file, reused
			var finder squat.WordFinder
			for e := range jobs {
				e.docs, e.err = extract(sp, m, e.rec, fn, &buf)
				if e.err == nil {
					e.words = make([][]squat.Word, len(e.docs))
					for i, d := range e.docs {
						e.words[i] = finder.Words(d.Text)
					}
				}
				close(e.ready)
			}
		}()
	}
	defer wg.Wait()
	defer close(stop)
	for e := range ordered {
		if err := ctx.Err(); err != nil {
			return err
		}
		<-e.ready
		if e.err != nil {
			return e.err
		}
		if err := use(e); err != nil {
			return err
		}
	}
	return nil
}
