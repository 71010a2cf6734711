package syncserver

import (
	"context"
	"fmt"
	"os"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// createForApply creates the mailbox APPLY MAILBOX names (sync mode, as
// admin) with HIGHESTMODSEQ 0, so that every record sent is a future
// change, and opens it. A #sieve mailbox also gets the user's sieve
// directory.
//
// cyrus: imap/sync_support.c sync_apply_mailbox; imap/mboxlist.c
// mboxlist_createmailbox (3.6.1)
func (r *replica) createForApply(ctx context.Context, m *protocol.Mailbox, mbtype spool.MBType) (*spool.MailboxWriter, error) {
	_, err := r.sp.CreateMailbox(ctx, spool.CreateParams{
		Name: m.Name, UniqueID: m.UniqueID, Partition: m.Partition, ACL: protocol.ParseACL(m.ACL), Type: mbtype,
		UIDValidity: m.UIDValidity, CreatedModseq: m.CreatedModseq, FolderModseq: m.FolderModseq,
		HighestModseq: m.HighestModseq, Options: protocol.ParseOptions(m.Options), StartEmpty: true,
	})
	if err != nil {
		return nil, err
	}
	w, err := r.sp.OpenMailboxWriter(ctx, m.Name)
	if err != nil {
		return nil, err
	}
	if mbtype.Kind() == spool.KindSieve {
		dir, err := r.sp.SieveDir(r.sp.Config().Namespace().UserIDOf(m.Name))
		if err == nil {
			err = os.MkdirAll(dir, 0o755)
		}
		if err != nil {
			w.Abort()
			r.log.Error(fmt.Sprintf("Failed to create %s:%v", dir, err), "mailbox", m.Name)
			return nil, err
		}
	}
	return w, nil
}

// deleteMailbox removes a mailbox at once, as admin, forced and silent:
// UNMAILBOX (whatever delete_mode says, as Cyrus 3.6's sync_server) and
// the replacement of a mailbox whose uniqueid changed.
//
// cyrus: imap/sync_support.c sync_apply_unmailbox; imap/mboxlist.c
// mboxlist_deletemailbox (3.6.1)
func (r *replica) deleteMailbox(ctx context.Context, name string) error {
	if err := r.sp.DeleteMailbox(ctx, name, spool.DeleteOptions{}); err != nil {
		return err
	}
	r.logItem(ctx, synclog.TypeUnmailbox, name) // mboxlist_deletemailbox's
	return nil
}

// applyPlaceholder is APPLY MAILBOX of an intermediate or a tombstone:
// the entry is written as sent, under the owner's namespace lock.
//
// cyrus: imap/sync_support.c sync_apply_mailbox (3.6.1)
func (r *replica) applyPlaceholder(ctx context.Context, m *protocol.Mailbox, mbtype spool.MBType) error {
	return r.sp.SetPlaceholder(ctx, spool.Entry{Name: m.Name, Type: mbtype, UniqueID: m.UniqueID,
		CreatedModseq: m.CreatedModseq, FolderModseq: m.HighestModseq})
}

// setMailboxACL takes the master's ACL, with FOLDERMODSEQ (or else
// HIGHESTMODSEQ) as the entry's foldermodseq.
func (r *replica) setMailboxACL(_ context.Context, w *spool.MailboxWriter, m *protocol.Mailbox) error {
	fm := m.FolderModseq
	if fm == 0 {
		fm = m.HighestModseq
	}
	return w.SyncACL(protocol.ParseACL(m.ACL), fm)
}
