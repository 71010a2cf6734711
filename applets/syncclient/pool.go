package syncclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// Parallel users (ours, --workers): Cyrus's sync_client has one serial
// connection per channel. Here several workers, each a syncer with its own
// connection to the replica, replicate different users at once.
//
// A unit of work names the users it touches (its keys; "" stands for
// shared mailboxes and server annotations, whose sync lock is the global
// one). Two units sharing a key never run at once, and those that share
// one start in the order given, so one user is never on two workers and
// its work keeps its order. An item touching two users (a RENAME or
// DOUBLEMAILBOX across users, a user renamed) is in a unit holding both
// keys: the worker that runs it owns both users meanwhile. The sync locks
// shared with Cyrus's own client (lock.go) are still taken inside each
// operation, as with one worker.

// unit is one piece of work for a worker.
type unit struct {
	keys []string
	do   func(ctx context.Context, s *syncer) error
	// ahead, if set, is called on the worker that will do the unit next,
	// before the unit it does now (see ahead.go).
	ahead func(ctx context.Context, s *syncer)
}

// schedule runs units on n workers and waits for them. A worker runs the
// first unit none of whose keys is busy or claimed by an earlier unit
// still waiting. After ctx ends no unit starts. A unit's ahead is called
// just before it is done; and while more units wait than there are idle
// workers to take them, a worker starting a unit with an ahead also takes
// the one it will do next, if that one has an ahead too: its keys are
// busy from then on, and its ahead is called before the current unit is
// done.
func schedule(ctx context.Context, workers []*syncer, units []unit, done func(i int, err error)) {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	busy := map[string]bool{}
	started := make([]bool, len(units))
	first, left := 0, len(units)
	// running is how many workers are doing a unit.
	running := 0
	pick := func() int {
		for first < len(units) && started[first] {
			first++
		}
		var claimed map[string]bool
		for i := first; i < len(units); i++ {
			if started[i] {
				continue
			}
			free := true
			for _, k := range units[i].keys {
				if busy[k] || claimed[k] {
					free = false
				}
			}
			if free {
				return i
			}
			if claimed == nil {
				claimed = map[string]bool{}
			}
			for _, k := range units[i].keys {
				claimed[k] = true
			}
		}
		return -1
	}
	take := func(i int) {
		started[i] = true
		left--
		for _, k := range units[i].keys {
			busy[k] = true
		}
	}
	release := func(i int) {
		mu.Lock()
		for _, k := range units[i].keys {
			delete(busy, k)
		}
		mu.Unlock()
		cond.Broadcast()
	}
	var wg sync.WaitGroup
	for _, s := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := -1
			for {
				mu.Lock()
				i := next
				next = -1
				if i >= 0 && ctx.Err() != nil {
					mu.Unlock()
					release(i)
					i = -1
					mu.Lock()
				}
				for i < 0 && left > 0 && ctx.Err() == nil {
					if i = pick(); i >= 0 {
						take(i)
						break
					}
					cond.Wait()
				}
				if i < 0 {
					mu.Unlock()
					cond.Broadcast()
					return
				}
				running++
				if units[i].ahead != nil && left > len(workers)-running {
					if j := pick(); j >= 0 && units[j].ahead != nil {
						take(j)
						next = j
					}
				}
				mu.Unlock()
				// The current unit's first (unless it was sent as the
				// one after the last), then the next one's.
				if units[i].ahead != nil {
					units[i].ahead(ctx, s)
				}
				if next >= 0 {
					units[next].ahead(ctx, s)
				}
				err := units[i].do(ctx, s)
				if done != nil {
					done(i, err)
				}
				mu.Lock()
				running--
				mu.Unlock()
				release(i)
			}
		}()
	}
	wg.Wait()
}

// newWorkers makes n syncers beside r.s, each to have its own
// connection, writing -v and trace lines whole (lineWriter) to the run's
// stdout and stderr. The first is r.s itself, connected or not.
func (r *run) newWorkers(n int) []*syncer {
	out := &syncWriter{w: r.s.stdout}
	errw := &syncWriter{w: r.stderr}
	ws := []*syncer{r.s}
	for range n - 1 {
		s := *r.s
		s.c, s.requeued, s.makeFlagsBuf, s.ahead = nil, false, "", nil
		s.stdout = &lineWriter{w: out}
		ws = append(ws, &s)
	}
	// The first worker writes through the same locks (its trace too: the
	// session is idle while the workers are made).
	r.s.stdout = &lineWriter{w: out}
	if r.d.opts.Trace != nil {
		r.d.opts.Trace.W = &lineWriter{w: errw}
	}
	r.workerErr = errw
	return ws
}

// connectWorker opens s's connection if it has none: as connect does for
// the first worker; another tries once with once, else as often as
// connect does, and is quiet (see connectTo): -v and syslog show one
// connection's worth of "ENABLE" and "Destination supports #sieve
// mailbox", as Cyrus's.
func (r *run) connectWorker(ctx context.Context, s *syncer, once bool) error {
	if s.c != nil {
		return nil
	}
	if s == r.s {
		return r.connect(ctx)
	}
	d := *r.d
	d.once = once || r.d.once // -o (3.10) holds for every worker
	// Dial's notes (#sieve mailbox, archive, ENABLE) come from the first
	// worker's connection only.
	d.opts.Logger, d.opts.OnEnable = nil, nil
	if r.o.Verbose > 1 && r.workerErr != nil {
		d.opts.Trace = &protocol.Tracer{W: &lineWriter{w: r.workerErr}}
	}
	return r.connectTo(ctx, s, &d, true)
}

// connectMore connects the workers after the first that have no session
// and are not retired, trying each once: a replica limiting its sync
// services (cyrus.conf maxchild) may refuse some. One that fails is
// retired and the run goes on with the others; live are the connected
// workers, the first among them, and failed says why the others failed.
//
// They connect at once, each on its own: over a long link a session costs
// several round trips (banner, AUTHENTICATE, COMPRESS, APPLY
// CAPABILITIES), which one after another would delay the work by as many
// times the number of workers.
func (r *run) connectMore(ctx context.Context, ws []*syncer, retired map[*syncer]bool) (live []*syncer, failed []string) {
	errs := make([]error, len(ws))
	tried := make([]bool, len(ws))
	var wg sync.WaitGroup
	for i, s := range ws[1:] {
		if retired[s] || ctx.Err() != nil {
			continue
		}
		tried[i+1] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i+1] = r.connectWorker(ctx, s, true)
		}()
	}
	wg.Wait()
	live = []*syncer{ws[0]}
	for i, s := range ws[1:] {
		if !tried[i+1] {
			continue
		}
		if err := errs[i+1]; err != nil {
			retired[s] = true
			failed = append(failed, fmt.Sprintf("worker %d of %d not connected (%s): going on without it", i+2, len(ws), errText(err)))
			continue
		}
		live = append(live, s)
	}
	return live, failed
}

// warn logs each line.
func (r *run) warn(lines []string) {
	for _, l := range lines {
		r.env.Log.Warn(l)
	}
}

// closeWorkers ends the workers' sessions but the first's.
func closeWorkers(ws []*syncer) { closeSessions(ws[1:]) }

// closeSessions ends the sessions of ws, at once: each waits for the
// replica's answer to its EXIT, as Cyrus's backend_disconnect does, and
// over a long link one after another would cost a round trip each.
func closeSessions(ws []*syncer) {
	var wg sync.WaitGroup
	for _, s := range ws {
		if s.c != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.c.Close()
				s.c = nil
			}()
		}
	}
	wg.Wait()
}

// syncWriter serialises writes: each Write goes out whole.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// lineWriter passes on whole lines only, so that a line written in pieces
// by one worker is not cut by another's.
type lineWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if i := bytes.LastIndexByte(w.buf, '\n'); i >= 0 {
		_, err := w.w.Write(w.buf[:i+1])
		w.buf = append(w.buf[:0], w.buf[i+1:]...)
		if err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
