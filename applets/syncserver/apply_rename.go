package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// applyRename is APPLY RENAME / LOCAL_RENAME: one mailbox (not its
// children: the client sends each) renamed as admin, forcing user moves,
// ignoring quota, keeping intermediaries, without moving subscriptions,
// silently; the partition may change. A missing source is
// NO IMAP_MAILBOX_NONEXISTENT.
//
// cyrus: imap/sync_support.c sync_apply_rename (3.6.1)
func (r *replica) applyRename(ctx context.Context, q *protocol.ApplyRename) error {
	err := r.sp.RenameMailbox(ctx, q.OldName, q.NewName, spool.RenameOptions{Partition: q.Partition, UIDValidity: q.UIDValidity})
	if err != nil {
		return errNo(err)
	}
	// cyrus: imap/sync_log.h sync_log_rename (3.6.1)
	r.logItem(ctx, synclog.TypeRename, q.OldName, q.NewName)
	r.logMailbox(ctx, q.OldName)
	r.logMailbox(ctx, q.NewName)
	return nil
}
