package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// getMailboxes is GET MAILBOXES: the MAILBOX item of each named mailbox
// that exists, of any type (as in GET USER); unknown names and mailboxes
// that fail are left out and the answer is always OK.
//
// cyrus: imap/sync_support.c sync_get_mailboxes (3.6.1)
func (r *replica) getMailboxes(ctx context.Context, s *protocol.Session, q *protocol.GetMailboxes, out *reply) error {
	for _, name := range q.Names {
		e, err := r.sp.LookupName(name)
		if err != nil {
			continue
		}
		r.mailboxByEntry(ctx, s, e, out)
	}
	return nil
}

// getUniqueIDs is GET UNIQUEIDS: GET MAILBOXES by uniqueid.
//
// cyrus: imap/sync_support.c sync_get_uniqueids (3.6.1)
func (r *replica) getUniqueIDs(ctx context.Context, s *protocol.Session, q *protocol.GetUniqueIDs, out *reply) error {
	for _, id := range q.UniqueIDs {
		e, err := r.sp.LookupUniqueID(id)
		if err != nil {
			continue
		}
		r.mailboxByEntry(ctx, s, e, out)
	}
	return nil
}
