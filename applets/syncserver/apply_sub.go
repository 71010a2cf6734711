package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// applySub is APPLY SUB and UNSUB: a subscription added or removed,
// forced (the mailbox need not exist).
//
// cyrus: imap/sync_support.c sync_apply_changesub; imap/mboxlist.c
// mboxlist_changesub (3.6.1)
func (r *replica) applySub(ctx context.Context, q *protocol.ApplySub) error {
	var err error
	if q.Unsub {
		err = r.sp.Unsubscribe(ctx, q.UserID, q.MboxName)
	} else {
		err = r.sp.Subscribe(ctx, q.UserID, q.MboxName)
	}
	if err != nil {
		return err
	}
	// cyrus: imap/sync_log.h sync_log_subscribe: SUB for either (3.6.1)
	r.logItem(ctx, synclog.TypeSub, q.UserID, q.MboxName)
	return nil
}
