package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// applySeen is APPLY SEEN: one user's seen entry for a mailbox it does
// not own, replaced by the master's (the seen database created if need
// be).
//
// cyrus: imap/sync_support.c sync_apply_seen; imap/seen_db.c seen_write (3.6.1)
func (r *replica) applySeen(ctx context.Context, q *protocol.ApplySeen) error {
	if q.Seen.UserID == "" {
		return remote(protocol.CodeBadParameters)
	}
	if err := r.sp.SetSeen(q.Seen.UserID, q.Seen.ToSpool()); err != nil {
		return err
	}
	r.logItem(ctx, synclog.TypeSeen, q.Seen.UserID, q.Seen.UniqueID)
	return nil
}
