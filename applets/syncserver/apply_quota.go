package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// applyQuota is APPLY QUOTA: a quota root's limits set (the root created,
// with its mailboxes' usage, if new), silently with the master's MODSEQ.
//
// cyrus: imap/sync_support.c sync_apply_quota; imap/mboxlist.c
// mboxlist_setquotas (3.6.1)
func (r *replica) applyQuota(ctx context.Context, q *protocol.ApplyQuota) error {
	var modseq uint64
	if q.Quota.HasModseq {
		modseq = q.Quota.Modseq
	}
	if err := r.sp.SetQuotaLimits(ctx, q.Quota.Root, q.Quota.Limits, modseq, r.log); err != nil {
		return err
	}
	r.logItem(ctx, synclog.TypeQuota, q.Quota.Root)
	return nil
}

// applyUnquota is APPLY UNQUOTA: a quota root removed (a missing one is
// already done).
//
// cyrus: imap/sync_support.c sync_apply_unquota; imap/mboxlist.c
// mboxlist_unsetquota (3.6.1)
func (r *replica) applyUnquota(ctx context.Context, q *protocol.ApplyUnquota) error {
	if err := r.sp.RemoveQuotaRoot(ctx, q.Root, r.log); err != nil {
		return err
	}
	r.logItem(ctx, synclog.TypeQuota, q.Root)
	return nil
}
