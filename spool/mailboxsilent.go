package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/cyrus-replication/cyrus-replication/spool/header"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// The replica's writes: sync_server applies the master's records with the
// master's modseqs ("silent" changes, which take no new modseq), so that
// both sides end with the same numbers and CRCs.

// RewriteSilent is Rewrite keeping rec's modseq and last_updated
// (record->silentupdate). The modseq may not go backwards.
//
// cyrus: imap/mailbox.c mailbox_rewrite_index_record (3.6.1)
func (w *MailboxWriter) RewriteSilent(rec index.Record) error {
	if old, ok := w.Record(rec.UID); ok && rec.Modseq < old.Modseq {
		return fmt.Errorf("spool: %s uid %d: modseq %d would go back from %d", w.e.Name, rec.UID, rec.Modseq, old.Modseq)
	}
	return w.rewrite(rec, true)
}

// AppendStaged appends rec with its message file hard-linked, or copied,
// from path: a file the replica staged and whose GUID the caller checked
// while building ce. Silent keeps rec's UID, modseq, last_updated,
// createdmodseq and savedate (replication); otherwise they are assigned as
// for any append (a restore that cannot keep them). The file is synced
// before Commit writes the index that names it.
//
// cyrus: imap/sync_support.c sync_append_copyfile; imap/mailbox.c
// mailbox_append_index_record (3.6.1)
func (w *MailboxWriter) AppendStaged(rec index.Record, path string, ce CacheEntry, silent bool) error {
	if rec.UID <= w.h.LastUID {
		return fmt.Errorf("spool: %s: append of uid %d at or below LAST_UID %d", w.e.Name, rec.UID, w.h.LastUID)
	}
	if rec.Size == 0 || rec.GUID.IsZero() || len(ce.Bytes) == 0 {
		return fmt.Errorf("spool: %s: append of uid %d without a message", w.e.Name, rec.UID)
	}
	rec.InternalFlags &^= index.FlagUnlinked | index.FlagNeedsCleanup
	to, err := w.s.MessagePath(w.e, rec.UID, rec.Archived())
	if err != nil {
		return err
	}
	if err := w.mkdirMessages(to); err != nil {
		return fmt.Errorf("spool: %s: %w", w.e.Name, err)
	}
	if err := copyFile(path, to); err != nil {
		return fmt.Errorf("spool: %s uid %d: copy file %s: %w", w.e.Name, rec.UID, path, err)
	}
	w.newFiles = append(w.newFiles, to)
	w.toSync = append(w.toSync, to)
	off, err := w.appendCache(rec.Archived(), ce.Bytes)
	if err != nil {
		return err
	}
	rec.CacheOffset, rec.CacheCRC, rec.CacheVersion = off, ce.CRC, ce.Version
	rec.HeaderSize, rec.SentDate, rec.GMTime = ce.HeaderSize, ce.SentDate, ce.GMTime
	return w.appendRecord(&rec, to, silent)
}

// AppendUnlinked appends an expunged record whose message the master no
// longer has: no file, no cache entry, as sync_append_copyfile writes it.
//
// cyrus: imap/sync_support.c sync_append_copyfile (just_write) (3.6.1)
func (w *MailboxWriter) AppendUnlinked(rec index.Record) error {
	if !rec.Expunged() {
		return fmt.Errorf("spool: %s uid %d: only an expunged record can be appended without its message", w.e.Name, rec.UID)
	}
	rec.InternalFlags |= index.FlagUnlinked
	return w.appendRecord(&rec, "", true)
}

// SetACL sets the ACL cyrus.header keeps (mailboxes.db's is the caller's).
//
// cyrus: imap/mailbox.c mailbox_set_acl (3.6.1)
func (w *MailboxWriter) SetACL(acl ACL) {
	entries := make([]header.ACLEntry, len(acl))
	for i, e := range acl {
		entries[i] = header.ACLEntry{ID: e.ID, Rights: e.Rights}
	}
	if !slices.Equal(entries, w.hdr.ACL) {
		w.hdr.ACL = entries
		w.headerDirty = true
		w.indexDirty()
	}
}

// SetHeader replaces the index header fields replication carries; the
// caller changes only what the master sent (sync_apply_mailbox step 15).
func (w *MailboxWriter) SetHeader(h index.Header) {
	w.indexDirty()
	keep := w.h
	w.h = h
	// What replication does not carry stays ours.
	w.h.GenerationNo, w.h.Format, w.h.MinorVersion = keep.GenerationNo, keep.Format, keep.MinorVersion
	w.h.StartOffset, w.h.RecordSize, w.h.NumRecords = keep.StartOffset, keep.RecordSize, keep.NumRecords
	w.h.HeaderFileCRC = keep.HeaderFileCRC
}

// RecomputeSyncCRCs recomputes the sync CRCs from every record, as
// mailbox_synccrcs(mailbox, force=1) does when the stored ones disagree
// with the master's, stores them and returns them.
//
// cyrus: imap/mailbox.c mailbox_synccrcs (3.6.1)
func (w *MailboxWriter) RecomputeSyncCRCs() (basic, annot uint32) {
	annot = syncCRCAnnotInit
	for i := range w.recs {
		r := &w.recs[i]
		if r.Expunged() {
			continue
		}
		sr := w.spoolRecord(r)
		basic ^= RecordCRCBasic(&sr)
		annot ^= RecordCRCAnnot(&sr, w.h.MinorVersion)
	}
	if basic != w.h.SyncCRCBasic || annot != w.h.SyncCRCAnnot {
		w.indexDirty()
		w.h.SyncCRCBasic, w.h.SyncCRCAnnot = basic, annot
	}
	return basic, annot
}

// batchSync is how many new message files make one syncfs(2) of their
// file system cheaper than an fsync(2) each.
const batchSync = 8

// syncNewFiles makes the message files appended by AppendStaged durable
// before the index names them: their data, then their directories. Many
// files (an initial sync, a big upload) take one syncfs of their file
// system instead of an fsync each — the same guarantee, one journal
// commit instead of one per file; their writeback was started when they
// were uploaded (staging).
func (w *MailboxWriter) syncNewFiles() error {
	if len(w.toSync) == 0 {
		return nil
	}
	dirs := map[string]bool{}
	for _, p := range w.toSync {
		dirs[filepath.Dir(p)] = true
	}
	if len(w.toSync) >= batchSync {
		for d := range dirs {
			if err := syncFS(d); err != nil {
				return err
			}
		}
		w.toSync = nil
		return nil
	}
	for _, p := range w.toSync {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("fsync %s: %w", p, err)
		}
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	w.toSync = nil
	return nil
}

// syncFS flushes the file system holding path (syncfs(2)): the data and
// metadata of every file on it, directories included.
func syncFS(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", path, err)
	}
	return nil
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
