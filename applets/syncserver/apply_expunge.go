package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// applyExpunge is APPLY EXPUNGE: the client's full update expunges, on the
// replica, records it copied back or renumbered. The mailbox must still
// have the uniqueid the client knows (else MOVED); UIDs the replica does
// not have are skipped; the expunges are silent, so the next APPLY's CRCs
// still match.
//
// cyrus: imap/sync_support.c sync_apply_expunge (3.6.1)
func (r *replica) applyExpunge(ctx context.Context, q *protocol.ApplyExpunge) error {
	w, err := r.sp.OpenMailboxWriter(ctx, q.MboxName)
	if err != nil {
		return errNo(err)
	}
	defer w.Abort() // after Commit, only releases what is left
	if w.Entry().UniqueID != q.UniqueID {
		return remote(protocol.CodeMailboxMoved)
	}
	w.SetSilent()
	for _, uid := range q.UIDs {
		rec, ok := w.Record(uid)
		if !ok {
			continue
		}
		rec.InternalFlags |= index.FlagExpunged
		if err := w.RewriteSilent(rec); err != nil {
			return err
		}
	}
	changed, err := w.Commit()
	if err == nil && changed {
		r.logMailbox(ctx, q.MboxName)
	}
	return err
}
