package spool

import (
	"context"
	"fmt"
)

// What sync_server changes in mailboxes.db besides creating, renaming and
// deleting mailboxes.

// SetPlaceholder writes the entry of an intermediate or tombstone the
// master has (APPLY MAILBOX with MBOXTYPE i or d): name, type, uniqueid,
// createdmodseq and foldermodseq, nothing else — whatever was there, as
// Cyrus does ("XXX - make sure what's already there is … compatible" is
// still a to-do in 3.6.1).
//
// cyrus: imap/sync_support.c sync_apply_mailbox; imap/mboxlist.c
// mboxlist_updatelock, mboxlist_update (3.6.1)
func (s *Spool) SetPlaceholder(ctx context.Context, e Entry) error {
	if e.Type&(TypeIntermediate|TypeDeleted) == 0 {
		return fmt.Errorf("spool: placeholder %s: type %s is neither intermediate nor deleted", e.Name, e.Type)
	}
	release, err := s.lockUsers(ctx, e.Name)
	if err != nil {
		return mboxErr("update", e.Name, err)
	}
	defer release()
	p := Entry{Name: e.Name, Type: e.Type, UniqueID: e.UniqueID, CreatedModseq: e.CreatedModseq, FolderModseq: e.FolderModseq}
	err = s.withList(func(t *listTx) error { return t.update(e.Name, &p) })
	return mboxErr("update", e.Name, err)
}

// SyncACL takes the master's ACL for the open mailbox, in mailboxes.db
// (its foldermodseq raised to foldermodseq if lower) and in cyrus.header,
// as sync_apply_mailbox does on every apply: the ACL is not versioned, the
// master wins.
//
// cyrus: imap/mboxlist.c mboxlist_sync_setacls; imap/mailbox.c
// mailbox_set_acl (3.6.1)
func (w *MailboxWriter) SyncACL(acl ACL, foldermodseq uint64) error {
	w.SetACL(acl)
	err := w.s.withList(func(t *listTx) error {
		e, err := t.lookup(w.e.Name)
		if err != nil {
			return err
		}
		if e == nil {
			return ErrNotFound
		}
		if e.ACL.String() == acl.String() && e.FolderModseq >= foldermodseq {
			return nil
		}
		if e.Type&(TypeMoving|TypeReserve|TypeDeleted) != 0 {
			return ErrNotSupported
		}
		e.ACL = acl
		e.FolderModseq = max(e.FolderModseq, foldermodseq)
		return t.update(w.e.Name, e)
	})
	if err != nil {
		return fmt.Errorf("spool: %s: acl: %w", w.e.Name, err)
	}
	return nil
}
