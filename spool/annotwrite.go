package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// annotFlagDeleted is the tombstone bit of a stored annotation's flags.
//
// cyrus: imap/annotate.h ANNOTATE_FLAG_DELETED (3.6.1)
const annotFlagDeleted = 1

// EncodeAnnotValue encodes a stored annotation value as Cyrus 3.6 on
// x86-64 writes it: an 8-byte field whose first 4 bytes are the
// big-endian length, the value, NUL, the fake content type "text/plain",
// NUL, 8 zero bytes (the old "modifiedsince"), the big-endian modseq and
// the flags byte (1 for a tombstone).
//
// cyrus: imap/annotate.c make_entry (3.6.1)
func EncodeAnnotValue(value []byte, modseq uint64, deleted bool) []byte {
	b := make([]byte, 8, 8+len(value)+1+len("text/plain")+1+8+8+1)
	binary.BigEndian.PutUint32(b, uint32(len(value)))
	b = append(b, value...)
	b = append(b, 0)
	b = append(b, "text/plain"...)
	b = append(b, 0)
	b = append(b, make([]byte, 8)...)
	b = binary.BigEndian.AppendUint64(b, modseq)
	var flags byte
	if deleted {
		flags = annotFlagDeleted
	}
	return append(b, flags)
}

// annotKey is "<first> NUL <entry> NUL <userid> NUL", first being the
// mailbox uniqueid ("" for the server) in annotations.db or the UID in a
// mailbox's cyrus.annotations; the owner's userid is replaced by the owner
// token.
//
// cyrus: imap/annotate.c make_key (3.6.1)
func annotKey(first, entry, userid, owner string) []byte {
	if userid != "" && userid == owner {
		userid = OwnerToken
	}
	k := make([]byte, 0, len(first)+len(entry)+len(userid)+3)
	k = append(append(k, first...), 0)
	k = append(append(k, entry...), 0)
	return append(append(k, userid...), 0)
}

// oldAnnotValue returns the value stored under key (nil when absent or a
// tombstone), as write_entry reads it before a change.
//
// cyrus: imap/annotate.c read_old_value (3.6.1)
func oldAnnotValue(tx kvTx, key []byte) ([]byte, error) {
	raw, ok, err := tx.get(key)
	if err != nil || !ok {
		return nil, err
	}
	v, _, _, err := parseAnnotValue(raw)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", key, err)
	}
	return bytes.Clone(v), nil
}

// WriteServerAnnotation stores a server annotation (userid "" for the
// shared value, else that user's private one) in annotations.db, or with
// an empty value deletes it, as sync_server's APPLY ANNOTATION and
// UNANNOTATION with an empty MBOXNAME do: an unchanged value writes
// nothing, the modseq stored is 0, the database is created if missing.
// Cyrus logs `ANNOTATION ""` to the sync log for a change; that is the
// caller's part. Which entries may be stored at all (annotate.c's entry
// table, annotation_allow_undefined) is not checked here.
//
// cyrus: imap/annotate.c write_entry (server scope), annotate_state_commit (3.6.1)
func (s *Spool) WriteServerAnnotation(entry, userid string, value []byte) (changed bool, err error) {
	if entry == "" {
		return false, fmt.Errorf("spool: server annotation: empty entry name")
	}
	path := s.AnnotationsDBPath()
	tx, err := s.beginKV(path, "annotation_db", true)
	if err != nil {
		return false, fmt.Errorf("spool: annotations: %w", err)
	}
	key := annotKey("", entry, userid, "")
	old, err := oldAnnotValue(tx, key)
	if err == nil && bytes.Equal(old, value) {
		tx.abort()
		return false, nil
	}
	if err == nil {
		if len(value) == 0 {
			err = tx.del(key)
		} else {
			err = tx.store(key, EncodeAnnotValue(value, 0, false))
		}
	}
	if err != nil {
		tx.abort()
		return false, fmt.Errorf("spool: %s: server annotation %s of %q: %w", path, entry, userid, err)
	}
	if err := tx.commit(); err != nil {
		return false, fmt.Errorf("spool: %s: %w", path, err)
	}
	return true, nil
}

// AnnotationWrite is one change made by MailboxWriter.WriteAnnotation.
type AnnotationWrite struct {
	// UID is the message, 0 for a mailbox-level annotation.
	UID uint32
	// Entry is the entry name ("/comment"); UserID is "" for the shared
	// value, else the user whose private value this is.
	Entry, UserID string
	// Value is the new value; empty deletes (a message annotation leaves
	// a tombstone).
	Value []byte
	// KeepModseq stores Modseq as the annotation's modseq, as replication
	// does (annotate_state_writemdata). Otherwise a message annotation
	// takes the mailbox's modseq and a mailbox annotation 0, as local
	// changes do (annotate_state_write).
	KeepModseq bool
	Modseq     uint64
	// Silent takes no new modseq and leaves the foldermodseq alone
	// (write_entry's silent: every entry but the first of an IMAP STORE
	// ANNOTATION). The writer's SetSilent is the mailbox-wide kind.
	Silent bool
	// CheckQuota refuses (ErrOverQuota) a growth of the annotation
	// storage beyond the quota root's AS limit, as write_entry does
	// without ignorequota (IMAP SETMETADATA, APPLY ANNOTATION, copies).
	CheckQuota bool
}

// ErrOverQuota is wrapped by changes refused because a quota limit would
// be exceeded.
var ErrOverQuota = errors.New("over quota")

// WriteAnnotation stores one annotation of the mailbox as Cyrus's
// write_entry does: an unchanged value writes nothing; otherwise the
// change is counted in quota_annot_used (and so in the root's AS usage at
// Commit), message annotations of a live record in SYNC_CRC_ANNOT, the
// mailbox takes a new modseq (unless silent), and a mailbox-level change
// raises the mailbox's foldermodseq in mailboxes.db at once, as Cyrus
// does. Message annotations go to the mailbox's cyrus.annotations,
// mailbox-level ones to annotations.db; both databases stay locked until
// Commit (see FlushMailboxAnnotations) and are written in Cyrus's commit
// order.
//
// cyrus: imap/annotate.c write_entry; imap/mailbox.c mailbox_annot_changed (3.6.1)
func (w *MailboxWriter) WriteAnnotation(a AnnotationWrite) error {
	if a.Entry == "" {
		return fmt.Errorf("spool: %s: annotation with an empty entry name", w.e.Name)
	}
	tx, first, err := w.annotDB(a.UID)
	if err != nil {
		return err
	}
	key := annotKey(first, a.Entry, a.UserID, w.owner)
	old, err := oldAnnotValue(tx, key)
	if err != nil {
		return fmt.Errorf("spool: %s: annotations: %w", w.e.Name, err)
	}
	if bytes.Equal(old, a.Value) {
		return nil
	}
	if a.CheckQuota {
		if err := w.checkAnnotQuota(int64(len(a.Value)) - int64(len(old))); err != nil {
			return err
		}
	}
	if err := w.annotChanged(a.UID, a.Entry, a.UserID, old, a.Value, a.Silent); err != nil {
		return err
	}
	modseq := a.Modseq
	if !a.KeepModseq {
		modseq = 0
		if a.UID != 0 {
			modseq = w.h.HighestModseq
		}
	}
	deleted := len(a.Value) == 0
	if deleted && a.UID == 0 {
		err = tx.del(key)
	} else {
		err = tx.store(key, EncodeAnnotValue(a.Value, modseq, deleted))
	}
	if err != nil {
		return fmt.Errorf("spool: %s: annotation %s of uid %d: %w", w.e.Name, a.Entry, a.UID, err)
	}
	if a.UID != 0 {
		w.setCachedAnnot(Annotation{UID: a.UID, Entry: a.Entry, UserID: a.UserID,
			Value: bytes.Clone(a.Value), Modseq: modseq, Deleted: deleted})
	}
	return nil
}

// annotDB returns the open transaction on the database for uid (opening
// it, creating the file if needed) and the first key part there.
func (w *MailboxWriter) annotDB(uid uint32) (kvTx, string, error) {
	if uid == 0 {
		if w.globalTx == nil {
			tx, err := w.s.beginKV(w.s.AnnotationsDBPath(), "annotation_db", true)
			if err != nil {
				return nil, "", fmt.Errorf("spool: %s: annotations: %w", w.e.Name, err)
			}
			w.globalTx = tx
		}
		return w.globalTx, w.e.UniqueID, nil
	}
	if w.annotTx == nil {
		path, err := w.s.MetaPath(w.e, MetaAnnotations)
		if err != nil {
			return nil, "", err
		}
		tx, err := w.s.beginKV(path, "annotation_db", true)
		if err != nil {
			return nil, "", fmt.Errorf("spool: %s: annotations: %w", w.e.Name, err)
		}
		w.annotTx = tx
	}
	return w.annotTx, strconv.FormatUint(uint64(uid), 10), nil
}

// annotChanged is mailbox_annot_changed: the CRC of a live record's
// non-virtual annotation, the modseq, the foldermodseq of a mailbox-level
// annotation and the annotation storage usage follow the change. Changes
// to missing or expunged records count for nothing.
//
// cyrus: imap/mailbox.c mailbox_annot_changed, mailbox_is_virtannot (3.6.1)
func (w *MailboxWriter) annotChanged(uid uint32, entry, userid string, old, value []byte, silent bool) error {
	if uid != 0 {
		i := w.find(uid)
		if i < 0 || w.recs[i].Expunged() {
			return nil
		}
		if !w.virtAnnot(entry) {
			if len(old) > 0 {
				w.h.SyncCRCAnnot ^= AnnotCRC(uid, entry, userid, old)
			}
			if len(value) > 0 {
				w.h.SyncCRCAnnot ^= AnnotCRC(uid, entry, userid, value)
			}
		}
	}
	if !silent {
		w.nextModseq()
		if uid == 0 {
			if err := w.s.raiseFolderModseq(w.e.Name, w.h.HighestModseq); err != nil {
				return err
			}
		}
	}
	w.indexDirty()
	w.h.QuotaAnnotUsed -= min(w.h.QuotaAnnotUsed, uint32(len(old)))
	w.h.QuotaAnnotUsed += uint32(len(value))
	return nil
}

// raiseFolderModseq is mboxlist_update_foldermodseq: the mailboxes.db
// entry of intname takes modseq as its foldermodseq if that is higher.
//
// cyrus: imap/mboxlist.c mboxlist_update_foldermodseq (3.6.1)
func (s *Spool) raiseFolderModseq(intname string, modseq uint64) error {
	return s.withList(func(t *listTx) error {
		e, err := t.lookup(intname)
		if err != nil {
			return err
		}
		if e == nil {
			return fmt.Errorf("spool: mailbox %s: %w", intname, ErrNotFound)
		}
		if e.FolderModseq >= modseq {
			return nil
		}
		n := *e
		n.FolderModseq = modseq
		return t.update(intname, &n)
	})
}

// virtAnnot reports whether entry is one of the annotations this index
// version keeps in record fields (they do not count in SYNC_CRC_ANNOT).
//
// cyrus: imap/mailbox.c mailbox_is_virtannot (3.6.1)
func (w *MailboxWriter) virtAnnot(entry string) bool {
	v := w.h.MinorVersion
	return v >= 13 && entry == AnnotThrID || v >= 15 && entry == AnnotSaveDate ||
		v >= 16 && entry == AnnotCreatedModseq
}

// setCachedAnnot keeps the writer's view of the message annotations (used
// for CRCs and usage when records change) in step with the database.
func (w *MailboxWriter) setCachedAnnot(a Annotation) {
	list := w.annots[a.UID]
	for i := range list {
		if list[i].Entry == a.Entry && list[i].UserID == a.UserID {
			list[i] = a
			return
		}
	}
	w.annots[a.UID] = append(list, a)
}

// checkAnnotQuota is mailbox_quota_check for an annotation storage change
// of diff bytes: refused if the mailbox's quota root has an AS limit that
// its recorded usage plus diff would exceed. Shrinking is always allowed.
//
// cyrus: imap/quota_db.c quota_check_useds, quota_check (3.6.1)
func (w *MailboxWriter) checkAnnotQuota(diff int64) error {
	root := w.hdr.QuotaRoot
	if diff < 0 || root == "" {
		return nil
	}
	q, err := w.s.Quota(root)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	lim, ok := q.Limit[ResAnnotStorage]
	if ok && q.Used[ResAnnotStorage]+diff > lim*1024 {
		return fmt.Errorf("spool: %s: annotation storage of quota root %s (%d of %d KiB used): %w",
			w.e.Name, root, q.Used[ResAnnotStorage], lim, ErrOverQuota)
	}
	return nil
}

// SetSilent makes the writer's later changes silent, as sync_server's
// apply does (mailbox->silentchanges): no new modseq is taken (records
// and annotation changes keep the mailbox's highest modseq) and quota
// roots' modseqs do not move.
//
// cyrus: imap/mailbox.c mailbox_modseq_dirty, mailbox_commit_quota (3.6.1)
func (w *MailboxWriter) SetSilent() { w.silent = true }

// FlushMailboxAnnotations commits the mailbox-level annotation changes
// made so far to annotations.db and releases its lock, as Cyrus's
// apply_annotations does before the mailbox's own commit.
//
// cyrus: imap/sync_support.c apply_annotations (3.6.1)
func (w *MailboxWriter) FlushMailboxAnnotations() error {
	if w.globalTx == nil {
		return nil
	}
	tx := w.globalTx
	w.globalTx = nil
	if err := tx.commit(); err != nil {
		return fmt.Errorf("spool: %s: annotations.db: %w", w.e.Name, err)
	}
	return nil
}

// abortAnnotations drops uncommitted annotation changes.
func (w *MailboxWriter) abortAnnotations() {
	if w.globalTx != nil {
		w.globalTx.abort()
		w.globalTx = nil
	}
	if w.annotTx != nil {
		w.annotTx.abort()
		w.annotTx = nil
	}
}

// commitMessageAnnotations commits cyrus.annotations.
func (w *MailboxWriter) commitMessageAnnotations() error {
	if w.annotTx == nil {
		return nil
	}
	tx := w.annotTx
	w.annotTx = nil
	return tx.commit()
}

// copyAnnotations copies the message annotations of uid to newuid as
// annotate_msg_copy does: every live annotation but snoozed and
// displayname, in database key order, each a local change (new modseq,
// annotation storage quota checked).
//
// cyrus: imap/annotate.c annotate_msg_copy, _annotate_rewrite, rename_cb (3.6.1)
func (w *MailboxWriter) copyAnnotations(uid, newuid uint32) error {
	var list []Annotation
	for _, a := range w.annots[uid] {
		if a.Deleted || len(a.Value) == 0 || a.Entry == annotSnoozed || a.Entry == annotDisplayName {
			continue
		}
		list = append(list, a)
	}
	key := func(a Annotation) []byte { return annotKey("", a.Entry, a.UserID, w.owner) }
	slices.SortFunc(list, func(a, b Annotation) int { return bytes.Compare(key(a), key(b)) })
	for _, a := range list {
		err := w.WriteAnnotation(AnnotationWrite{UID: newuid, Entry: a.Entry, UserID: a.UserID,
			Value: a.Value, CheckQuota: true})
		if err != nil {
			return err
		}
	}
	return nil
}

// Annotations a copy leaves behind.
const (
	annotSnoozed     = "/vendor/cmu/cyrus-imapd/snoozed"
	annotDisplayName = "/vendor/cmu/cyrus-imapd/displayname"
)
