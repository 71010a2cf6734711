package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// applyUnuser is APPLY UNUSER / LOCAL_UNUSER: the user's subscriptions,
// mailboxes (INBOX last) and data removed. An empty userid is ignored
// with a warning, as Cyrus does.
//
// cyrus: imap/sync_support.c sync_apply_unuser (3.6.1)
func (r *replica) applyUnuser(ctx context.Context, q *protocol.ApplyUnuser) error {
	if q.UserID == "" {
		cyruslog.Xsyslog(r.log, cyruslog.LevelWarning, "ignoring attempt to sync_apply_unuser() without userid", "sync_apply_unuser")
		return nil
	}
	gone, err := r.sp.DeleteUser(ctx, q.UserID)
	if err != nil {
		return errNo(err)
	}
	if gone {
		r.logItem(ctx, synclog.TypeUnuser, q.UserID)
	}
	return nil
}
