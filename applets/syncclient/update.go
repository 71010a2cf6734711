package syncclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// maxFilesPerMessage is how many files one APPLY MESSAGE carries at most.
const maxFilesPerMessage = 1024

// localFolder is a master folder of do_folders: its mailboxes.db entry and,
// for a real mailbox, a snapshot of it.
type localFolder struct {
	entry *spool.Entry
	// mbox is nil for an intermediate entry.
	mbox *spool.Mailbox
}

// uploads remembers, per partition, which GUIDs the replica needs from us
// and which went already (each GUID is uploaded once per session).
type uploads map[string]map[guid.GUID]bool

// need tells whether g must be uploaded: a GUID the reserve phase did not
// ask about (one the master got since, by a full update's copy back or
// renumbering) is, as Cyrus's sync_msgid_insert starts it needing upload.
func (u uploads) need(part string, g guid.GUID) bool {
	need, known := u[part][g]
	return need || !known
}

func (u uploads) set(part string, g guid.GUID, need bool) {
	if u[part] == nil {
		u[part] = map[guid.GUID]bool{}
	}
	u[part][g] = need
}

// unchanged is Cyrus's is_unchanged: nothing about the mailbox differs from
// what the replica reported, so there is nothing to send.
//
// cyrus: imap/sync_support.c is_unchanged (3.6.1)
func (s *syncer) unchanged(local *protocol.Mailbox, m *spool.Mailbox, remote *protocol.Mailbox) bool {
	if remote == nil {
		return false
	}
	same := local.Type == remote.Type && local.LastUID == remote.LastUID &&
		local.HighestModseq == remote.HighestModseq && local.UIDValidity == remote.UIDValidity &&
		local.RecentUID == remote.RecentUID && local.RecentTime == remote.RecentTime &&
		local.POP3LastLogin == remote.POP3LastLogin && local.POP3ShowAfter == remote.POP3ShowAfter &&
		local.Options == remote.Options && (remote.FolderModseq == 0 || remote.FolderModseq == local.FolderModseq) &&
		local.ACL == remote.ACL && sameAnnots(local.Annotations, remote.Annotations)
	if !same {
		return false
	}
	if crcEqual(local.SyncCRC, remote.SyncCRC) && crcEqual(local.SyncCRCAnnot, remote.SyncCRCAnnot) {
		return true
	}
	// The stored CRCs may be stale: compare freshly computed ones.
	basic, annot := m.ComputeSyncCRCs()
	return crcEqual(basic, remote.SyncCRC) && crcEqual(annot, remote.SyncCRCAnnot)
}

// crcEqual is mailbox_crceq: 0 on either side means "not known", equal.
func crcEqual(a, b uint32) bool { return a == 0 || b == 0 || a == b }

func sameAnnots(a, b []protocol.ListAnnotation) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[[3]string]int{}
	for _, x := range a {
		seen[[3]string{x.Entry, x.UserID, x.Data}]++
	}
	for _, x := range b {
		k := [3]string{x.Entry, x.UserID, x.Data}
		if seen[k] == 0 {
			return false
		}
		seen[k]--
	}
	return true
}

// updateMailbox brings one replica mailbox up to the master's state:
// unless nothing changed, it uploads the message files the replica lacks
// and sends APPLY MAILBOX with every record changed since the replica's
// HIGHESTMODSEQ.
//
// cyrus: imap/sync_support.c sync_do_update_mailbox, update_mailbox_once (3.6.1)
func (s *syncer) updateMailbox(ctx context.Context, lf *localFolder, remote *protocol.Mailbox, up uploads) error {
	if lf.mbox == nil {
		return s.applyIntermediate(ctx, lf.entry)
	}
	return s.retryUpdate(ctx, lf, remote, up, s.updateOnce(ctx, lf.mbox, remote, up, false))
}

// retryUpdate is what follows the first attempt at a mailbox that ended
// in err: on a CRC failure the mailbox is sent again with fresh counts,
// and if that fails too (or the first attempt found the delta
// inefficient) a full update reconciles both sides before a last send.
//
// cyrus: imap/sync_support.c sync_do_update_mailbox (3.6.1)
func (s *syncer) retryUpdate(ctx context.Context, lf *localFolder, remote *protocol.Mailbox, up uploads, err error) error {
	name := lf.mbox.Name
	if isCode(err, protocol.CodeSyncChecksum) {
		s.log.Log(ctx, cyruslog.LevelNotice, fmt.Sprintf("SYNC_NOTICE: CRC failure on sync %s, recalculating counts and trying again", name))
		err = s.updateOnce(ctx, lf.mbox, remote, up, true)
	}
	if s.o.NoCopyback {
		return err // -O: never reconcile
	}
	switch {
	case errors.Is(err, errAgain):
	case isCode(err, protocol.CodeSyncChecksum):
		s.log.Error(fmt.Sprintf("CRC failure on sync for %s, trying full update", name))
	default:
		return err
	}
	if err := s.fullUpdate(ctx, name); err != nil {
		return err
	}
	return s.updateOnce(ctx, lf.mbox, remote, up, true)
}

// mailboxUpdate is what one attempt at a mailbox sends: the message files
// the replica lacks (in APPLY MESSAGE batches), then APPLY MAILBOX.
type mailboxUpdate struct {
	m     *spool.Mailbox
	apply *protocol.Mailbox
	files []protocol.Message
	paths map[string]*spool.Record
}

// batches are the APPLY MESSAGE commands, maxFilesPerMessage files each.
func (u *mailboxUpdate) batches() []*protocol.ApplyMessage {
	var out []*protocol.ApplyMessage
	for files := u.files; len(files) > 0; {
		n := min(len(files), maxFilesPerMessage)
		out = append(out, &protocol.ApplyMessage{Files: files[:n]})
		files = files[n:]
	}
	return out
}

func (s *syncer) updateOnce(ctx context.Context, m *spool.Mailbox, remote *protocol.Mailbox, up uploads, repeat bool) error {
	u, err := s.prepareUpdate(ctx, m, remote, up, repeat)
	if err != nil || u == nil {
		return err
	}
	s.action("%s %s", s.local("MAILBOX"), u.m.Name)
	for _, batch := range u.batches() {
		err := s.c.ApplyMessage(ctx, batch, s.fileSource(u.m, u.paths))
		s.logNo("MESSAGE", err)
		if err != nil {
			return err
		}
	}
	return s.do(ctx, &protocol.ApplyMailbox{Local: s.o.LocalOnly, Mailbox: u.apply})
}

// prepareUpdate works out one attempt at a mailbox: nil when nothing
// changed, errAgain when only a full update can express the change. The
// GUIDs it will upload are marked as sent in up.
func (s *syncer) prepareUpdate(ctx context.Context, m *spool.Mailbox, remote *protocol.Mailbox, up uploads, repeat bool) (*mailboxUpdate, error) {
	if repeat {
		// Cyrus prints this one with -v but does not log it with -l.
		if s.o.Verbose > 0 {
			fmt.Fprintf(s.stdout, "MAILBOXES %s\n", m.Name)
		}
		fresh, err := s.c.GetMailboxes(ctx, m.Name)
		if err != nil {
			s.logNo("MAILBOXES", err)
			return nil, err
		}
		remote = nil
		for _, r := range fresh {
			if r.UniqueID == m.UniqueID {
				remote = r
			}
		}
		snap, err := s.sp.Snapshot(ctx, m.Name)
		if err != nil {
			return nil, err
		}
		m = snap
		// Repeat mode sends freshly computed CRCs.
		m.SyncCRC, m.SyncCRCAnnot = m.ComputeSyncCRCs()
	}
	if !repeat && remote != nil && m.IndexHeader.DeletedModseq > remote.HighestModseq {
		// The master purged records (cyr_expire) past what the replica
		// saw: a delta cannot express that, a full update can.
		s.log.Log(ctx, cyruslog.LevelNotice, fmt.Sprintf("inefficient replication (%d > %d) %s",
			m.IndexHeader.DeletedModseq, remote.HighestModseq, m.Name))
		return nil, errAgain
	}
	if remote != nil && remote.UIDValidity > m.IndexHeader.UIDValidity {
		var err error
		if m, err = s.raiseUIDValidity(ctx, m, remote.UIDValidity); err != nil {
			return nil, err
		}
	}
	local := protocol.MailboxFromSpool(m, false)
	if !repeat && s.unchanged(local, m, remote) {
		return nil, nil
	}
	apply := protocol.MailboxFromSpool(m, true)
	apply.Partition = s.targetPartition(m.Partition)
	var remoteHMS uint64
	var remoteLast uint32
	if remote != nil {
		remoteHMS, remoteLast = remote.HighestModseq, remote.LastUID
		if !repeat && remote.HighestModseq != 0 {
			apply.SinceModseq, apply.SinceCRC, apply.SinceCRCAnnot = remote.HighestModseq, remote.SyncCRC, remote.SyncCRCAnnot
		}
	}
	apply.SetCyrusKeys()
	records := apply.Records[:0]
	u := &mailboxUpdate{m: m, paths: map[string]*spool.Record{}}
	for i := range m.Records {
		r := &m.Records[i]
		if r.Modseq <= remoteHMS {
			continue
		}
		records = append(records, apply.Records[i])
		if r.UID > remoteLast && !r.Unlinked() && up.need(apply.Partition, r.GUID) {
			u.files = append(u.files, protocol.Message{Partition: apply.Partition, GUID: r.GUID, Size: int64(r.Size)})
			u.paths[r.GUID.String()] = r
			up.set(apply.Partition, r.GUID, false)
		}
	}
	apply.Records = records
	u.apply = apply
	return u, nil
}

// fileSource opens the message files an APPLY MESSAGE streams.
func (s *syncer) fileSource(m *spool.Mailbox, paths map[string]*spool.Record) func(part, g string, size int64) (io.Reader, error) {
	return func(_, g string, size int64) (io.Reader, error) {
		r := paths[g]
		if r == nil {
			return nil, fmt.Errorf("no record for GUID %s in %s", g, m.Name)
		}
		f, err := s.sp.OpenMessage(m, r)
		if errors.Is(err, spool.ErrUnlinked) {
			return nil, dlist.ErrSkipFile // gone meanwhile: Cyrus sends NIL
		}
		if err != nil {
			return nil, fmt.Errorf("%s uid %d: %w", m.Name, r.UID, err)
		}
		return &closingReader{f: f, p: s.progress, left: size}, nil
	}
}

// closingReader closes its file at EOF, so a long upload keeps only the
// file being sent open; it counts what it reads on the progress line, the
// message once its size has been read.
type closingReader struct {
	f    *os.File
	p    *progress
	left int64 // bytes of the message not read yet
}

func (c *closingReader) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if errors.Is(err, io.EOF) {
		c.f.Close()
	}
	wasLeft := c.left
	c.left -= int64(n)
	c.p.sent(n, wasLeft > 0 && (c.left <= 0 || err != nil))
	return n, err
}

// applyIntermediate sends an intermediate (placeholder) mailbox. As in
// Cyrus 3.6 it is sent every time, as MAILBOX even with -L, and printed
// nowhere.
//
// cyrus: imap/sync_support.c sync_do_update_mailbox (3.6.1)
func (s *syncer) applyIntermediate(ctx context.Context, e *spool.Entry) error {
	// Cyrus 3.6 ignores the result for intermediates.
	s.do(ctx, &protocol.ApplyMailbox{Mailbox: s.intermediate(e)})
	return nil
}

// intermediate is the APPLY MAILBOX argument of an intermediate entry.
func (s *syncer) intermediate(e *spool.Entry) *protocol.Mailbox {
	return &protocol.Mailbox{UniqueID: e.UniqueID, Name: e.Name, Type: (e.Type &^ spool.TypeLegacyDirs).String(),
		HighestModseq: e.FolderModseq, CreatedModseq: e.CreatedModseq, FolderModseq: e.FolderModseq,
		Present: protocol.KeyMboxType | protocol.KeyHighestModseq | protocol.KeyCreatedModseq | protocol.KeyFolderModseq}
}

// raiseUIDValidity is update_mailbox_once taking over a higher UIDVALIDITY
// from the replica (the replica would otherwise refuse the mailbox); it
// returns the mailbox read again.
//
// cyrus: imap/sync_support.c update_mailbox_once (3.6.1)
func (s *syncer) raiseUIDValidity(ctx context.Context, m *spool.Mailbox, v uint32) (*spool.Mailbox, error) {
	w, err := s.sp.OpenMailboxWriter(ctx, m.Name)
	if err != nil {
		return nil, err
	}
	old := w.Header().UIDValidity
	if old < v {
		cyruslog.Xsyslog(s.log, cyruslog.LevelNotice, "SYNCNOTICE: uidvalidity higher on replica, updating", "update_mailbox_once",
			"mailbox", m.Name, "olduidvalidity", old, "newuidvalidity", v)
		w.SetUIDValidity(v)
	}
	changed, err := w.Commit()
	if err != nil {
		return nil, err
	}
	if changed {
		s.logMailbox(m.Name)
	}
	return s.sp.Snapshot(ctx, m.Name)
}
