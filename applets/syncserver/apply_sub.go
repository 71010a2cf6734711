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
	typ := synclog.TypeSub
	if q.Unsub {
		typ = synclog.TypeUnsub
		err = r.sp.Unsubscribe(ctx, q.UserID, q.MboxName)
	} else {
		err = r.sp.Subscribe(ctx, q.UserID, q.MboxName)
	}
	if err != nil {
		return err
	}
	r.logItem(ctx, typ, q.UserID, q.MboxName)
	return nil
}
