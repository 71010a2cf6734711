package syncclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// Rolling mode with several workers (ours, --workers > 1). A log file's
// items are split into parts that share no user (see itemKeys and
// splitItems); each part is processed on one worker exactly as Cyrus
// processes a whole file (runLog: grouped, reordered, promoted, deferred),
// with the part's items in their order in the file.
//
// A part that fails while the replica still answers is a failure of its
// users only: its items are written back to the channel's log (fsynced)
// before the file is deleted, so a restart still has them, and its users
// wait their own bounded, doubling back-off while the others go on. Until
// a user's retry is due its items, read again from the log, are written
// back again. A replica that does not answer a NOOP after a failure has
// gone away: the file is kept and the client stops, as Cyrus's does.

// errReplicaGone ends a file whose part failed with the replica no longer
// answering.
var errReplicaGone = errors.New("the replica does not answer")

// The per-user back-off: the first retry after retryFirst, doubling up
// to retryMax.
const (
	retryFirst = time.Second
	retryMax   = 5 * time.Minute
)

// holdPoll is the longest pause after a cycle that wrote items back to
// our own log: the log's growth beyond what we wrote wakes the loop
// sooner, but a delivery that raced our write is noticed only then.
const holdPoll = time.Second

// retrying is a user (key) waiting for its retry.
type retrying struct {
	attempts int
	since    time.Time // first failure
	next     time.Time // retry due
	err      string
	items    int
	// held: its items were held back since the last failure (logged once).
	held bool
}

// itemKeys are the users an item touches ("" for none: a shared mailbox,
// the server's annotations, an item of an unknown type).
func (s *syncer) itemKeys(it synclog.Item) []string {
	a0, a1 := it.Arg(0), it.Arg(1)
	switch it.Type {
	case synclog.TypeUser, synclog.TypeUnuser, synclog.TypeMeta, synclog.TypeSieve,
		synclog.TypeSeen, synclog.TypeSub, synclog.TypeUnsub:
		return []string{a0}
	case synclog.TypeMailbox, synclog.TypeAppend, synclog.TypeUnmailbox, synclog.TypeQuota, synclog.TypeAnnotation:
		return []string{s.ns.UserIDOf(a0)}
	case synclog.TypeDoubleMailbox, synclog.TypeRename:
		k0, k1 := s.ns.UserIDOf(a0), s.ns.UserIDOf(a1)
		if k0 == k1 {
			return []string{k0}
		}
		return []string{k0, k1}
	}
	return []string{""}
}

// logPart is the items of a file that touch some users and no others.
type logPart struct {
	keys  []string
	items []synclog.Item
}

// splitItems splits items into parts whose users are disjoint: items that
// share a user, directly or through an item touching two users, are in
// one part, in file order. The parts come in the order of their first
// items.
func (s *syncer) splitItems(items []synclog.Item) []*logPart {
	parent := map[string]string{}
	var find func(k string) string
	find = func(k string) string {
		p, ok := parent[k]
		if !ok {
			parent[k] = k
			return k
		}
		if p == k {
			return k
		}
		root := find(p)
		parent[k] = root
		return root
	}
	keys := make([][]string, len(items))
	for i, it := range items {
		keys[i] = s.itemKeys(it)
		r0 := find(keys[i][0])
		for _, k := range keys[i][1:] {
			if r := find(k); r != r0 {
				parent[r] = r0
			}
		}
	}
	byRoot := map[string]*logPart{}
	var parts []*logPart
	for i, it := range items {
		root := find(keys[i][0])
		p := byRoot[root]
		if p == nil {
			p = &logPart{}
			byRoot[root] = p
			parts = append(parts, p)
		}
		p.items = append(p.items, it)
	}
	for k := range parent {
		p := byRoot[find(k)]
		p.keys = append(p.keys, k)
	}
	for _, p := range parts {
		sort.Strings(p.keys)
	}
	return parts
}

// who names a part's users in log lines ("(shared)" for "").
func who(keys []string) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k
		if k == "" {
			names[i] = "(shared)"
		}
	}
	return strings.Join(names, " ")
}

// partResult is what became of a part.
type partResult struct {
	err  error
	gone bool
}

// processParallel is processLog with several workers; it returns the
// number of items and an error when the file must be kept. wrote tells
// whether items were written back to our own log (held, failed or
// deferred).
func (d *daemon) processParallel(ctx context.Context, p *synclog.Parser) (n int, wrote bool, err error) {
	r := d.r
	items, err := synclog.ReadAll(p, func(m *synclog.Malformed) { r.env.Log.Error(m.Error()) })
	if err != nil {
		r.env.Log.Error(fmt.Sprintf("IOERROR: reading %s: %s", p.File, cyruslog.Strerror(err)))
		return 0, false, fmt.Errorf("reading %s: %w", p.File, err)
	}
	if d.ws == nil {
		d.ws, d.retired = r.newWorkers(r.o.Workers), map[*syncer]bool{}
	}
	now := d.now()
	if d.own == nil {
		d.own = &ownLog{w: r.s.synclog, channel: r.o.Channel, path: d.reader.LogFile}
	}
	d.own.reset()
	for _, s := range d.ws {
		s.own, s.requeued = d.own, false
	}
	durable := context.WithoutCancel(ctx)
	var run []*logPart
	for _, part := range r.s.splitItems(items) {
		if due := d.heldUntil(part.keys); due.After(now) {
			if err := d.requeue(durable, part.items); err != nil {
				return len(items), true, err
			}
			wrote = true
			if d.noteHeld(part.keys) {
				r.env.Log.Info(fmt.Sprintf("  Held for retry: %d items of %s, retry due %s", len(part.items), who(part.keys), due.Format(time.RFC3339)))
			}
			continue
		}
		run = append(run, part)
	}
	results := make([]partResult, len(run))
	units := make([]unit, len(run))
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, part := range run {
		units[i] = unit{keys: part.keys, do: func(ctx context.Context, s *syncer) error {
			results[i] = d.runPart(ctx, s, part)
			if results[i].gone {
				cancel()
			}
			return results[i].err
		}}
	}
	if len(units) > 0 {
		live, failed := r.connectMore(ctx, d.ws, d.retired)
		if ctx.Err() != nil {
			return len(items), wrote, ctx.Err()
		}
		if len(failed) > 0 {
			if r.s.c.Noop(ctx) != nil {
				return len(items), wrote, errReplicaGone
			}
			r.warn(failed)
		}
		schedule(sctx, live, units, nil)
	}
	for _, s := range d.ws {
		wrote = wrote || s.requeued
	}
	if ctx.Err() != nil {
		return len(items), wrote, ctx.Err()
	}
	for i, part := range run {
		res := results[i]
		switch {
		case res.gone || sctx.Err() != nil:
			return len(items), wrote, errReplicaGone
		case res.err == nil:
			d.succeeded(part.keys)
		default:
			if err := d.requeue(durable, part.items); err != nil {
				return len(items), true, err
			}
			wrote = true
			d.failed(part, res.err)
		}
	}
	return len(items), wrote, nil
}

// runPart processes a part on worker s (connected). After a failure the
// replica drops what it staged for the session (RESTART); a replica that
// says BYE, or does not answer a NOOP or the RESTART, is gone.
func (d *daemon) runPart(ctx context.Context, s *syncer, part *logPart) partResult {
	err := s.runLog(ctx, part.items, s)
	if err == nil || ctx.Err() != nil {
		return partResult{err: err}
	}
	if isBye(err) || s.c.Noop(ctx) != nil || s.restart(ctx) != nil {
		return partResult{err: err, gone: true}
	}
	return partResult{err: err}
}

// requeue writes items back to our own channel's log.
func (d *daemon) requeue(ctx context.Context, items []synclog.Item) error {
	for _, it := range items {
		if err := d.own.write(ctx, it); err != nil {
			return fmt.Errorf("re-queueing %s: %w", it.Type, err)
		}
	}
	return nil
}

// ownLog writes items back to our own channel's log (each fsynced), for
// the loop and its workers (failed, held and deferred items). It notes
// the log as our last write left it, and whether someone else wrote to it
// since the cycle began: then the next cycle must not wait.
type ownLog struct {
	w       *synclog.Writer
	channel string
	path    string

	mu      sync.Mutex
	last    os.FileInfo
	foreign bool
}

// reset starts a cycle (the log was just taken).
func (o *ownLog) reset() {
	o.mu.Lock()
	o.last, o.foreign = nil, false
	o.mu.Unlock()
}

func (o *ownLog) write(ctx context.Context, it synclog.Item) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if st, err := os.Stat(o.path); err == nil && (o.last == nil || !os.SameFile(st, o.last) || st.Size() != o.last.Size()) {
		o.foreign = true
	}
	if err := o.w.LogChannel(ctx, o.channel, it); err != nil {
		return err
	}
	o.last, _ = os.Stat(o.path)
	return nil
}

// state is the log as our last write left it (nil: none this cycle), and
// whether others wrote to it.
func (o *ownLog) state() (os.FileInfo, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last, o.foreign
}

// heldUntil is when the latest retry of keys is due (zero: none waits).
func (d *daemon) heldUntil(keys []string) time.Time {
	var due time.Time
	for _, k := range keys {
		if rt := d.retry[k]; rt != nil && rt.next.After(due) {
			due = rt.next
		}
	}
	return due
}

// noteHeld marks keys' items held back until their retry; it tells
// whether that is news since their last failure (to be logged).
func (d *daemon) noteHeld(keys []string) bool {
	news := false
	for _, k := range keys {
		if rt := d.retry[k]; rt != nil && !rt.held {
			rt.held, news = true, true
		}
	}
	return news
}

// failed starts or doubles the back-off of a failed part's users.
func (d *daemon) failed(part *logPart, err error) {
	now := d.now()
	if d.retry == nil {
		d.retry = map[string]*retrying{}
	}
	attempts := 0
	for _, k := range part.keys {
		if rt := d.retry[k]; rt != nil {
			attempts = max(attempts, rt.attempts)
		}
	}
	wait := min(d.retryFirst<<min(attempts, 20), d.retryMax)
	for _, k := range part.keys {
		rt := d.retry[k]
		if rt == nil {
			rt = &retrying{since: now}
			d.retry[k] = rt
		}
		rt.attempts, rt.next, rt.err, rt.items, rt.held = attempts+1, now.Add(wait), errText(err), len(part.items), false
	}
	d.r.env.Log.Error(fmt.Sprintf("Replicating %s failed (attempt %d): %s; %d items re-queued, retry in %s",
		who(part.keys), attempts+1, errText(err), len(part.items), wait))
}

// succeeded ends the back-off of a part's users.
func (d *daemon) succeeded(keys []string) {
	for _, k := range keys {
		if rt := d.retry[k]; rt != nil {
			d.r.env.Log.Info(fmt.Sprintf("Replicating %s succeeded after %d failed attempts", who([]string{k}), rt.attempts))
			delete(d.retry, k)
		}
	}
}

// nextRetry is when the earliest retry is due (zero: none waits).
func (d *daemon) nextRetry() time.Time {
	var t time.Time
	for _, rt := range d.retry {
		if t.IsZero() || rt.next.Before(t) {
			t = rt.next
		}
	}
	return t
}

// retryState is the back-off for the state file, by user.
func (d *daemon) retryState() []synclog.RetryUser {
	var out []synclog.RetryUser
	for k, rt := range d.retry {
		out = append(out, synclog.RetryUser{User: k, Attempts: rt.attempts, Since: rt.since, Next: rt.next,
			Error: rt.err, Items: rt.items})
	}
	slices.SortFunc(out, func(a, b synclog.RetryUser) int { return strings.Compare(a.User, b.User) })
	return out
}

// pauseAfterWrite waits after a cycle that wrote items back to our own
// log: up to holdPoll (or the minimum cycle, or the next retry), less if
// the log grows beyond what we wrote. Items others wrote meanwhile are
// taken at once (after the minimum cycle).
func (d *daemon) pauseAfterWrite(ctx context.Context, cycleStart time.Time) {
	last, foreign := d.own.state()
	if foreign {
		d.pause(ctx, d.minDelta-d.now().Sub(cycleStart), true)
		return
	}
	wait := holdPoll
	if rest := d.minDelta - d.now().Sub(cycleStart); rest > wait {
		wait = rest
	} else if next := d.nextRetry(); !next.IsZero() {
		if until := next.Sub(d.now()); until < wait {
			wait = max(until, idlePoll)
		}
	}
	st, err := last, error(nil)
	if st == nil {
		st, err = os.Stat(d.reader.LogFile)
	}
	if d.waker == nil || err != nil {
		sleepInterruptible(ctx, wait, d.r.hup)
		return
	}
	d.waker.waitGrowth(ctx, wait, d.r.hup, st)
}
