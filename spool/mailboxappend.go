package spool

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// CacheEntry is a cyrus.cache entry for a new record: the bytes Cyrus's
// message_parse derives from the message file, with their CRC and format
// version.
type CacheEntry struct {
	// Bytes is the whole entry as cyrus.cache holds it.
	Bytes []byte
	// CRC is the record's cache_crc.
	CRC uint32
	// Version is the record's cache_version.
	Version uint16
	// HeaderSize, SentDate and GMTime are the record fields the same
	// parse derives (SentDate and GMTime 0 when the Date: header cannot
	// be parsed: the append then derives them from the internaldate).
	HeaderSize       uint32
	SentDate, GMTime int64
}

// AppendCopy is Cyrus's copy_local, the master's half of a renumbering:
// the record of uid is appended again under the next UID (its message file
// hard-linked, its cache entry shared), its message annotations are copied
// to the new UID (see copyAnnotations) and the old record is expunged. It
// returns the new UID.
//
// cyrus: imap/sync_support.c copy_local (3.6.1)
func (w *MailboxWriter) AppendCopy(uid uint32) (uint32, error) {
	i := w.find(uid)
	if i < 0 {
		return 0, fmt.Errorf("spool: %s: copy of uid %d: no such record", w.e.Name, uid)
	}
	old := w.recs[i]
	if old.Unlinked() {
		return 0, fmt.Errorf("spool: %s: copy of uid %d: message file unlinked", w.e.Name, uid)
	}
	rec := old
	rec.UID = w.h.LastUID + 1
	from, err := w.s.MessagePath(w.e, old.UID, old.Archived())
	if err != nil {
		return 0, err
	}
	to, err := w.s.MessagePath(w.e, rec.UID, rec.Archived())
	if err != nil {
		return 0, err
	}
	if err := copyFile(from, to); err != nil {
		return 0, fmt.Errorf("spool: %s: %w", w.e.Name, err)
	}
	w.newFiles = append(w.newFiles, to)
	if err := w.appendRecord(&rec, to, false); err != nil {
		return 0, err
	}
	if err := w.copyAnnotations(uid, rec.UID); err != nil {
		return 0, err
	}
	old.InternalFlags |= index.FlagExpunged
	if err := w.Rewrite(old); err != nil {
		return 0, err
	}
	return rec.UID, nil
}

// AppendMessage is sync_append_copyfile: the message read from body
// (size bytes, SHA-1 = rec.GUID) becomes message file rec.UID (which must
// be above LAST_UID), its cache entry is appended to cyrus.cache and the
// record to the index. Modseq, last_updated and (if zero) createdmodseq
// and savedate are set as Cyrus sets them.
//
// cyrus: imap/sync_support.c sync_append_copyfile;
// imap/mailbox.c mailbox_append_index_record (3.6.1)
func (w *MailboxWriter) AppendMessage(rec index.Record, body io.Reader, ce CacheEntry) error {
	if rec.UID <= w.h.LastUID {
		return fmt.Errorf("spool: %s: append of uid %d at or below LAST_UID %d", w.e.Name, rec.UID, w.h.LastUID)
	}
	if rec.Size == 0 || rec.GUID.IsZero() {
		return fmt.Errorf("spool: %s: append of uid %d without a message", w.e.Name, rec.UID)
	}
	if len(ce.Bytes) == 0 {
		return fmt.Errorf("spool: %s: append of uid %d without a cache entry", w.e.Name, rec.UID)
	}
	rec.InternalFlags &^= index.FlagArchived | index.FlagUnlinked | index.FlagNeedsCleanup
	to, err := w.s.MessagePath(w.e, rec.UID, false)
	if err != nil {
		return err
	}
	if err := w.writeMessage(to, body, rec.Size, rec.GUID); err != nil {
		return fmt.Errorf("spool: %s uid %d: %w", w.e.Name, rec.UID, err)
	}
	off, err := w.appendCache(false, ce.Bytes)
	if err != nil {
		return err
	}
	rec.CacheOffset, rec.CacheCRC, rec.CacheVersion = off, ce.CRC, ce.Version
	rec.HeaderSize, rec.SentDate, rec.GMTime = ce.HeaderSize, ce.SentDate, ce.GMTime
	return w.appendRecord(&rec, to, false)
}

// appendRecord is mailbox_append_index_record for a record whose message
// file (path; "" for an unlinked record) and cache entry are in place;
// silent keeps the record's modseq, last_updated, createdmodseq and
// savedate (Cyrus's record->silentupdate).
func (w *MailboxWriter) appendRecord(rec *index.Record, path string, silent bool) error {
	if rec.UID <= w.h.LastUID {
		return fmt.Errorf("spool: %s: append of uid %d at or below LAST_UID %d", w.e.Name, rec.UID, w.h.LastUID)
	}
	if rec.InternalDate == 0 {
		rec.InternalDate = w.now().Unix()
	}
	if rec.GMTime == 0 {
		rec.GMTime = rec.InternalDate
	}
	if rec.SentDate == 0 {
		t := time.Unix(rec.InternalDate, 0).Local()
		rec.SentDate = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local).Unix()
	}
	if n := len(w.recs); n > 0 && w.recs[n-1].GUID == rec.GUID && w.log != nil {
		// logged, not refused
		w.log.Info(fmt.Sprintf("%s: same message appears twice %d %d", w.e.Name, w.recs[n-1].UID, rec.UID))
	}
	w.indexDirty()
	if !silent {
		rec.Modseq = w.nextModseq()
		if rec.CreatedModseq == 0 || rec.CreatedModseq > rec.Modseq {
			rec.CreatedModseq = rec.Modseq
		}
		rec.LastUpdated = w.lastUpdated
		if rec.SaveDate == 0 {
			rec.SaveDate = w.lastUpdated
		}
	}
	if path != "" {
		mtime := time.Unix(rec.InternalDate, 0)
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			return fmt.Errorf("spool: %s: %w", w.e.Name, err)
		}
	}
	w.count(rec, +1)
	if rec.Expunged() && (w.h.FirstExpunged == 0 || w.h.FirstExpunged > rec.LastUpdated) {
		w.h.FirstExpunged = rec.LastUpdated
	}
	w.noteSieve(nil, *rec)
	w.recs = append(w.recs, *rec)
	w.changed[len(w.recs)-1] = true
	w.h.LastUID = rec.UID
	return nil
}

// mkdirMessages makes the directory of a message file, once per directory
// and writer: an append of many messages stats it once, not per message.
func (w *MailboxWriter) mkdirMessages(path string) error {
	dir := filepath.Dir(path)
	if dir == w.madeDir {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	w.madeDir = dir
	return nil
}

// writeMessage stores a new message file, checking its size and SHA-1,
// synced before the index can name it.
func (w *MailboxWriter) writeMessage(path string, body io.Reader, size uint64, want guid.GUID) error {
	if err := w.mkdirMessages(path); err != nil {
		return err
	}
	os.Remove(path) // a leftover of an interrupted append (UID above LAST_UID)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	w.newFiles = append(w.newFiles, path)
	h := sha1.New()
	n, err := io.Copy(io.MultiWriter(f, h), body)
	if err == nil && uint64(n) != size {
		err = fmt.Errorf("message is %d bytes, record says %d", n, size)
	}
	if g := guid.GUID(h.Sum(nil)); err == nil && g != want {
		err = fmt.Errorf("message has GUID %s, record says %s", g, want)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyFile is mailbox_copyfile: a hard link, or a synced copy where
// linking is impossible (another file system).
//
// cyrus: imap/mailbox.c mailbox_copyfile, lib/util.c cyrus_copyfile (3.6.1)
func copyFile(from, to string) error {
	// A file at a UID above LAST_UID is a leftover of an interrupted
	// append that no index names: replaced, as Cyrus does.
	err := os.Link(from, to)
	if errors.Is(err, os.ErrExist) {
		os.Remove(to)
		err = os.Link(from, to)
	}
	if err == nil {
		return nil
	}
	return copyContent(from, to)
}
