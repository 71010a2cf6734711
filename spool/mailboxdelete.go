package spool

import (
	"context"
	"fmt"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// DeleteOptions choose how DeleteMailbox deletes.
type DeleteOptions struct {
	// Delayed renames the mailbox to <deletedprefix>.<name>.<HEX time>
	// and keeps its files (delete_mode: delayed, what imapd does), as
	// mboxlist_delayed_deletemailbox. Otherwise the files are removed and
	// a tombstone is left (mboxlist_deletemailbox, what Cyrus 3.6.1's
	// sync_server does for UNMAILBOX whatever delete_mode says). A
	// mailbox already under deletedprefix is always removed.
	Delayed bool
	// KeepIntermediaries leaves ancestors alone
	// (MBOXLIST_DELETE_KEEP_INTERMEDIARIES).
	KeepIntermediaries bool
}

// DeleteMailbox deletes a mailbox as sync_server does (admin, forced,
// silent: no modseq is bumped), under the owner's namespace lock. An
// immediate delete writes the tombstone first (type "ed", or "ei" if the
// mailbox has children), marks cyrus.index deleted, takes the mailbox's
// usage (and one folder) off its quota root, drops its mailbox-level
// annotations from annotations.db, then — under the exclusive name lock —
// removes its files. A crash after the tombstone leaves a mailbox marked
// deleted (or not yet) that no entry names: its files are what is left,
// and Cyrus's `reconstruct` does not see them; running the delete again
// finds no entry (ErrNotFound). A missing mailbox is ErrNotFound.
//
// cyrus: imap/mboxlist.c mboxlist_deletemailbox, mboxlist_delayed_deletemailbox;
// imap/mailbox.c mailbox_delete, mailbox_delete_internal (3.6.1)
func (s *Spool) DeleteMailbox(ctx context.Context, intname string, opts DeleteOptions) error {
	if s.cfg.Conversations() {
		return mboxErr("delete", intname, fmt.Errorf("conversations: yes: %w", ErrUnsupported))
	}
	release, err := s.lockUsers(ctx, intname)
	if err != nil {
		return mboxErr("delete", intname, err)
	}
	defer release()
	if opts.Delayed && s.layout.NS.ParseInternal(intname).Deleted == 0 {
		err = s.delayedDelete(ctx, intname, opts)
	} else {
		err = s.deleteMailbox(ctx, intname, opts, true)
	}
	return mboxErr("delete", intname, err)
}

// delayedDelete renames intname to its DELETED name, not silently.
//
// cyrus: imap/mboxlist.c mboxlist_delayed_deletemailbox (3.6.1)
func (s *Spool) delayedDelete(ctx context.Context, intname string, opts DeleteOptions) error {
	e, err := s.lookupAll(intname)
	if err != nil {
		return err
	}
	if e == nil {
		return ErrNotFound
	}
	m := s.layout.NS.ParseInternal(intname)
	m.Deleted = time.Now().Unix()
	newname := s.layout.NS.Internal(m)
	return s.renameMailbox(ctx, e, newname, e.Partition, 0, renameOpts{keepInter: opts.KeepIntermediaries})
}

// deleteMailbox is mboxlist_deletemailbox with the namespace lock held.
func (s *Spool) deleteMailbox(ctx context.Context, intname string, opts DeleteOptions, silent bool) error {
	e, err := s.lookupAll(intname)
	if err != nil {
		return err
	}
	if e == nil {
		return ErrNotFound
	}
	inDeleted := s.layout.NS.ParseInternal(intname).Deleted != 0
	if e.Intermediate() {
		return s.withList(func(t *listTx) error {
			if inDeleted {
				return t.update(intname, nil)
			}
			n := *e
			n.Type |= TypeDeleted
			if !silent {
				n.FolderModseq++
			}
			return t.update(intname, &n)
		})
	}
	// forced: a mailbox that cannot be opened still loses its entry
	w, openErr := s.openLockedWriter(ctx, intname)
	if w != nil {
		w.silent = silent
		defer w.release()
	}
	if !inDeleted {
		kids, err := s.hasChildren(intname)
		if err != nil {
			return err
		}
		tomb := &Entry{Type: s.deleteTombstoneType(e.Type, kids)}
		if w != nil {
			tomb.UniqueID, tomb.UIDValidity, tomb.CreatedModseq = w.e.UniqueID, w.h.UIDValidity, w.h.CreatedModseq
			if silent {
				w.indexDirty()
				tomb.FolderModseq = w.h.HighestModseq
			} else {
				tomb.FolderModseq = w.nextModseq()
			}
		}
		if err := s.withList(func(t *listTx) error { return t.update(intname, tomb) }); err != nil {
			return err
		}
		if !opts.KeepIntermediaries {
			if err := s.updateIntermediaries(ctx, intname, e.Type, tomb.FolderModseq); err != nil {
				return err
			}
		}
	} else if err := s.withList(func(t *listTx) error { return t.update(intname, nil) }); err != nil {
		return err
	}
	if w == nil {
		// forced: Cyrus reports success once the entry is gone
		_ = openErr
		return nil
	}
	return s.deleteOpened(ctx, w)
}

// deleteOpened is mailbox_delete_internal and mailbox_close on a mailbox
// marked for deletion: OPT_MAILBOX_DELETED, usage off the quota root,
// mailbox annotations dropped, commit; then the files are removed under
// the exclusive name lock if the index still says deleted.
//
// cyrus: imap/mailbox.c mailbox_delete_internal, mailbox_close (3.6.1)
func (s *Spool) deleteOpened(ctx context.Context, w *MailboxWriter) error {
	e := w.e
	w.indexDirty()
	w.h.Options |= index.OptMailboxDeleted
	if err := s.DeleteSieveRows(ctx, e); err != nil {
		w.Abort()
		return err
	}
	if err := s.deleteMailboxAnnotations(e); err != nil {
		w.Abort()
		return err
	}
	if _, err := w.Commit(); err != nil {
		return err
	}
	lock, err := s.Lock(ctx, MailboxLockName(e), true)
	if err != nil {
		return err
	}
	defer lock.Release()
	ipath, err := s.MetaPath(e, MetaIndex)
	if err != nil {
		return err
	}
	f, err := ofd.OpenExclusive(ipath)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", ipath, err)
	}
	defer f.Close()
	idx, err := index.Read(ipath, f)
	if err != nil {
		return err
	}
	if idx.Header.Options&index.OptMailboxDeleted != 0 {
		s.removeMailboxFiles(e)
	}
	return nil
}

// openLockedWriter is OpenMailboxWriter for a caller that holds the
// owner's namespace lock already.
func (s *Spool) openLockedWriter(ctx context.Context, intname string) (*MailboxWriter, error) {
	w := &MailboxWriter{s: s, owner: s.layout.NS.UserIDOf(intname), changed: map[int]bool{}, now: time.Now, noUserLock: true}
	if err := w.open(ctx, intname); err != nil {
		w.release()
		return nil, err
	}
	return w, nil
}
