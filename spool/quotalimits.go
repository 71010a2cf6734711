package spool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// QuotaUnlimited is the limit of a resource without limit.
const QuotaUnlimited = -1

// quotaChangeLock is the named lock Cyrus holds while quota roots are
// created or removed (and quota -f runs).
//
// cyrus: imap/quota_db.c quota_changelock (3.6.1)
const quotaChangeLock = "$QUOTACHANGE"

// checkQuotaRootName refuses what Cyrus refuses as a quota root name.
//
// cyrus: imap/mboxlist.c mboxlist_setquotas, mboxlist_unsetquota (3.6.1)
func checkQuotaRootName(root string) error {
	if root == "" || root[0] == '.' || strings.ContainsAny(root, "/*%?") {
		return fmt.Errorf("spool: quota root %q: invalid mailbox name", root)
	}
	return nil
}

// SetQuotaLimits sets the limits of quota root root (in QuotaResources
// order, QuotaUnlimited for none; storage and annotation storage in KiB)
// as sync_server's APPLY QUOTA does (mboxlist_setquotas, forced). With a
// modseq other than 0 the change is silent: the root takes that MODSEQ.
// Without, a user root's MODSEQ moves on by one.
//
// An existing root only changes if a limit does (its usage is kept). A
// new root is created under the $QUOTACHANGE lock with no usage, then
// every mailbox at or below root (not tombstones or intermediates) that is
// not under a deeper root is moved to it: its usage leaves its old root
// and is added to the new one, and its cyrus.header names the new root.
// A mailbox that cannot be moved is logged as Cyrus logs it (LOSTQUOTA)
// and skipped. Cyrus logs "QUOTA <root>" to the sync log afterwards, even
// when nothing changed; that is the caller's part.
//
// cyrus: imap/mboxlist.c mboxlist_setquotas, mboxlist_changequota;
// imap/mailbox.c mailbox_changequotaroot; imap/quota_db.c quota_write (3.6.1)
func (s *Spool) SetQuotaLimits(ctx context.Context, root string, limits [4]int64, modseq uint64, log *slog.Logger) error {
	if err := checkQuotaRootName(root); err != nil {
		return err
	}
	if err := s.quotaDBSupported(); err != nil {
		return err
	}
	silent := modseq != 0
	qf, err := s.lockQuotaFile(root, false)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if qf != nil && qf.rec != nil {
		defer qf.close()
		q := qf.rec
		if q.limit == limits {
			return nil
		}
		q.limit = limits
		if silent {
			q.modseq = modseq
		} else if s.isUserRoot(root) {
			q.modseq++
		}
		return qf.write(q)
	}
	if qf != nil {
		qf.close() // an empty file: no root yet
	}
	if err := s.newRootAllowed(root); err != nil {
		return err
	}
	lock, err := s.Lock(ctx, quotaChangeLock, true)
	if err != nil {
		return err
	}
	defer lock.Release()
	if qf, err = s.lockQuotaFile(root, true); err != nil {
		return err
	}
	q := qf.rec
	if q == nil {
		q = &quotaRecord{}
	}
	q.limit = limits
	if silent {
		q.modseq = modseq
	} else if s.isUserRoot(root) {
		q.modseq++
	}
	err = qf.write(q)
	qf.close()
	if err != nil {
		return err
	}
	entries, err := s.quotaTree(ctx, root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := s.changeQuotaRootOf(ctx, e, root, silent); err != nil && log != nil {
			log.Error(fmt.Sprintf("LOSTQUOTA: unable to change quota root for %s to %s: %v", e.Name, root, err))
		}
	}
	return nil
}

// newRootAllowed refuses a new root on a remote or moving mailbox; any
// other name may become a root (sync_server forces it).
func (s *Spool) newRootAllowed(root string) error {
	if strings.HasSuffix(root, "!") && s.layout.NS.VirtDomains {
		return nil // a domain's quota
	}
	e, err := s.LookupName(root)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !e.Deleted() && !e.Intermediate() && e.Type&(TypeRemote|TypeMoving) != 0 {
		return fmt.Errorf("spool: quota root %s on a %s mailbox: %w", root, e.Type, ErrUnsupported)
	}
	return nil
}

func (s *Spool) changeQuotaRootOf(ctx context.Context, e *Entry, root string, silent bool) error {
	w, err := s.OpenMailboxWriter(ctx, e.Name)
	if err != nil {
		return err
	}
	if err := s.changeQuotaRoot(w, root, silent); err != nil {
		w.Abort()
		return err
	}
	_, err = w.Commit()
	return err
}

// RemoveQuotaRoot removes quota root root as sync_server's APPLY UNQUOTA
// does (mboxlist_unsetquota): a missing root is no error; under the
// $QUOTACHANGE lock every mailbox at or below root whose cyrus.header
// names root is left without quota root (3.6.1 does not hand it to an
// enclosing root: quota -f does that), then the root's file is removed.
// Cyrus logs "QUOTA <root>" to the sync log afterwards; that is the
// caller's part.
//
// cyrus: imap/mboxlist.c mboxlist_unsetquota, mboxlist_rmquota;
// imap/quota_db.c quota_deleteroot (3.6.1)
func (s *Spool) RemoveQuotaRoot(ctx context.Context, root string, log *slog.Logger) error {
	if err := checkQuotaRootName(root); err != nil {
		return err
	}
	if err := s.quotaDBSupported(); err != nil {
		return err
	}
	if _, err := s.Quota(root); errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	lock, err := s.Lock(ctx, quotaChangeLock, true)
	if err != nil {
		return err
	}
	defer lock.Release()
	entries, err := s.quotaTree(ctx, root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := s.dropQuotaRootOf(ctx, e, root); err != nil && log != nil {
			log.Error(fmt.Sprintf("LOSTQUOTA: unable to remove quota root %s for %s: %v", root, e.Name, err))
		}
	}
	return s.deleteQuotaRoot(root)
}

func (s *Spool) dropQuotaRootOf(ctx context.Context, e *Entry, root string) error {
	w, err := s.OpenMailboxWriter(ctx, e.Name)
	if err != nil {
		return err
	}
	if w.hdr.QuotaRoot == root {
		w.SetQuotaRoot("")
	}
	_, err = w.Commit()
	return err
}

// deleteQuotaRoot removes root's file under its lock; a missing root is
// no error.
//
// cyrus: imap/quota_db.c quota_deleteroot (3.6.1)
func (s *Spool) deleteQuotaRoot(root string) error {
	qf, err := s.lockQuotaFile(root, false)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer qf.close()
	return qf.remove()
}

// quotaTree lists the mailboxes a quota root change visits: root itself
// and every mailbox below it, without tombstones and intermediates, in
// mailboxes.db order.
//
// cyrus: imap/mboxlist.c mboxlist_mboxtree, allmbox_p (3.6.1)
func (s *Spool) quotaTree(ctx context.Context, root string) ([]*Entry, error) {
	l, err := s.MailboxList()
	if err != nil {
		return nil, err
	}
	var out []*Entry
	for e, err := range l.EntriesWithPrefix(ctx, root) {
		if err != nil {
			return nil, err
		}
		if e.Name != root && !strings.HasPrefix(e.Name, root+".") {
			continue
		}
		if e.Deleted() || e.Intermediate() {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// quotaDBSupported refuses quota databases other than quotalegacy.
func (s *Spool) quotaDBSupported() error {
	if b := s.cfg.DBBackend("quota_db"); b != "quotalegacy" {
		return fmt.Errorf("spool: quota_db %s: %w", b, ErrUnsupported)
	}
	return nil
}

// SetQuotaRoot makes cyrus.header name root ("" for none) as the mailbox's
// quota root, without moving any usage.
//
// cyrus: imap/mailbox.c mailbox_set_quotaroot (3.6.1)
func (w *MailboxWriter) SetQuotaRoot(root string) {
	if w.hdr.QuotaRoot == root {
		return
	}
	w.hdr.QuotaRoot = root
	w.headerDirty = true
}
