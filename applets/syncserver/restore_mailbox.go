package syncserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// restoreMailbox is RESTORE MAILBOX / LOCAL_MAILBOX, which restore tools
// (not sync_client) send: the records are appended to the mailbox,
// creating it if needed. A mailbox that exists keeps its identity and its
// annotations; its new records get new UIDs and modseqs. A new mailbox
// keeps UNIQUEID, HIGHESTMODSEQ and UIDVALIDITY if all three came, and
// then the records keep their UIDs above LAST_UID and their modseqs up to
// HIGHESTMODSEQ.
//
// cyrus: imap/sync_support.c sync_restore_mailbox (3.6.1)
func (r *replica) restoreMailbox(ctx context.Context, s *protocol.Session, q *protocol.RestoreMailbox) error {
	m := q.Mailbox
	mbtype := spool.ParseMBType(m.Type)
	if mbtype.Kind() == spool.KindSieve && !s.SieveMailbox {
		return nil // Cyrus leaves it ("XXX What do we do here?")
	}
	w, err := r.sp.OpenMailboxWriter(ctx, m.Name)
	isNew, preserve := false, false
	if errors.Is(err, spool.ErrNotFound) {
		p := spool.CreateParams{Name: m.Name, Partition: m.Partition, ACL: protocol.ParseACL(m.ACL), Type: mbtype,
			CreatedModseq: m.CreatedModseq, FolderModseq: m.FolderModseq, Options: protocol.ParseOptions(m.Options)}
		if m.UniqueID != "" && m.HighestModseq != 0 && m.UIDValidity != 0 {
			p.UniqueID, p.HighestModseq, p.UIDValidity, preserve = m.UniqueID, m.HighestModseq, m.UIDValidity, true
		}
		if _, err = r.sp.CreateMailbox(ctx, p); err == nil {
			w, err = r.sp.OpenMailboxWriter(ctx, m.Name)
		}
		isNew = true
	}
	if err != nil {
		r.log.Error(fmt.Sprintf("Failed to open mailbox %s to restore: %s", m.Name, errorText(err)), "mailbox", m.Name)
		return errNo(err)
	}
	defer w.Abort()
	if have := w.Entry().Type &^ spool.TypeLegacyDirs; have != mbtype {
		r.log.Error(fmt.Sprintf("restore mailbox %s: mbtype mismatch (%d, %d)", m.Name, have, mbtype), "mailbox", m.Name)
		return remote(protocol.CodeRemoteDenied)
	}
	if m.Annotations != nil && isNew {
		// an existing mailbox keeps its own (Cyrus's local_wins)
		if err := r.applyMailboxAnnotations(ctx, w, m); err != nil {
			cyruslog.Xsyslog(r.log, cyruslog.LevelWarning, fmt.Sprintf("restore mailbox %s: unable to apply mailbox annotations: %s",
				m.Name, errorText(err)), "sync_restore_mailbox")
		}
	}
	version := w.Header().MinorVersion
	for i := range m.Records {
		rec, annots, err := m.Records[i].ParseUpload(w, version, func(e error) { r.log.Error(e.Error(), "mailbox", m.Name) })
		if err != nil {
			return err
		}
		h := w.Header()
		if !preserve || rec.UID <= h.LastUID {
			rec.UID = h.LastUID + 1
		}
		silent := preserve && rec.Modseq != 0 && rec.Modseq <= h.HighestModseq
		if err := r.appendStaged(w, rec, annots, silent); err != nil {
			return err
		}
	}
	changed, err := w.Commit()
	if err != nil {
		r.log.Error(fmt.Sprintf("sync_restore_mailbox: mailbox_commit(%s): %s", m.Name, errorText(err)), "mailbox", m.Name)
		return err
	}
	if changed {
		r.logMailbox(ctx, m.Name)
	}
	if len(m.Records) > 0 {
		r.logItem(ctx, synclog.TypeAppend, m.Name)
	}
	return nil
}
