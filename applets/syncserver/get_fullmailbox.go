package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// getFullMailbox is GET FULLMAILBOX: one MAILBOX item with every record,
// expunged ones included, and their annotations. A missing mailbox is
// NO IMAP_MAILBOX_NONEXISTENT.
//
// cyrus: imap/sync_support.c sync_get_fullmailbox (3.6.1)
func (r *replica) getFullMailbox(ctx context.Context, q *protocol.GetFullMailbox, out *reply) error {
	m, err := r.snapshot(ctx, q.Name)
	if err != nil {
		return errNo(err)
	}
	out.add(protocol.MailboxFromSpool(m, true))
	return nil
}
