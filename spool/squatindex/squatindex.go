// Package squatindex updates a mailbox's cyrus.squat as Cyrus 3.6's
// squatter does with search_engine: squat: it opens the mailbox under
// Cyrus's locks, picks the messages the old index does not name, has the
// caller's extractor turn each into SQUAT documents, and writes the new
// index with package squat, renamed over cyrus.squat; with AttachPass, in
// Cyrus 3.10's two passes.
//
// cyrus: imap/squatter.c index_one; imap/search_engines.c
// search_update_mailbox, flush_batch; imap/search_squat.c begin_mailbox,
// is_indexed, end_mailbox (3.6.1, 3.10.2)
package squatindex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/squat"
)

// Extractor turns one message (its file's bytes, valid only during the
// call) into SQUAT documents in Cyrus's search normal form, named part
// letter + uid.
type Extractor func(uid uint32, msg []byte) ([]squat.Document, error)

// Result says how an IndexMailbox call ended.
type Result int

// Results, as index_one's return codes.
const (
	// Done: every message is indexed.
	Done Result = iota
	// Again: a batch was indexed and more messages remain (IMAP_AGAIN).
	// Rolling mode re-queues the mailbox on its channel; -f indexes it
	// again at once, as Cyrus's blocking index_one does. Only an engine
	// that batches returns it: Cyrus 3.6's SQUAT engine does not (its
	// flags lack SEARCH_FLAG_CAN_BATCH), it indexes every message not yet
	// indexed in one go, whatever search_batchsize says.
	//
	// cyrus: imap/search_engines.c search_batch_size,
	// search_update_mailbox; imap/search_squat.c squat_search_engine (3.6.1)
	Again
	// Locked: not blocking, and the mailbox was locked (IMAP_MAILBOX_LOCKED).
	Locked
	// Nonexistent: no such mailbox, or one without files (deleted,
	// intermediate, remote).
	Nonexistent
)

func (r Result) String() string {
	switch r {
	case Done:
		return "done"
	case Again:
		return "again"
	case Locked:
		return "locked"
	case Nonexistent:
		return "nonexistent"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// Options control one update.
type Options struct {
	// Incremental is squatter -i (always set in rolling mode): keep the
	// old index and add only messages it does not name.
	Incremental bool
	// Blocking waits for locks; otherwise a locked mailbox gives Locked.
	Blocking bool
	// BatchSize caps the messages indexed per call (0: no cap). Cyrus
	// does not batch SQUAT (its engine lacks SEARCH_FLAG_CAN_BATCH, so
	// search_batchsize is ignored); batching changes when the work is done,
	// not the final file, since every update keeps the doc IDs.
	BatchSize int
	// Extract is required.
	Extract Extractor
	// Log, if set, gets Cyrus's LOG_ERR messages for an old index that
	// forces a full update.
	Log *slog.Logger
	// Stats, if set, is filled in as Cyrus's SQUAT engine counts (every
	// pass together).
	Stats *Stats
	// AttachPass, if set, is Cyrus 3.10's search_update_mailbox: the
	// messages it reports true for (parts for an attachment extractor)
	// are indexed in a second pass, begun after the index of the others
	// is written — a new index unless Incremental, the one just written
	// updated if Incremental.
	AttachPass func(msg []byte) (bool, error)
	// EndPass, if set, is told each written index's counts (Cyrus's
	// end_mailbox, once per pass) and when its pass began.
	EndPass func(st Stats, began time.Time)
	// Busy, if set, is told the name of a lock found held when not
	// Blocking (Cyrus 3.10's mboxname_lock logs each).
	Busy func(lockName string)
	// Relock, if set, is told when the locks are released between the
	// two passes of AttachPass (false) and taken again, waiting, for the
	// second (true), as Cyrus 3.10's search_update_mailbox does.
	Relock func(reacquired bool)
}

// Stats is what Cyrus's SQUAT engine counts for its "squat: <mailbox>
// indexed N messages (B bytes) into I index bytes" line: the messages
// extracted, the text bytes of the documents written (a document's text
// counts once it reaches a word's length, as append_text opens it), and
// the size of the new index.
// cyrus: imap/search_squat.c begin_message, do_append, end_mailbox (3.6.1)
type Stats struct {
	Messages, Bytes, IndexBytes int64
}

// OpenError is a failure to lock or read the mailbox before indexing
// began (Cyrus's "error opening").
type OpenError struct {
	Mailbox string
	Err     error
}

func (e *OpenError) Error() string { return "squatindex: open " + e.Mailbox + ": " + e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// IndexMailbox updates the SQUAT index of the mailbox with internal name
// intname. Messages are taken in UID order, expunged ones included,
// unlinked ones not. If reading or extracting a message fails, the
// documents of the messages before it are still written (as Cyrus's
// end_mailbox finishes the index after flush_batch fails) and the error is
// returned.
func IndexMailbox(ctx context.Context, sp *spool.Spool, intname string, opt Options) (Result, error) {
	if opt.Extract == nil {
		return 0, errors.New("squatindex: no extractor")
	}
	release, res, err := lockMailbox(ctx, sp, intname, opt.Blocking, opt.Busy)
	if err != nil {
		return res, &OpenError{intname, err}
	}
	if res != Done {
		return res, nil
	}
	defer func() { release() }()

	m, err := sp.Snapshot(ctx, intname)
	if errors.Is(err, spool.ErrNotFound) {
		return Nonexistent, nil
	}
	if err != nil {
		return 0, &OpenError{intname, err}
	}
	if m.IndexVersion == 0 {
		return Nonexistent, nil
	}
	path, err := sp.MetaPath(m.Entry(), spool.MetaSquat)
	if err != nil {
		return 0, fmt.Errorf("squatindex: %w", err)
	}

	var old *squat.Index
	var indexed []uint32 // ascending
	if opt.Incremental {
		// A missing or unreadable index means a full update, silently,
		// as in begin_mailbox.
		if old, err = squat.ReadFile(path); err == nil {
			if old.Current(m.UIDValidity) {
				indexed = old.IndexedUIDs()
			} else {
				logStale(opt.Log, old, intname, m.UIDValidity)
			}
		}
	}

	// Documents go into the builder as each message is extracted: only
	// the words are kept, not the text.
	var b *squat.Builder
	if old != nil {
		b = squat.NewUpdate(old, m.UIDValidity)
	} else {
		b = squat.NewBuild(m.UIDValidity)
	}
	res = Done
	var todo []*spool.Record
	for i := range m.Records {
		r := &m.Records[i]
		if r.Unlinked() {
			continue
		}
		if _, done := slices.BinarySearch(indexed, r.UID); done {
			continue
		}
		if opt.BatchSize > 0 && len(todo) >= opt.BatchSize {
			res = Again
			break
		}
		todo = append(todo, r)
	}
	passes := [][]*spool.Record{todo}
	if opt.AttachPass != nil && len(todo) > 0 {
		plain, attach := splitAttach(sp, m, todo, opt.AttachPass)
		passes = [][]*spool.Record{plain}
		if len(attach) > 0 {
			passes = append(passes, attach)
		}
	}
	for i, recs := range passes {
		began := time.Now()
		if i > 0 {
			// The locks are let go while the attachments' text would be
			// extracted, then taken again, waiting.
			// cyrus: imap/search_engines.c search_update_mailbox (3.10.2)
			release()
			release = func() {}
			if opt.Relock != nil {
				opt.Relock(false)
			}
			rel, res, err := lockMailbox(ctx, sp, intname, true, nil)
			if err != nil {
				return 0, &OpenError{intname, err}
			}
			if res != Done {
				return 0, fmt.Errorf("squatindex: mailbox %s: gone between passes", intname)
			}
			release = rel
			if opt.Relock != nil {
				opt.Relock(true)
			}
			began = time.Now()
			// begin_mailbox again: the index of the first pass, kept only
			// when incremental
			b = squat.NewBuild(m.UIDValidity)
			if opt.Incremental {
				if prev, err := squat.ReadFile(path); err == nil && prev.Current(m.UIDValidity) {
					b = squat.NewUpdate(prev, m.UIDValidity)
				}
			}
		}
		var st Stats
		if err := indexPass(ctx, sp, m, intname, path, recs, b, opt.Extract, &st); err != nil {
			return 0, err
		}
		if opt.Stats != nil {
			opt.Stats.Messages += st.Messages
			opt.Stats.Bytes += st.Bytes
			opt.Stats.IndexBytes += st.IndexBytes
		}
		if opt.EndPass != nil {
			opt.EndPass(st, began)
		}
	}
	return res, nil
}

// indexPass adds recs to b and writes the index (as Cyrus's end_mailbox
// does even when an extraction failed, the error then returned), filling
// st.
func indexPass(ctx context.Context, sp *spool.Spool, m *spool.Mailbox, intname, path string, recs []*spool.Record,
	b *squat.Builder, fn Extractor, st *Stats) error {
	var addErr error
	extractErr := extractAll(ctx, sp, m, recs, fn, func(e *extracted) error {
		for i, doc := range e.docs {
			// AddDocument's rule: a text shorter than a word is no document.
			if len(doc.Text) < squat.WordSize {
				continue
			}
			if err := b.AddWords(doc.Name, int64(len(doc.Text)), e.words[i]); err != nil {
				addErr = fmt.Errorf("squatindex: mailbox %s: uid %d: %w", intname, e.rec.UID, err)
				return addErr
			}
		}
		st.Messages++
		for _, doc := range e.docs {
			if len(doc.Text) >= squat.WordSize {
				st.Bytes += int64(len(doc.Text))
			}
		}
		return nil
	})
	if addErr != nil {
		return addErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := squat.WriteFile(path, func(w io.Writer) error {
		cw := &countingWriter{w: w}
		_, err := b.WriteTo(cw)
		st.IndexBytes += cw.n
		return err
	})
	if err != nil {
		return fmt.Errorf("squatindex: mailbox %s: %w", intname, err)
	}
	if extractErr != nil {
		return fmt.Errorf("squatindex: mailbox %s: %w", intname, extractErr)
	}
	return nil
}

// splitAttach sorts recs, keeping their order, into the messages without
// and with parts for an attachment extractor, as 3.10's
// search_update_mailbox does before its first pass. A message that cannot
// be read or parsed counts as one without (create_withattach gives up on
// it); its extraction reports the error.
//
// cyrus: imap/search_engines.c search_update_mailbox, create_withattach (3.10.2)
func splitAttach(sp *spool.Spool, m *spool.Mailbox, recs []*spool.Record, wants func([]byte) (bool, error)) (plain, attach []*spool.Record) {
	var buf bytes.Buffer
	for _, r := range recs {
		has := false
		if f, err := sp.OpenMessage(m, r); err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(f)
			f.Close()
			if err == nil {
				has, _ = wants(buf.Bytes())
			}
		}
		if has {
			attach = append(attach, r)
		} else {
			plain = append(plain, r)
		}
	}
	return plain, attach
}

// logStale logs what begin_mailbox logs when doc_check or the validity
// document forces a full update (the two UIDVALIDITY values in Cyrus's
// order: the mailbox's, then the index's).
// cyrus: imap/search_squat.c begin_mailbox, doc_check (3.6.1)
func logStale(log *slog.Logger, old *squat.Index, intname string, uidvalidity uint32) {
	if log == nil {
		return
	}
	if bad := old.InvalidNames(); len(bad) > 0 {
		for _, n := range bad {
			log.Error("squat: invalid document name: " + n)
		}
		log.Error(fmt.Sprintf("squat: corrupt old index for mailbox %s, forcing full update", intname))
		return
	}
	v, _ := old.Validity()
	log.Error(fmt.Sprintf("squat: mailbox %s uidvalidity changed from %d to %d, forcing full update", intname, uidvalidity, v))
}

// extract reads a message into buf and extracts its documents.
func extract(sp *spool.Spool, m *spool.Mailbox, r *spool.Record, fn Extractor, buf *bytes.Buffer) ([]squat.Document, error) {
	f, err := sp.OpenMessage(m, r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf.Reset()
	buf.Grow(int(min(r.Size, 64<<20)) + 1)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("read uid %d: %w", r.UID, err)
	}
	docs, err := fn(r.UID, buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("extract text of uid %d: %w", r.UID, err)
	}
	return docs, nil
}

// lockMailbox takes, shared, the user namespace lock and then the mailbox
// name lock, which Cyrus's mailbox_open_irl holds for the whole update
// (the index lock it drops while extracting text; Snapshot takes it for
// the read). cyrus: imap/mailbox.c mailbox_open_advanced (3.6.1)
//
// busy, if set, is told the name of a lock found held when not blocking.
func lockMailbox(ctx context.Context, sp *spool.Spool, intname string, blocking bool, busy func(string)) (func(), Result, error) {
	take := func(name string) (*spool.NamedLock, Result, error) {
		var l *spool.NamedLock
		var err error
		if blocking {
			l, err = sp.Lock(ctx, name, false)
		} else {
			l, err = sp.TryLock(name, false)
		}
		if errors.Is(err, spool.ErrLocked) {
			if busy != nil {
				busy(name)
			}
			return nil, Locked, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("lock %s: %w", name, err)
		}
		return l, Done, nil
	}
	var locks []*spool.NamedLock
	release := func() {
		for i := len(locks) - 1; i >= 0; i-- {
			_ = locks[i].Release()
		}
	}
	if owner := sp.Layout().NS.UserIDOf(intname); owner != "" {
		l, res, err := take(spool.UserLockName(owner))
		if l == nil {
			return nil, res, err
		}
		locks = append(locks, l)
	}
	e, err := sp.LookupName(intname)
	if errors.Is(err, spool.ErrNotFound) || (err == nil && !e.HasFiles()) {
		release()
		return nil, Nonexistent, nil
	}
	if err != nil {
		release()
		return nil, 0, fmt.Errorf("squatindex: %w", err)
	}
	l, res, err := take(spool.MailboxLockName(e))
	if l == nil {
		release()
		return nil, res, err
	}
	locks = append(locks, l)
	return release, Done, nil
}

// countingWriter counts what passes through it: the new index's size.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
