package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/header"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// ErrUnsupported is wrapped by the writer's refusals: spool states it
// cannot change the way Cyrus would (conversations, annotations to copy).
var ErrUnsupported = errors.New("not supported by our spool writer")

// MailboxWriter is a mailbox opened for writing the way Cyrus's
// mailbox_open_iwl opens it: the owner's namespace lock exclusive, the
// mailbox name lock shared and cyrus.index locked exclusively, held until
// Commit or Abort. Changes are kept in memory and written by Commit in
// Cyrus's order (cache, quota, records, index header with fsync), so a
// crash leaves either the old index header or the new one; records
// appended past the old header's count are ignored by Cyrus and
// overwritten by the next append.
//
// cyrus: imap/mailbox.c mailbox_open_advanced, mailbox_commit (3.6.1)
type MailboxWriter struct {
	s     *Spool
	e     *Entry
	owner string
	locks []*NamedLock
	idx   *os.File
	ipath string

	// h is the index header being changed; raw its bytes as read.
	h   index.Header
	raw []byte
	hdr *header.Header
	// recs are all records, appended ones at the end; changed marks the
	// positions to write.
	recs    []index.Record
	changed map[int]bool
	annots  map[uint32][]Annotation

	// caches are cyrus.cache and the archive cache, open for appending
	// (the same one when there is no archive partition).
	caches [2]*cacheFile

	dirty, modseqDirty, headerDirty bool
	lastUpdated                     int64
	quotaBefore                     [4]int64
	quotaDirty                      bool
	committed                       bool
	newFiles                        []string
	sieveChanges                    []sieveChange // sievebook.go
	toSync                          []string
	madeDir                         string // the message directory last made (mkdirMessages)
	now                             func() time.Time
	log                             *slog.Logger

	// noUserLock: the caller holds the owner's namespace lock already
	// (lifecycle); silent is SetSilent's (mailbox->silentchanges); annotTx
	// (cyrus.annotations) and globalTx (annotations.db) are open from the
	// first annotation change to Commit (annotwrite.go).
	noUserLock, silent bool
	annotTx, globalTx  kvTx
}

// SetLogger makes the writer log what Cyrus's mailbox code logs while
// changing a mailbox (e.g. "same message appears twice").
func (w *MailboxWriter) SetLogger(l *slog.Logger) { w.log = l }

// OpenMailboxWriter opens intname for writing. It fails with an error
// wrapping ErrUnsupported when conversations are enabled (the
// conversations database would need the same changes).
func (s *Spool) OpenMailboxWriter(ctx context.Context, intname string) (*MailboxWriter, error) {
	if s.cfg.Conversations() {
		return nil, fmt.Errorf("spool: write %s: conversations: yes: %w", intname, ErrUnsupported)
	}
	w := &MailboxWriter{s: s, owner: s.layout.NS.UserIDOf(intname), changed: map[int]bool{}, now: time.Now}
	if err := w.open(ctx, intname); err != nil {
		w.release()
		return nil, err
	}
	return w, nil
}

func (w *MailboxWriter) open(ctx context.Context, intname string) error {
	s := w.s
	if w.owner != "" && !w.noUserLock {
		l, err := s.Lock(ctx, UserLockName(w.owner), true)
		if err != nil {
			return err
		}
		w.locks = append(w.locks, l)
	}
	e, err := s.LookupName(intname)
	if err != nil {
		return err
	}
	if !e.HasFiles() {
		return fmt.Errorf("spool: write %s (type %s): %w", intname, e.Type, ErrNotFound)
	}
	w.e = e
	l, err := s.Lock(ctx, MailboxLockName(e), false)
	if err != nil {
		return err
	}
	w.locks = append(w.locks, l)
	if w.ipath, err = s.MetaPath(e, MetaIndex); err != nil {
		return err
	}
	if w.idx, err = ofd.OpenExclusive(w.ipath); err != nil {
		return fmt.Errorf("spool: write %s: %w", intname, err)
	}
	idx, err := index.Read(w.ipath, w.idx)
	if err != nil {
		return fmt.Errorf("spool: write %s: %w", intname, err)
	}
	if idx.Header.Options&index.OptMailboxDeleted != 0 {
		return fmt.Errorf("spool: write %s: being deleted: %w", intname, ErrNotFound)
	}
	w.h, w.recs = idx.Header, idx.Records
	w.raw = make([]byte, index.HeaderSize)
	if _, err := w.idx.ReadAt(w.raw, 0); err != nil {
		return fmt.Errorf("spool: write %s: read %s: %w", intname, w.ipath, err)
	}
	hpath, err := s.MetaPath(e, MetaHeader)
	if err != nil {
		return err
	}
	if w.hdr, err = header.ReadFile(hpath); err != nil {
		return fmt.Errorf("spool: write %s: %w", intname, err)
	}
	if w.hdr.FileCRC != w.h.HeaderFileCRC {
		return fmt.Errorf("spool: write %s: %s has CRC %08X, cyrus.index says %08X (reconstruct needed)",
			intname, hpath, w.hdr.FileCRC, w.h.HeaderFileCRC)
	}
	apath, err := s.MetaPath(e, MetaAnnotations)
	if err != nil {
		return err
	}
	annots, err := readMessageAnnotations(apath, w.owner)
	if err != nil {
		return fmt.Errorf("spool: write %s: %w", intname, err)
	}
	w.annots = map[uint32][]Annotation{}
	for _, a := range annots {
		w.annots[a.UID] = append(w.annots[a.UID], a)
	}
	return nil
}

// Name returns the mailbox's internal name.
func (w *MailboxWriter) Name() string { return w.e.Name }

// Entry returns the mailboxes.db entry the mailbox was opened under.
func (w *MailboxWriter) Entry() *Entry { return w.e }

// Header returns the index header as changed so far.
func (w *MailboxWriter) Header() index.Header { return w.h }

// UserFlags returns the user-flag names by slot.
func (w *MailboxWriter) UserFlags() []string { return w.hdr.UserFlags }

// Records returns the records as changed so far, in UID order. The slice
// is the writer's: do not keep it across changes.
func (w *MailboxWriter) Records() []index.Record { return w.recs }

// Annotations returns the stored annotations of message uid.
func (w *MailboxWriter) Annotations(uid uint32) []Annotation { return w.annots[uid] }

// find returns the position of uid in w.recs, or -1.
func (w *MailboxWriter) find(uid uint32) int {
	i := sort.Search(len(w.recs), func(i int) bool { return w.recs[i].UID >= uid })
	if i < len(w.recs) && w.recs[i].UID == uid {
		return i
	}
	return -1
}

// Record returns the record of uid.
func (w *MailboxWriter) Record(uid uint32) (index.Record, bool) {
	if i := w.find(uid); i >= 0 {
		return w.recs[i], true
	}
	return index.Record{}, false
}

// indexDirty is mailbox_index_dirty plus the quota bookkeeping of
// mailbox_quota_dirty: the usage before the first change is kept.
func (w *MailboxWriter) indexDirty() {
	if !w.quotaDirty {
		w.quotaDirty = true
		w.quotaBefore = w.usage()
	}
	w.dirty = true
}

// nextModseq is mailbox_modseq_dirty without conversations: the first
// change of a session fixes last_updated, every call takes a new modseq.
//
// cyrus: imap/mailbox.c mailbox_modseq_dirty (3.6.1)
func (w *MailboxWriter) nextModseq() uint64 {
	if w.silent {
		w.modseqDirty = true
		w.dirty = true
		return w.h.HighestModseq
	}
	if !w.modseqDirty {
		w.lastUpdated = w.now().Unix()
		w.modseqDirty = true
		w.dirty = true
	}
	w.h.HighestModseq++
	return w.h.HighestModseq
}

// usage is mailbox_get_usage: storage, messages, annotation storage,
// folders.
func (w *MailboxWriter) usage() [4]int64 {
	if w.h.Options&index.OptMailboxDeleted != 0 {
		return [4]int64{}
	}
	return [4]int64{int64(w.h.QuotaMailboxUsed), int64(w.h.Exists), int64(w.h.QuotaAnnotUsed), 1}
}

// SetUIDValidity raises UIDVALIDITY (mailbox_full_update: replica higher).
func (w *MailboxWriter) SetUIDValidity(v uint32) {
	w.indexDirty()
	w.h.UIDValidity = v
}

// SetHighestModseq sets HIGHESTMODSEQ to v and takes the next modseq
// above it, as mailbox_full_update does when the replica's is higher.
func (w *MailboxWriter) SetHighestModseq(v uint64) {
	w.modseqDirty = false
	w.h.HighestModseq = v
	w.nextModseq()
}

// RaiseLastUID raises LAST_UID to v so that later appends cannot reuse
// UIDs the replica has seen.
func (w *MailboxWriter) RaiseLastUID(v uint32) {
	if v > w.h.LastUID {
		w.indexDirty()
		w.h.LastUID = v
	}
}

// Rewrite replaces the record with rec's UID by rec, as Cyrus's
// mailbox_rewrite_index_record: it takes a new modseq and last_updated,
// turns an expunge into an unlink when expunge_mode is immediate or
// semidelayed, and keeps counts, quota usage and sync CRCs in step. A
// record cannot be un-expunged nor change its GUID.
//
// cyrus: imap/mailbox.c mailbox_rewrite_index_record (3.6.1)
func (w *MailboxWriter) Rewrite(rec index.Record) error { return w.rewrite(rec, false) }

// rewrite is Rewrite; silent keeps rec's modseq and last_updated
// (Cyrus's record->silentupdate).
func (w *MailboxWriter) rewrite(rec index.Record, silent bool) error {
	i := w.find(rec.UID)
	if i < 0 {
		return fmt.Errorf("spool: %s: rewrite of uid %d: no such record", w.e.Name, rec.UID)
	}
	old := w.recs[i]
	if old.GUID != rec.GUID {
		return fmt.Errorf("spool: %s uid %d: rewrite changes GUID %s to %s", w.e.Name, rec.UID, old.GUID, rec.GUID)
	}
	if old.Expunged() && !rec.Expunged() {
		return fmt.Errorf("spool: %s uid %d: a record cannot be un-expunged", w.e.Name, rec.UID)
	}
	if rec.Expunged() && w.immediateExpunge() {
		rec.InternalFlags |= index.FlagUnlinked | index.FlagNeedsCleanup
	}
	w.indexDirty()
	if !silent {
		rec.Modseq = w.nextModseq()
		rec.LastUpdated = w.lastUpdated
	}
	if rec.Unlinked() {
		if w.s.cfg.ExpungeMode() == "immediate" {
			w.h.Options |= index.OptMailboxNeedsRepack
		}
		w.h.Options |= index.OptMailboxNeedsUnlink
	}
	w.count(&old, -1)
	w.count(&rec, +1)
	if rec.Expunged() && !old.Expunged() {
		if w.h.FirstExpunged == 0 || w.h.FirstExpunged > rec.LastUpdated {
			w.h.FirstExpunged = rec.LastUpdated
		}
	}
	w.noteSieve(&old, rec)
	w.recs[i] = rec
	w.changed[i] = true
	return nil
}

func (w *MailboxWriter) immediateExpunge() bool {
	m := w.s.cfg.ExpungeMode()
	return m == "immediate" || m == "semidelayed"
}

// count is header_update_counts plus the sync CRC and annotation quota
// bookkeeping of mailbox_index_update_counts and
// mailbox_annot_update_counts, for adding (+1) or removing (-1) a record.
// Expunged records count for nothing, except that an index of version 18
// or later (Cyrus 3.10) sums the sizes of expunged records whose file is
// still there, and of \Deleted ones.
//
// cyrus: imap/mailbox.c header_update_counts (3.6.1, 3.10.2)
func (w *MailboxWriter) count(r *index.Record, sign int) {
	used := func(p *uint64) {
		if sign > 0 {
			*p += r.Size
		} else {
			*p -= min(*p, r.Size)
		}
	}
	v18 := w.h.MinorVersion >= 18
	if r.Expunged() {
		if v18 && !r.Unlinked() {
			used(&w.h.QuotaExpungedUsed)
		}
		return
	}
	add := func(p *uint32) {
		if sign > 0 {
			*p++
		} else if *p > 0 {
			*p--
		}
	}
	if r.SystemFlags&index.FlagAnswered != 0 {
		add(&w.h.Answered)
	}
	if r.SystemFlags&index.FlagFlagged != 0 {
		add(&w.h.Flagged)
	}
	if r.SystemFlags&index.FlagDeleted != 0 {
		add(&w.h.Deleted)
		if v18 {
			used(&w.h.QuotaDeletedUsed)
		}
	}
	if r.SystemFlags&index.FlagSeen == 0 {
		add(&w.h.Unseen)
	}
	add(&w.h.Exists)
	var annotBytes uint64
	for _, a := range w.annots[r.UID] {
		if !a.Deleted {
			annotBytes += uint64(len(a.Value))
		}
	}
	if sign > 0 {
		w.h.QuotaMailboxUsed += r.Size
		w.h.QuotaAnnotUsed += uint32(annotBytes)
	} else {
		w.h.QuotaMailboxUsed -= min(w.h.QuotaMailboxUsed, r.Size)
		w.h.QuotaAnnotUsed -= uint32(min(uint64(w.h.QuotaAnnotUsed), annotBytes))
	}
	sr := w.spoolRecord(r)
	w.h.SyncCRCBasic ^= RecordCRCBasic(&sr)
	w.h.SyncCRCAnnot ^= RecordCRCAnnot(&sr, w.h.MinorVersion)
}

// spoolRecord converts r with flag names and stored annotations.
func (w *MailboxWriter) spoolRecord(r *index.Record) Record {
	out := Record{UID: r.UID, Modseq: r.Modseq, LastUpdated: r.LastUpdated, InternalDate: r.InternalDate,
		Size: r.Size, GUID: r.GUID, System: r.SystemFlags | r.InternalFlags, SaveDate: r.SaveDate,
		CreatedModseq: r.CreatedModseq, CID: r.CID, Annotations: w.annots[r.UID]}
	for _, n := range r.UserFlagNumbers() {
		if name := w.hdr.UserFlag(n); name != "" {
			out.UserFlags = append(out.UserFlags, name)
		}
	}
	return out
}

// UserFlag returns the slot of user flag name (compared without case, as
// Cyrus does), or -1 if the mailbox has no such flag.
func (w *MailboxWriter) UserFlag(name string) int {
	for i, f := range w.hdr.UserFlags {
		if f != "" && equalFold(f, name) {
			return i
		}
	}
	return -1
}

// AddUserFlag returns the slot of user flag name, creating it in the first
// free slot (written to cyrus.header at Commit) when the mailbox has none,
// as mailbox_user_flag does for replication.
//
// cyrus: imap/mailbox.c mailbox_user_flag (3.6.1)
func (w *MailboxWriter) AddUserFlag(name string) (int, error) {
	if n := w.UserFlag(name); n >= 0 {
		return n, nil
	}
	if name == "" || name[0] == '\\' {
		return -1, fmt.Errorf("spool: %s: %q is not a user flag name", w.e.Name, name)
	}
	slot := slices.Index(w.hdr.UserFlags, "")
	if slot < 0 {
		slot = len(w.hdr.UserFlags)
		if slot >= index.MaxUserFlags {
			return -1, fmt.Errorf("spool: %s: no free slot for user flag %s (%d in use)", w.e.Name, name, slot)
		}
		w.hdr.UserFlags = append(w.hdr.UserFlags, name)
	} else {
		w.hdr.UserFlags[slot] = name
	}
	w.headerDirty = true
	w.indexDirty()
	return slot, nil
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Abort drops every change, removes message files written for appended
// records and releases the locks. After Commit it does nothing, so that
// callers can defer it.
func (w *MailboxWriter) Abort() {
	if w.committed {
		return
	}
	for _, f := range w.newFiles {
		os.Remove(f)
	}
	w.newFiles = nil
	w.release()
}

func (w *MailboxWriter) release() {
	w.abortAnnotations()
	for i, c := range w.caches {
		if c != nil && (i == 0 || c != w.caches[0]) {
			c.f.Close()
		}
		w.caches[i] = nil
	}
	if w.idx != nil {
		w.idx.Close() // drops the OFD lock
		w.idx = nil
	}
	for _, l := range slices.Backward(w.locks) {
		l.Release()
	}
	w.locks = nil
}

// Commit writes the changes as Cyrus's mailbox_commit does — the #sieve
// bookkeeping (sievebook.go), cyrus.cache synced, annotations.db
// (committed by Cyrus's callers before), quota usage, cyrus.annotations,
// cyrus.header, the records, then the index header, fsynced — and
// releases the locks. It reports whether the mailbox changed, in which
// case the caller logs it to the sync log as mailbox_unlock_index does.
//
// cyrus: imap/mailbox.c mailbox_commit, mailbox_unlock_index (3.6.1)
func (w *MailboxWriter) Commit() (changed bool, err error) {
	w.committed = true
	defer w.release()
	if err := w.commitSieve(); err != nil {
		return false, w.fail(err)
	}
	for i, c := range w.caches {
		if c != nil && (i == 0 || c != w.caches[0]) {
			if err := c.f.Sync(); err != nil {
				return false, w.fail(fmt.Errorf("fsync %s: %w", c.f.Name(), err))
			}
		}
	}
	if err := w.syncNewFiles(); err != nil {
		return false, w.fail(err)
	}
	if err := w.FlushMailboxAnnotations(); err != nil {
		return false, w.fail(err)
	}
	if err := w.commitQuota(); err != nil {
		return false, w.fail(err)
	}
	if err := w.commitMessageAnnotations(); err != nil {
		return false, w.fail(err)
	}
	if err := w.commitHeader(); err != nil {
		return false, w.fail(err)
	}
	if !w.dirty {
		return false, nil
	}
	positions := make([]int, 0, len(w.changed))
	for i := range w.changed {
		positions = append(positions, i)
	}
	slices.Sort(positions)
	buf := make([]byte, index.RecordSize)
	for _, i := range positions {
		r := &w.recs[i]
		if err := r.Encode(buf, w.h.MinorVersion); err != nil {
			return false, w.fail(err)
		}
		if _, err := w.idx.WriteAt(buf, w.h.RecordOffset(uint32(i+1))); err != nil {
			return false, w.fail(fmt.Errorf("write %s record %d: %w", w.ipath, i+1, err))
		}
	}
	w.h.NumRecords = uint32(len(w.recs))
	if err := w.h.Encode(w.raw); err != nil {
		return false, w.fail(err)
	}
	if _, err := w.idx.WriteAt(w.raw, 0); err != nil {
		return false, w.fail(fmt.Errorf("write %s header: %w", w.ipath, err))
	}
	if err := w.idx.Sync(); err != nil {
		return false, w.fail(fmt.Errorf("fsync %s: %w", w.ipath, err))
	}
	w.newFiles = nil
	return true, nil
}

// fail wraps a commit error; message files of appended records are left
// in place, since the index may already name them.
func (w *MailboxWriter) fail(err error) error {
	return fmt.Errorf("spool: commit %s: %w", w.e.Name, err)
}

// cacheFile is a cache file open for appending at end.
type cacheFile struct {
	f   *os.File
	end int64
}

// appendCache writes a cache entry at the end of the cache file the record
// keeps it in — the archive cache for an archived record, as Cyrus's
// mailbox_cachefile chooses — and returns its offset.
//
// cyrus: imap/mailbox.c mailbox_cachefile, mailbox_append_cache (3.6.1)
func (w *MailboxWriter) appendCache(archived bool, entry []byte) (uint64, error) {
	i := 0
	if archived {
		i = 1
	}
	if w.caches[i] == nil {
		if err := w.openCache(i); err != nil {
			return 0, err
		}
	}
	c := w.caches[i]
	if _, err := c.f.WriteAt(entry, c.end); err != nil {
		return 0, fmt.Errorf("spool: %s: append to %s: %w", w.e.Name, c.f.Name(), err)
	}
	off := uint64(c.end)
	c.end += int64(len(entry))
	return off, nil
}

// openCache opens cyrus.cache (i 0) or the archive cache (i 1).
func (w *MailboxWriter) openCache(i int) error {
	paths := [2]string{}
	for j, mf := range []MetaFile{MetaCache, MetaArchiveCache} {
		p, err := w.s.MetaPath(w.e, mf)
		if err != nil {
			return err
		}
		paths[j] = p
	}
	if other := w.caches[1-i]; other != nil && paths[0] == paths[1] {
		w.caches[i] = other
		return nil
	}
	path := paths[i]
	if i == 1 {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("spool: %s: %w", w.e.Name, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %s: %w", w.e.Name, err)
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err == nil && end == 0 {
		// a new mailbox has no cyrus.cache: Cyrus starts one with the
		// index's generation number (cyrus: imap/mailbox.c cache_getfile)
		chownLike(path, filepath.Dir(w.ipath))
		gen := binary.BigEndian.AppendUint32(nil, w.h.GenerationNo)
		if _, err = f.WriteAt(gen, 0); err == nil {
			end = int64(len(gen))
		}
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("spool: %s: %w", path, err)
	}
	w.caches[i] = &cacheFile{f: f, end: end}
	if paths[0] == paths[1] {
		w.caches[1-i] = w.caches[i]
	}
	return nil
}

// commitHeader is mailbox_commit_header: cyrus.header rewritten through a
// synced cyrus.header.NEW renamed over it, its CRC kept in the index
// header.
//
// cyrus: imap/mailbox.c mailbox_commit_header (3.6.1)
func (w *MailboxWriter) commitHeader() error {
	if !w.headerDirty {
		return nil
	}
	path, err := w.s.MetaPath(w.e, MetaHeader)
	if err != nil {
		return err
	}
	if err := writeHeaderFile(path, w.hdr, ""); err != nil {
		return err
	}
	w.h.HeaderFileCRC = w.hdr.FileCRC
	w.headerDirty = false
	w.dirty = true // the index header keeps the new CRC
	return nil
}
