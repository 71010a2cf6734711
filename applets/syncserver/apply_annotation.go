package syncserver

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// applyAnnotation is APPLY ANNOTATION and UNANNOTATION (an empty value):
// one mailbox-level annotation, or with MBOXNAME "" a server annotation,
// stored as admin — USERID "" the shared value, else that user's private
// one.
//
// cyrus: imap/sync_support.c sync_apply_annotation, sync_apply_unannotation (3.6.1)
func (r *replica) applyAnnotation(ctx context.Context, mboxname, entry, userid string, value []byte) error {
	if mboxname == "" {
		changed, err := r.sp.WriteServerAnnotation(entry, userid, value)
		if err == nil && changed {
			r.logItem(ctx, synclog.TypeAnnotation, "")
		}
		return err
	}
	w, err := r.sp.OpenMailboxWriter(ctx, mboxname)
	if err != nil {
		return errNo(err)
	}
	defer w.Abort()
	if err := w.WriteAnnotation(spool.AnnotationWrite{Entry: entry, UserID: userid, Value: value, CheckQuota: true}); err != nil {
		return err
	}
	changed, err := w.Commit()
	if err == nil && changed {
		r.logItem(ctx, synclog.TypeAnnotation, mboxname)
	}
	return err
}
