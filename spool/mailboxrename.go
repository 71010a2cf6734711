package spool

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// RenameOptions are the optional parts of a sync RENAME.
type RenameOptions struct {
	// Partition is the partition asked for. Cyrus 3.6.1 honours it when
	// the name stays the same (a partition move) and for legacy-layout
	// mailboxes; a by-id mailbox renamed keeps its partition.
	Partition string
	// UIDValidity, if set, becomes the UIDVALIDITY of a legacy-layout
	// mailbox (by-id mailboxes keep theirs, as in Cyrus).
	UIDValidity uint32
}

type renameOpts struct {
	silent    bool
	keepInter bool
}

// RenameMailbox renames one mailbox (not its children) as sync_server
// does: both owners' namespace locks in byte order of the names, then
// mboxlist_renamemailbox as admin, forcing user moves, ignoring quota,
// keeping intermediaries, without moving subscriptions, silently. A
// by-id mailbox keeps its directory: cyrus.header gets the new name and
// quota root, the old name becomes a tombstone and the I record gains a
// History item. A legacy-layout mailbox is copied to its new directory
// (message files hard-linked) and the old one removed. Renaming a user
// INBOX to another user INBOX needs allowusermoves, as in Cyrus.
//
// mailboxes.db is committed before cyrus.header is rewritten, as in Cyrus:
// a crash in between leaves the new name in mailboxes.db and the old one
// in cyrus.header, which Cyrus takes from mailboxes.db; running the rename
// again finds the old name a tombstone and fails with ErrNotFound.
//
// cyrus: imap/sync_support.c sync_apply_rename; imap/mboxlist.c mboxlist_renamemailbox;
// imap/mailbox.c mailbox_rename_nocopy, mailbox_rename_copy (3.6.1)
func (s *Spool) RenameMailbox(ctx context.Context, oldname, newname string, opts RenameOptions) error {
	op := oldname + " -> " + newname
	if s.cfg.Conversations() {
		return mboxErr("rename", op, fmt.Errorf("conversations: yes: %w", ErrUnsupported))
	}
	release, err := s.lockUsers(ctx, oldname, newname)
	if err != nil {
		return mboxErr("rename", op, err)
	}
	defer release()
	e, err := s.lookupAll(oldname)
	if err == nil && e == nil {
		err = ErrNotFound
	}
	if err == nil {
		err = s.renameMailbox(ctx, e, newname, opts.Partition, opts.UIDValidity, renameOpts{silent: true, keepInter: true})
	}
	return mboxErr("rename", op, err)
}

// renameMailbox is mboxlist_renamemailbox (admin, forceuser, ignorequota)
// with both namespace locks held.
func (s *Spool) renameMailbox(ctx context.Context, e *Entry, newname, partition string, uidvalidity uint32, o renameOpts) error {
	if e.Intermediate() {
		if err := s.createNameCheck(newname, true); err != nil {
			return err
		}
		n := *e
		if !o.silent {
			n.FolderModseq++
		}
		return s.commitRename(ctx, e, newname, &n, o)
	}
	w, err := s.openLockedWriter(ctx, e.Name)
	if err != nil {
		return err
	}
	defer w.release()
	w.silent = o.silent
	if e.Name == newname {
		return s.movePartition(w, partition, o)
	}
	if err := s.userMoveCheck(e.Name, newname); err != nil {
		return err
	}
	if err := s.createNameCheck(newname, true); err != nil {
		return err
	}
	if e.LegacyDirs() {
		if err := s.renameCopy(ctx, w, newname, partition, uidvalidity, o); err != nil {
			return err
		}
		return s.addSieveRenamed(ctx, newname)
	}
	if err := s.renameNoCopy(w, newname, o.silent); err != nil {
		w.Abort()
		return err
	}
	n := &Entry{Type: w.e.Type, Partition: w.e.Partition, ACL: w.e.ACL, UIDValidity: w.h.UIDValidity,
		UniqueID: w.e.UniqueID, CreatedModseq: w.h.CreatedModseq, FolderModseq: w.h.HighestModseq}
	if err := s.commitRename(ctx, e, newname, n, o); err != nil {
		w.Abort()
		return err
	}
	if _, err = w.Commit(); err != nil {
		return err
	}
	return s.addSieveRenamed(ctx, newname)
}

// userMoveCheck: a user INBOX may only become a DELETED mailbox, or
// another user INBOX with allowusermoves.
func (s *Spool) userMoveCheck(oldname, newname string) error {
	ns := s.layout.NS
	om, nm := ns.ParseInternal(oldname), ns.ParseInternal(newname)
	if om.LocalPart == "" || len(om.Boxes) > 0 || om.Deleted != 0 || nm.Deleted != 0 {
		return nil
	}
	if nm.LocalPart != "" && len(nm.Boxes) == 0 && s.cfg.Switch("allowusermoves") {
		return nil
	}
	return ErrNotSupported
}

// commitRename writes the tombstone of the old name and the new entry in
// one transaction, then fills in intermediaries unless kept.
func (s *Spool) commitRename(ctx context.Context, old *Entry, newname string, n *Entry, o renameOpts) error {
	tomb := &Entry{Type: old.Type | TypeDeleted, UIDValidity: old.UIDValidity, UniqueID: old.UniqueID,
		CreatedModseq: old.CreatedModseq, FolderModseq: n.FolderModseq}
	err := s.withList(func(t *listTx) error {
		if err := t.update(old.Name, tomb); err != nil {
			return err
		}
		return t.update(newname, n)
	})
	if err != nil || o.keepInter {
		return err
	}
	if err := s.updateIntermediaries(ctx, old.Name, n.Type, n.FolderModseq); err != nil {
		return err
	}
	return s.updateIntermediaries(ctx, newname, n.Type, n.FolderModseq)
}

// renameNoCopy is mailbox_rename_nocopy: usage moved to the new quota
// root, the display name annotation dropped, a modseq taken unless
// silent, and the new name in cyrus.header (written at commit); 3.10 also
// opens the owner's conversations database.
//
// cyrus: imap/mailbox.c mailbox_rename_nocopy (3.6.1, 3.10.2)
func (s *Spool) renameNoCopy(w *MailboxWriter, newname string, silent bool) error {
	if err := s.changeQuotaRoot(w, s.findQuotaRoot(newname), silent); err != nil {
		return err
	}
	if err := s.dropMailboxAnnotations(w.e.UniqueID, displayNameEntry); err != nil {
		return err
	}
	if err := s.touchConversations310(newname); err != nil {
		return err
	}
	w.indexDirty()
	if !silent {
		w.nextModseq()
	}
	w.hdr.Name = newname
	w.headerDirty = true
	return nil
}

// changeQuotaRoot is mailbox_changequotaroot: the mailbox's usage leaves
// its quota root for root, unless the old root is root or below it.
//
// cyrus: imap/mailbox.c mailbox_changequotaroot (3.6.1)
func (s *Spool) changeQuotaRoot(w *MailboxWriter, root string, silent bool) error {
	usage := w.usage()
	if old := w.hdr.QuotaRoot; old != "" {
		if root != "" && (old == root || strings.HasPrefix(old, root+".")) {
			return nil
		}
		neg := usage
		for i := range neg {
			neg[i] = -neg[i]
		}
		if err := s.updateQuotaUsed(old, w.e.Name, neg, silent); err != nil {
			return err
		}
	}
	w.hdr.QuotaRoot = root
	w.headerDirty = true
	if root == "" {
		return nil
	}
	return s.updateQuotaUsed(root, w.e.Name, usage, silent)
}

// movePartition is the same-name case of mboxlist_renamemailbox: the
// files are copied to the new partition, the entry updated, and the old
// copy removed.
func (s *Spool) movePartition(w *MailboxWriter, partition string, o renameOpts) error {
	if partition == "" {
		return ErrMailboxExists
	}
	root, ok := s.cfg.PartitionDir(partition)
	if !ok || root == "" {
		return ErrPartitionUnknown
	}
	oldDir, err := s.MailboxDir(w.e)
	if err != nil {
		return err
	}
	if strings.HasPrefix(oldDir, filepath.Clean(root)+"/") {
		return ErrMailboxExists
	}
	n := *w.e
	n.Partition = partition
	if !o.silent {
		n.FolderModseq++
	}
	if err := s.copyMailboxFiles(w, &n); err != nil {
		s.removeMailboxFiles(&n)
		return err
	}
	if err := s.withList(func(t *listTx) error { return t.update(n.Name, &n) }); err != nil {
		s.removeMailboxFiles(&n)
		return err
	}
	old := *w.e
	w.Abort()
	s.removeMailboxFiles(&old)
	return nil
}
