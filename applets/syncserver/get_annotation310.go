package syncserver

import (
	"errors"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// getAnnotation310 is GET ANNOTATION of Cyrus 3.10: the argument is one
// mailbox's internal name, looked up as it is (a deleted or intermediate
// entry included); a name mailboxes.db lacks is IMAP_MAILBOX_NONEXISTENT,
// where 3.6 matched an external-name pattern and answered OK.
//
// cyrus: imap/sync_support.c sync_get_annotation; imap/annotate.c
// annotatemore_findall_mboxname, annotatemore_findall_full (3.10.2)
func (r *replica) getAnnotation310(q *protocol.GetAnnotation, out *reply) error {
	e, err := r.sp.LookupName(q.MboxName)
	if errors.Is(err, spool.ErrNotFound) {
		return remote(protocol.CodeMailboxNonexistent)
	}
	if err != nil {
		return err
	}
	return r.annotationsOf(e.UniqueID, e.Name, r.sp.Config().Namespace().UserIDOf(e.Name), out)
}
