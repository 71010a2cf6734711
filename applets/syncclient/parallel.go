package syncclient

import (
	"context"
	"fmt"
	"sync"
)

// parallel runs units on up to --workers workers (see pool.go): the
// first is the run's session, the others connect first, once each (one
// that cannot is left out). A worker whose session was closed after a
// failure connects again, as the serial walk does; one that then cannot
// ends the run as connect does for one: no unit starts after it, and its
// error is returned.
func (r *run) parallel(ctx context.Context, units []unit) error {
	ws := r.newWorkers(min(r.o.Workers, len(units)))
	// Every session ends here, the first's too (-A and -u have nothing
	// after the units).
	defer closeSessions(ws)
	defer func() {
		for _, s := range ws {
			s.dropAhead()
		}
	}()
	// The first session (which retries as Cyrus's does, and whose failure
	// ends the run) connects beside the others.
	var firstErr error
	first := make(chan struct{})
	go func() {
		defer close(first)
		firstErr = r.connected(ctx)
	}()
	live, failed := r.connectMore(ctx, ws, map[*syncer]bool{})
	<-first
	if firstErr != nil {
		return firstErr
	}
	r.warn(failed)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var fatalErr error
	wrapped := make([]unit, len(units))
	for i, u := range units {
		wrapped[i] = unit{keys: u.keys, ahead: u.ahead, do: func(ctx context.Context, s *syncer) error {
			if err := r.connectWorker(ctx, s, false); err != nil {
				mu.Lock()
				if fatalErr == nil {
					fatalErr = err
				}
				mu.Unlock()
				cancel()
				return err
			}
			return u.do(ctx, s)
		}}
	}
	schedule(ctx, live, wrapped, nil)
	return fatalErr
}

// userAhead is a user unit's ahead: its GET USER sent early; nil without
// pipelining.
func (r *run) userAhead(userid string) func(context.Context, *syncer) {
	if r.o.Pipeline <= 1 {
		return nil
	}
	return func(ctx context.Context, s *syncer) { s.sendUserAhead(ctx, userid) }
}

// usersParallel is -u with several workers: each user on one worker,
// reported as the serial loop does.
func (r *run) usersParallel(ctx context.Context, users []string) error {
	units := make([]unit, len(users))
	for i, u := range users {
		units[i] = unit{keys: []string{u}, ahead: r.userAhead(u), do: func(ctx context.Context, s *syncer) error {
			err := s.doUser(ctx, u)
			if err != nil && ctx.Err() == nil {
				r.bail(fmt.Sprintf("sync_do_user(%s)", u))
			}
			r.progress.userDone()
			return err
		}}
	}
	return r.parallel(ctx, units)
}

// allParallel is -A with several workers: the walk of mailboxes.db as
// all's, each user a unit, shared mailboxes one by one under the key "".
// A failed unit closes its worker's connection, which the worker's next
// unit opens again, as the serial walk does.
func (r *run) allParallel(ctx context.Context, prefix string) error {
	list, err := r.s.sp.MailboxList()
	if err != nil {
		r.failed = true
		return r.connected(ctx)
	}
	if r.progress != nil {
		r.progress.setTotal(r.countUsers(ctx, list, prefix))
	}
	var units []unit
	for t, err := range r.allTargets(ctx, list, prefix) {
		if err != nil {
			r.failed = true
			return r.connected(ctx)
		}
		if t.skip {
			continue
		}
		var ahead func(context.Context, *syncer)
		if t.userid != "" {
			ahead = r.userAhead(t.userid)
		}
		units = append(units, unit{keys: []string{t.userid}, ahead: ahead, do: func(ctx context.Context, s *syncer) error {
			return r.syncAllTarget(ctx, s, t)
		}})
	}
	if len(units) == 0 {
		// Cyrus's client has connected all the same.
		return r.connected(ctx)
	}
	return r.parallel(ctx, units)
}
