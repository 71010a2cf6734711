package squatterchannel

import (
	"context"
	"fmt"
	"time"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// rolling is -R: follow the channel's sync log. Each cycle takes the log
// (a leftover log-run first), indexes what it names, one batch per
// mailbox, and re-queues on the channel what is locked or has more to
// index. log-run is deleted when the next cycle begins, so a run that
// dies mid-cycle does the file again. It ends with errShutdown (exit 75)
// on a shutdown file or SIGTERM, SIGINT, SIGQUIT, and with nil on SIGHUP
// under Cyrus's master. Between mailboxes ours also notices a shutdown
// signal (Cyrus: only between cycles); the cycle's log-run is then kept.
//
// cyrus: imap/squatter.c do_rolling (3.6.1)
func (r *runner) rolling(ctx context.Context, reader *synclog.Reader) error {
	defer reader.Close()
	for {
		if r.pollHup() && r.daemon {
			r.log.Debug("received SIGHUP, shutting down gracefully")
			reader.End()
			return nil
		}
		if ctx.Err() != nil {
			return r.graceful()
		}
		if r.shuttingDown() {
			return errShutdown
		}
		p, err := reader.Begin()
		if err != nil {
			// no log yet (or it could not be taken: logged): look again
			r.wait(ctx, r.idle)
			continue
		}
		names, items := r.names(ctx, p)
		if len(names) > 0 {
			r.cycle(ctx, names)
		}
		if ctx.Err() == nil {
			r.state.Cycle(items, nil)
		}
	}
}

// cycle indexes one log file's mailboxes without blocking on locks.
func (r *runner) cycle(ctx context.Context, names []string) {
	before := func(name string) bool {
		if !r.admit(name) {
			return false
		}
		if r.o.Verbose > 1 {
			r.log.Info(fmt.Sprintf("do_rolling: indexing %s", name))
		}
		return true
	}
	r.dispatch(ctx, names, r.o.Parallel, false, before, func(o outcome) ([]string, bool) {
		switch {
		case o.err == nil && (o.res == Again || o.res == Locked):
			if err := r.requeue(o.name); err != nil {
				r.log.Error("re-queueing a mailbox on the squatter's channel", "mailbox", o.name, "error", err)
			}
		case o.err == nil && o.res == Nonexistent:
			r.log.Debug(fmt.Sprintf("skipping nonexistent mailbox: %s", o.name))
		case o.err != nil:
			cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: failed to index and forgetting", "do_rolling",
				"mailbox", o.name, "error", o.err.Error())
		}
		return nil, false
	})
	r.endCycle()
}

// pollHup tells whether a SIGHUP came since the last call.
func (r *runner) pollHup() bool {
	select {
	case <-r.hup:
		r.gotHup = true
	default:
	}
	got := r.gotHup
	r.gotHup = false
	return got
}

// wait sleeps d, less if ctx ends or a SIGHUP comes (kept for pollHup).
func (r *runner) wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-r.hup:
		r.gotHup = true
	}
}
