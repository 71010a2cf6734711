package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// applyUnmailbox is APPLY UNMAILBOX / LOCAL_UNMAILBOX: the mailbox is
// deleted at once, as admin, forced and silent, whatever delete_mode says
// (the master's delayed delete arrives as a RENAME to DELETED.…). A
// missing mailbox is NO IMAP_MAILBOX_NONEXISTENT, which clients take as
// done.
//
// cyrus: imap/sync_support.c sync_apply_unmailbox (3.6.1)
func (r *replica) applyUnmailbox(ctx context.Context, q *protocol.ApplyUnmailbox) error {
	return errNo(r.deleteMailbox(ctx, q.Name))
}
