package syncserver

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/cache"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// mailboxApply is one APPLY MAILBOX on an opened (or just created)
// mailbox.
type mailboxApply struct {
	r      *replica
	w      *spool.MailboxWriter
	m      *protocol.Mailbox
	mbtype spool.MBType
	// lastUID is the replica's LAST_UID before anything is appended.
	lastUID uint32
	// uploads are the master's records as index records of this mailbox,
	// with their message annotations (the dry pass parses them once).
	uploads []upload
}

type upload struct {
	rec    index.Record
	annots []protocol.ListAnnotation
}

// applyPass is which of sync_mailbox_compare_update's two passes runs:
// the check pass refuses a diverged replica before anything is written,
// the update pass writes.
type applyPass int

const (
	checkPass applyPass = iota
	updatePass
)

// run is sync_apply_mailbox from the delta-base check on. On success the
// mailbox is committed and a.w is nil.
func (a *mailboxApply) run(ctx context.Context) error {
	r, w, m := a.r, a.w, a.m
	h := w.Header()
	a.lastUID = h.LastUID
	if m.SinceModseq != 0 {
		since := crcs{m.SinceCRC, m.SinceCRCAnnot}
		mine := crcs{h.SyncCRCBasic, h.SyncCRCAnnot}
		if m.SinceModseq != h.HighestModseq || !since.equal(mine) {
			cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "SYNCNOTICE: mailbox sync mismatch", "sync_apply_mailbox",
				"mailbox", m.Name, "hms_master", m.SinceModseq, "hms_replica", h.HighestModseq,
				"crcs_master", fmt.Sprintf("%d/%d", since.basic, since.annot), "crcs_replica", fmt.Sprintf("%d/%d", mine.basic, mine.annot))
			return remote(protocol.CodeSyncChanged)
		}
	}
	if have := w.Entry().Type &^ spool.TypeLegacyDirs; have != a.mbtype {
		r.log.Error(fmt.Sprintf("INVALID MAILBOX TYPE %s (%d, %d)", m.Name, have, a.mbtype), "mailbox", m.Name)
		return remote(protocol.CodeRemoteDenied)
	}
	if err := a.sanity(ctx, h); err != nil {
		return err
	}
	if err := a.compareUpdate(ctx, checkPass); err != nil {
		return err
	}

	// From here on the master's state is written, silently.
	w.SetSilent()
	if err := r.setMailboxACL(ctx, w, m); err != nil {
		return err
	}
	if err := r.applyMailboxAnnotations(ctx, w, m); err != nil {
		r.log.Error(fmt.Sprintf("syncerror: annotations failed to apply to %s", m.Name), "mailbox", m.Name)
		return err
	}
	if err := a.compareUpdate(ctx, updatePass); err != nil {
		return err
	}
	a.setHeader()
	crcErr := a.checkCRCs(ctx)
	changed, err := w.Commit()
	a.w = nil
	if err != nil {
		return err
	}
	if changed {
		r.synclog.Log(ctx, synclog.Item{Type: synclog.TypeMailbox, Args: []string{m.Name}})
	}
	return crcErr
}

// crcs is a pair of sync CRCs.
type crcs struct{ basic, annot uint32 }

// equal is mailbox_crceq: a zero on either side means "not known", so only
// two non-zero values that differ disagree.
//
// cyrus: imap/mailbox.c mailbox_crceq (3.6.1)
func (c crcs) equal(o crcs) bool {
	if c.basic != 0 && o.basic != 0 && c.basic != o.basic {
		return false
	}
	if c.annot != 0 && o.annot != 0 && c.annot != o.annot {
		return false
	}
	return true
}

// sanity refuses a master state older than the replica's: the client then
// does a full update. In force mode each is only a notice.
//
// cyrus: imap/sync_support.c sync_apply_mailbox (3.6.1)
func (a *mailboxApply) sanity(ctx context.Context, h index.Header) error {
	r, m := a.r, a.m
	check := func(bad bool, what string, sent, own uint64) error {
		if !bad {
			return nil
		}
		if r.forced() {
			r.log.Log(ctx, cyruslog.LevelNotice, fmt.Sprintf("forcesync: higher %s on replica %s - %d < %d", what, m.Name, sent, own), "mailbox", m.Name)
			return nil
		}
		r.log.Error(fmt.Sprintf("higher %s on replica %s - %d < %d", what, m.Name, sent, own), "mailbox", m.Name)
		return remote(protocol.CodeSyncChecksum)
	}
	if err := check(m.HighestModseq < h.HighestModseq, "modseq", m.HighestModseq, h.HighestModseq); err != nil {
		return err
	}
	if err := check(m.UIDValidity < h.UIDValidity, "uidvalidity", uint64(m.UIDValidity), uint64(h.UIDValidity)); err != nil {
		return err
	}
	if err := check(m.LastUID < h.LastUID, "last_uid", uint64(m.LastUID), uint64(h.LastUID)); err != nil {
		return err
	}
	if m.CreatedModseq > h.CreatedModseq && h.CreatedModseq != 0 {
		cyruslog.Xsyslog(r.log, cyruslog.LevelNotice, "SYNCNOTICE: lower createdmodseq on replica", "sync_apply_mailbox",
			"mailbox", m.Name, "createdmodseq", m.CreatedModseq, "replica_createdmodseq", h.CreatedModseq)
	}
	return nil
}

// compareUpdate is sync_mailbox_compare_update: every master record
// against the replica's record of the same UID. The check pass refuses a
// replica that has a different message at a UID, a newer change, an
// expunge the master has not, or a UID below its LAST_UID the master never
// had; the update pass takes the master's flags, dates and annotations for
// existing records and appends the new ones from the staged files.
//
// cyrus: imap/sync_support.c sync_mailbox_compare_update (3.6.1)
func (a *mailboxApply) compareUpdate(ctx context.Context, pass applyPass) error {
	r, w, m := a.r, a.w, a.m
	if pass == checkPass {
		version := w.Header().MinorVersion
		a.uploads = make([]upload, len(m.Records))
		for i := range m.Records {
			rec, annots, err := m.Records[i].ParseUpload(w, version, func(e error) { r.log.Error(e.Error(), "mailbox", m.Name) })
			if err != nil {
				r.log.Error(err.Error(), "mailbox", m.Name)
				cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "SYNCERROR: failed to parse uploaded record", "sync_mailbox_compare_update")
				return remote(protocol.CodeProtocolError)
			}
			a.uploads[i] = upload{rec: rec, annots: annots}
		}
	}
	appended := false
	for i := range a.uploads {
		mrec, annots := a.uploads[i].rec, a.uploads[i].annots
		rrec, onReplica := w.Record(mrec.UID)
		switch {
		case onReplica:
			if mrec.Expunged() && rrec.Expunged() {
				continue
			}
			if err := a.checkRecord(ctx, &mrec, &rrec); err != nil || pass == checkPass {
				return err
			}
			if err := a.updateRecord(&mrec, rrec, annots); err != nil {
				return err
			}
		case mrec.UID <= a.lastUID:
			if !mrec.Expunged() {
				return remote(protocol.CodeSyncChecksum) // a UID the replica never had: bogus
			}
		case pass == updatePass:
			if err := a.appendRecord(mrec, annots); err != nil {
				cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: append file failed", "sync_mailbox_compare_update",
					"mboxname", m.Name, "uid", mrec.UID)
				return err
			}
			appended = true
		}
	}
	if appended {
		r.synclog.Log(ctx, synclog.Item{Type: synclog.TypeAppend, Args: []string{m.Name}})
	}
	return nil
}

// checkRecord is the check of one UID both sides have.
func (a *mailboxApply) checkRecord(ctx context.Context, mrec, rrec *index.Record) error {
	r, name := a.r, a.m.Name
	switch {
	case mrec.GUID != rrec.GUID:
		cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "SYNCNOTICE: guid mismatch", "sync_mailbox_compare_update", "mailbox", name, "uid", mrec.UID)
		return remote(protocol.CodeSyncChecksum)
	case rrec.Modseq > mrec.Modseq && r.forced():
		r.log.Log(ctx, cyruslog.LevelNotice, fmt.Sprintf("forcesync: higher modseq on replica %s %d (%d > %d)", name, mrec.UID, rrec.Modseq, mrec.Modseq), "mailbox", name)
	case rrec.Modseq > mrec.Modseq:
		cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "SYNCNOTICE: higher modseq on replica", "sync_mailbox_compare_update",
			"mailbox", name, "uid", mrec.UID, "replicamodseq", rrec.Modseq, "mastermodseq", mrec.Modseq)
		return remote(protocol.CodeSyncChecksum)
	}
	if !mrec.Expunged() && rrec.Expunged() {
		cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "SYNCNOTICE: expunged on replica", "sync_mailbox_compare_update", "mailbox", name, "uid", mrec.UID)
		return remote(protocol.CodeSyncChecksum)
	}
	return nil
}

// updateRecord takes the master's side of a record both have: its dates,
// modseq, flags (the replica's internal flags kept, but for \Expunged)
// and annotations.
func (a *mailboxApply) updateRecord(mrec *index.Record, rrec index.Record, annots []protocol.ListAnnotation) error {
	c := rrec
	c.CID, c.Modseq, c.LastUpdated = mrec.CID, mrec.Modseq, mrec.LastUpdated
	c.InternalDate, c.SaveDate, c.CreatedModseq = mrec.InternalDate, mrec.SaveDate, mrec.CreatedModseq
	c.SystemFlags = mrec.SystemFlags
	c.InternalFlags = rrec.InternalFlags&^index.FlagExpunged | mrec.InternalFlags&index.FlagExpunged
	c.UserFlags = mrec.UserFlags
	if err := a.w.RewriteSilent(c); err != nil {
		return err
	}
	return a.r.applyMessageAnnotations(a.w, c.UID, annots)
}

// appendRecord appends a record above the replica's LAST_UID.
func (a *mailboxApply) appendRecord(rec index.Record, annots []protocol.ListAnnotation) error {
	return a.r.appendStaged(a.w, rec, annots, true)
}

// appendStaged appends a record from the file staged for its GUID,
// checked by parsing it as Cyrus's message_parse does, then its
// annotations. An expunged record whose file the master no longer has is
// appended unlinked.
//
// cyrus: imap/sync_support.c sync_append_copyfile (3.6.1)
func (r *replica) appendStaged(w *spool.MailboxWriter, rec index.Record, annots []protocol.ListAnnotation, silent bool) error {
	st := r.stage.lookup(w.Entry().Partition, rec.GUID)
	var msg *cache.Message
	var err error
	if st != nil {
		if msg = r.stage.takeParsed(st); msg == nil {
			msg, err = parseStaged(st.path)
		}
	}
	if st == nil || err != nil {
		if rec.Expunged() {
			return w.AppendUnlinked(rec)
		}
		if err == nil {
			err = fmt.Errorf("no staged file for GUID %s", rec.GUID)
		}
		cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: parse failed", "sync_append_copyfile", "guid", rec.GUID.String(), "error", err)
		return err
	}
	if msg.GUID != rec.GUID {
		cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: guid mismatch on parse", "sync_append_copyfile", "filename", st.path, "guid", msg.GUID.String())
		return fmt.Errorf("staged file %s has GUID %s, the record says %s", st.path, msg.GUID, rec.GUID)
	}
	// put back to the archive a file found there, and archive what this
	// server would archive now anyway
	if st.archived {
		rec.InternalFlags |= index.FlagArchived
	}
	rec.Size = msg.Size
	if shouldArchive(r.sp.Config(), w.Entry(), &rec, time.Now()) {
		rec.InternalFlags |= index.FlagArchived
	}
	ce := spool.CacheEntry{Bytes: msg.Entry, CRC: msg.CRC, Version: msg.CacheVersion, HeaderSize: msg.HeaderSize,
		SentDate: msg.SentDate, GMTime: msg.GMTime}
	if err := w.AppendStaged(rec, st.path, ce, silent); err != nil {
		return err
	}
	return r.applyMessageAnnotations(w, rec.UID, annots)
}

// parseStaged derives a staged file's GUID, size and cache entry.
func parseStaged(path string) (*cache.Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return cache.ParseReader(f, st.Size())
}

// setHeader takes the master's header fields (sync_apply_mailbox step 15).
func (a *mailboxApply) setHeader() {
	h, m := a.w.Header(), a.m
	h.LastUID, h.RecentUID, h.HighestModseq = m.LastUID, m.RecentUID, m.HighestModseq
	h.RecentTime, h.LastAppendDate, h.POP3LastLogin = m.RecentTime, m.LastAppendDate, m.POP3LastLogin
	h.POP3ShowAfter, h.CreatedModseq = m.POP3ShowAfter, m.CreatedModseq
	const mask = index.OptPOP3NewUIDL | index.OptIMAPSharedSeen | index.OptIMAPDupDeliver | index.OptIMAPHasAlarms
	h.Options = protocol.ParseOptions(m.Options)&mask | h.Options&^mask
	if h.UIDValidity != m.UIDValidity {
		a.r.log.Log(context.Background(), cyruslog.LevelNotice, fmt.Sprintf("%s uidvalidity changed, updating %d => %d", m.Name, h.UIDValidity, m.UIDValidity),
			"mailbox", m.Name)
		h.UIDValidity = m.UIDValidity
	}
	a.w.SetHeader(h)
}

// checkCRCs compares the mailbox's CRCs with the master's, recomputing
// them once when they differ; a difference left is CHECKSUM, reported
// after the changes are committed (they stay: the client then does a full
// update).
//
// cyrus: imap/sync_support.c sync_apply_mailbox (done:) (3.6.1)
func (a *mailboxApply) checkCRCs(ctx context.Context) error {
	m, h := a.m, a.w.Header()
	sent := crcs{m.SyncCRC, m.SyncCRCAnnot}
	if sent.equal(crcs{h.SyncCRCBasic, h.SyncCRCAnnot}) {
		return nil
	}
	basic, annot := a.w.RecomputeSyncCRCs()
	if sent.equal(crcs{basic, annot}) {
		return nil
	}
	a.r.log.Log(ctx, slog.LevelDebug, fmt.Sprintf("SYNCNOTICE: CRC error after apply: mailbox=<%s> crcs_master=<%d/%d> crcs_replica=<%d/%d>",
		m.Name, sent.basic, sent.annot, basic, annot), "mailbox", m.Name)
	return remote(protocol.CodeSyncChecksum)
}
