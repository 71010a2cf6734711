package syncclient

import (
	"context"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// DefaultPipeline is --pipeline's default: how many commands one
// connection has sent and not yet had answered, at most. Mailbox updates
// are small; the cap bounds the work a failure leaves sent behind it.
const DefaultPipeline = 32

// updateFolders updates each folder of doFolders on the replica, stopping
// at the first that fails.
func (s *syncer) updateFolders(ctx context.Context, folders []*localFolder, byID map[string]*protocol.Mailbox, up uploads) error {
	if s.o.Pipeline > 1 {
		pl := &pipeline{s: s, up: up}
		return pl.run(ctx, folders, byID)
	}
	for _, lf := range folders {
		if err := s.updateMailbox(ctx, lf, byID[lf.entry.UniqueID], up); err != nil {
			s.updateFailed(lf, err)
			return err
		}
	}
	return nil
}

func (s *syncer) updateFailed(lf *localFolder, err error) {
	s.log.Error(fmt.Sprintf("do_folders(): update failed: %s '%s'", lf.entry.Name, errText(err)), "mailbox", lf.entry.Name)
}

// pipeline sends the first attempt at each mailbox (its APPLY MESSAGE
// batches and APPLY MAILBOX) without waiting for the replies to the ones
// before, at most Options.Pipeline commands unanswered. Replies come in
// command order (protocol.Send); a failure is tied to its mailbox, and the
// mailbox goes on as it would have without pipelining — the replies to
// everything already sent are read first, then the CRC retry and full
// update run on an idle connection, then the mailboxes after it are
// handled in order, each failed one the same way. -v prints each MAILBOX
// as it is sent, in command order; a NO is logged once per mailbox, for
// the first of its commands that failed (the others would not have been
// sent one at a time).
type pipeline struct {
	s  *syncer
	up uploads
	// queue are the mailboxes sent and not yet settled, in order.
	queue []*pipedMailbox
	// failed is set once a failure ended the pipeline.
	failed bool
}

// pipedMailbox is one mailbox's first attempt in flight.
type pipedMailbox struct {
	lf     *localFolder
	remote *protocol.Mailbox
	// sent are its commands whose replies are unread.
	sent []*protocol.Pending
	// err is the first failure among its replies.
	err error
}

func (pl *pipeline) run(ctx context.Context, folders []*localFolder, byID map[string]*protocol.Mailbox) error {
	s := pl.s
	for _, lf := range folders {
		remote := byID[lf.entry.UniqueID]
		if lf.mbox == nil {
			// Cyrus 3.6 ignores the result for intermediates: it is read
			// and logged, never retried.
			pm := &pipedMailbox{lf: lf, remote: remote}
			if err := pl.send(ctx, pm, &protocol.ApplyMailbox{Mailbox: s.intermediate(lf.entry)}, nil); err != nil {
				return pl.fail(ctx, lf, err)
			}
			continue
		}
		u, err := s.prepareUpdate(ctx, lf.mbox, remote, pl.up, false)
		if err != nil {
			// Handled as without pipelining, once all before it are.
			if err := pl.settleAll(ctx); err != nil {
				return err
			}
			if err := s.retryUpdate(ctx, lf, remote, pl.up, err); err != nil {
				return pl.fail(ctx, lf, err)
			}
			continue
		}
		if u == nil {
			continue
		}
		s.action("%s %s", s.local("MAILBOX"), u.m.Name)
		pm := &pipedMailbox{lf: lf, remote: remote}
		for _, batch := range u.batches() {
			if err := pl.send(ctx, pm, batch, s.fileSource(u.m, u.paths)); err != nil {
				return pl.fail(ctx, lf, err)
			}
		}
		if err := pl.send(ctx, pm, &protocol.ApplyMailbox{Local: s.o.LocalOnly, Mailbox: u.apply}, nil); err != nil {
			return pl.fail(ctx, lf, err)
		}
	}
	return pl.settleAll(ctx)
}

// send sends one command of pm, first reading replies (and settling the
// mailboxes they complete) while the cap is reached.
func (pl *pipeline) send(ctx context.Context, pm *pipedMailbox, req protocol.Request, files dlist.FileSource) error {
	for pl.s.c.InFlight() >= pl.s.o.Pipeline {
		if err := pl.receiveOne(ctx); err != nil {
			return err
		}
		if err := pl.settleDone(ctx); err != nil {
			return err
		}
	}
	if len(pl.queue) == 0 || pl.queue[len(pl.queue)-1] != pm {
		pl.queue = append(pl.queue, pm)
	}
	p, err := pl.s.c.Send(ctx, req, files)
	if err != nil {
		return err
	}
	pm.sent = append(pm.sent, p)
	return nil
}

// receiveOne reads the oldest unread reply. A NO (or another whole reply
// that is not OK) is the mailbox's failure; an error that leaves the
// session unusable is returned.
func (pl *pipeline) receiveOne(ctx context.Context) error {
	for _, pm := range pl.queue {
		if len(pm.sent) == 0 {
			continue
		}
		p := pm.sent[0]
		pm.sent = pm.sent[1:]
		_, err := pl.s.c.Receive(ctx, p)
		if err != nil && pm.err == nil {
			pl.s.logNo(p.Key, err)
			pm.err = err
		}
		if broken := pl.s.c.Err(); broken != nil {
			return broken
		}
		return nil
	}
	return nil
}

// settleDone settles the mailboxes at the head of the queue whose replies
// are all read: done if they succeeded; if one failed, every reply still
// unread is read first, then its retries run (retryUpdate, on the idle
// connection), and so on down the queue.
func (pl *pipeline) settleDone(ctx context.Context) error {
	for len(pl.queue) > 0 && len(pl.queue[0].sent) == 0 {
		pm := pl.queue[0]
		if pm.err != nil && pm.lf.mbox != nil {
			for pl.s.c.InFlight() > 0 {
				if err := pl.receiveOne(ctx); err != nil {
					return pl.fail(ctx, pm.lf, err)
				}
			}
			pl.queue = pl.queue[1:]
			if err := pl.s.retryUpdate(ctx, pm.lf, pm.remote, pl.up, pm.err); err != nil {
				return pl.fail(ctx, pm.lf, err)
			}
			continue
		}
		pl.queue = pl.queue[1:]
	}
	return nil
}

// settleAll reads every reply and settles every mailbox sent.
func (pl *pipeline) settleAll(ctx context.Context) error {
	for len(pl.queue) > 0 {
		if len(pl.queue[0].sent) > 0 {
			if err := pl.receiveOne(ctx); err != nil {
				return pl.fail(ctx, pl.queue[0].lf, err)
			}
		}
		if err := pl.settleDone(ctx); err != nil {
			return err
		}
	}
	return nil
}

// fail ends the pipeline with lf's failure: the replies still unread are
// read (their NOs logged, nothing retried: the user's sync fails, as it
// would have at lf), so that the session is in step for what follows.
// It logs do_folders' line once.
func (pl *pipeline) fail(ctx context.Context, lf *localFolder, err error) error {
	if pl.failed {
		return err
	}
	pl.failed = true
	pl.s.updateFailed(lf, err)
	for pl.s.c.Err() == nil && pl.s.c.InFlight() > 0 {
		if pl.receiveOne(ctx) != nil {
			break
		}
	}
	pl.queue = nil
	return err
}
