package syncserver

// WIP: these wait for the spool's mailbox lifecycle and annotation
// writers (branches mblife, stores); they are replaced before this branch
// lands.

import (
	"context"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

var errPending = fmt.Errorf("pending: %w", spool.ErrUnsupported)

func (r *replica) applyMailboxAnnotations(ctx context.Context, w *spool.MailboxWriter, m *protocol.Mailbox) error {
	if len(m.Annotations) > 0 {
		return errPending
	}
	return nil
}

func (r *replica) applyMessageAnnotations(w *spool.MailboxWriter, uid uint32, annots []protocol.Annot, merge bool) error {
	if len(annots) > 0 {
		return errPending
	}
	return nil
}
