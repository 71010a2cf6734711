package syncserver

import (
	"context"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// getFetchSieve is GET FETCH_SIEVE: a script's source by file name
// ("<name>.script"), read from the user's #sieve mailbox; a script that
// does not exist is NO IMAP_MAILBOX_NONEXISTENT.
//
// cyrus: imap/sync_support.c sync_get_sieve, sync_sieve_read (3.6.1)
func (r *replica) getFetchSieve(ctx context.Context, q *protocol.GetFetchSieve, out *reply) error {
	name, ok := strings.CutSuffix(q.FileName, ".script")
	if !ok {
		return remote(protocol.CodeMailboxNonexistent)
	}
	scripts, err := r.sp.SieveScripts(ctx, q.UserID)
	if err != nil {
		return err
	}
	for _, sc := range scripts {
		if sc.Name == name {
			out.add(&protocol.Sieve{UserID: q.UserID, FileName: q.FileName, Content: sc.Content})
			return nil
		}
	}
	return remote(protocol.CodeMailboxNonexistent)
}
