package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// applyForce is APPLY FORCE: the client's -O. The replica then lets the
// master's state win where it would otherwise refuse (higher modseq,
// uidvalidity or last_uid on the replica, a mailbox with another
// uniqueid). Cyrus keeps it for the rest of the process, so for every
// later session a reused process serves; under our --listen, where one
// process serves every session at once, it holds for the session only.
//
// cyrus: imap/sync_support.c sync_apply_force (3.6.1)
func (r *replica) applyForce(ctx context.Context) error {
	if r.forced() {
		r.log.Log(ctx, cyruslog.LevelNotice, "SYNCNOTICE: force already enabled")
		return nil
	}
	if r.srv.sessionForce {
		r.force = true
	} else {
		r.srv.forceAll.Store(true)
	}
	r.log.Log(ctx, cyruslog.LevelNotice, "SYNCNOTICE: enabling force mode")
	return nil
}

// forced tells whether force mode is on for this session.
func (r *replica) forced() bool { return r.force || r.srv.forceAll.Load() }
