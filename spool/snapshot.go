package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/header"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// SnapshotStats tells how long a snapshot held Cyrus's locks.
type SnapshotStats struct {
	// IndexLocked is how long cyrus.index was locked shared.
	IndexLocked time.Duration
	// NameLocked is how long the mailbox name lock was held.
	NameLocked time.Duration
}

// Snapshot reads one mailbox consistently, the way Cyrus opens a mailbox
// for reading (docs/locking.md): the user namespace lock shared (user
// mailboxes only), then the mailboxes.db entry looked up again under it,
// then the mailbox name lock shared, then cyrus.index shared while the
// index header and records, cyrus.header and cyrus.annotations are copied;
// every lock is released right after. Mailbox-level annotations come from
// annotations.db under its own lock.
//
// A tombstone, a reserved or moving entry or a mailbox being deleted give
// an error wrapping ErrNotFound; an intermediate entry gives a Mailbox
// with no index data (IndexVersion 0), as sync needs it.
//
// cyrus: imap/mailbox.c mailbox_open_advanced, mailbox_lock_index (3.6.1)
func (s *Spool) Snapshot(ctx context.Context, intname string) (*Mailbox, error) {
	m, _, err := s.SnapshotStats(ctx, intname)
	return m, err
}

// SnapshotStats is Snapshot, also reporting how long locks were held.
func (s *Spool) SnapshotStats(ctx context.Context, intname string) (*Mailbox, SnapshotStats, error) {
	var st SnapshotStats
	owner := s.layout.NS.UserIDOf(intname)
	if owner != "" {
		ul, err := s.Lock(ctx, UserLockName(owner), false)
		if err != nil {
			return nil, st, err
		}
		defer ul.Release()
	}
	// Looked up under the namespace lock: renames and deletes of the
	// user's mailboxes hold it exclusively.
	e, err := s.LookupName(intname)
	if err != nil {
		return nil, st, err
	}
	if e.Type&(TypeDeleted|TypeReserve|TypeMoving|TypeRemote) != 0 {
		return nil, st, fmt.Errorf("spool: mailbox %s (type %s): %w", intname, e.Type, ErrNotFound)
	}
	m := mailboxFromEntry(e, owner)
	if e.Intermediate() {
		return m, st, nil
	}
	if e.Partition == "" {
		return nil, st, fmt.Errorf("spool: mailbox %s has no partition: %w", intname, ErrNotFound)
	}
	nameStart := time.Now()
	nl, err := s.Lock(ctx, MailboxLockName(e), false)
	if err != nil {
		return nil, st, err
	}
	err = s.readLocked(e, m, &st)
	nl.Release()
	st.NameLocked = time.Since(nameStart)
	if err != nil {
		return nil, st, err
	}
	if m.Annotations, err = s.MailboxAnnotations(e.UniqueID, owner); err != nil {
		return nil, st, err
	}
	return m, st, nil
}

// readLocked reads the index, header and message annotations of e under a
// shared cyrus.index lock.
func (s *Spool) readLocked(e *Entry, m *Mailbox, st *SnapshotStats) error {
	ipath, err := s.MetaPath(e, MetaIndex)
	if err != nil {
		return err
	}
	hpath, err := s.MetaPath(e, MetaHeader)
	if err != nil {
		return err
	}
	apath, err := s.MetaPath(e, MetaAnnotations)
	if err != nil {
		return err
	}
	start := time.Now()
	f, err := ofd.OpenShared(ipath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("spool: mailbox %s: %w: %w", e.Name, err, ErrNotFound)
		}
		return fmt.Errorf("spool: mailbox %s: %w", e.Name, err)
	}
	idx, err := index.Read(ipath, f)
	var hdr *header.Header
	var annots []Annotation
	if err == nil && idx.Header.Options&index.OptMailboxDeleted == 0 {
		hdr, err = header.ReadFile(hpath)
		if err == nil {
			annots, err = readMessageAnnotations(apath, m.owner)
		}
	}
	f.Close() // drops the OFD lock
	st.IndexLocked = time.Since(start)
	if err != nil {
		return fmt.Errorf("spool: mailbox %s: %w", e.Name, err)
	}
	if idx.Header.Options&index.OptMailboxDeleted != 0 {
		return fmt.Errorf("spool: mailbox %s is being deleted: %w", e.Name, ErrNotFound)
	}
	if hdr.UniqueID != "" && e.UniqueID != "" && hdr.UniqueID != e.UniqueID {
		return fmt.Errorf("spool: mailbox %s: %s has uniqueid %s, mailboxes.db %s", e.Name, hpath, hdr.UniqueID, e.UniqueID)
	}
	fillFromIndex(m, idx, hdr, annots)
	return nil
}

func mailboxFromEntry(e *Entry, owner string) *Mailbox {
	return &Mailbox{UniqueID: e.UniqueID, Name: e.Name, Type: e.Type, Partition: e.Partition, ACL: e.ACL,
		UIDValidity: e.UIDValidity, CreatedModseq: e.CreatedModseq, FolderModseq: e.FolderModseq,
		owner: owner, entry: e}
}

func fillFromIndex(m *Mailbox, idx *index.Index, hdr *header.Header, annots []Annotation) {
	h := &idx.Header
	m.IndexHeader = *h
	m.IndexVersion = h.MinorVersion
	m.SyncCRC, m.SyncCRCAnnot = h.SyncCRCBasic, h.SyncCRCAnnot
	m.LastUID, m.HighestModseq = h.LastUID, h.HighestModseq
	m.RecentUID, m.RecentTime = h.RecentUID, h.RecentTime
	m.LastAppendDate, m.POP3LastLogin, m.POP3ShowAfter = h.LastAppendDate, h.POP3LastLogin, h.POP3ShowAfter
	m.Options = h.Options
	m.QuotaRoot = hdr.QuotaRoot
	m.UserFlags = hdr.UserFlags
	byUID := map[uint32][]Annotation{}
	for _, a := range annots {
		byUID[a.UID] = append(byUID[a.UID], a)
	}
	m.Records = make([]Record, len(idx.Records))
	// Records with the same user-flag bitmap share one (full-capacity)
	// name slice: most mailboxes use few combinations.
	names := map[[4]uint32][]string{}
	for i := range idx.Records {
		r := &idx.Records[i]
		out := &m.Records[i]
		*out = Record{UID: r.UID, Modseq: r.Modseq, LastUpdated: r.LastUpdated, InternalDate: r.InternalDate,
			Size: r.Size, GUID: r.GUID, System: r.SystemFlags | r.InternalFlags,
			SaveDate: r.SaveDate, CreatedModseq: r.CreatedModseq, CID: r.CID, Annotations: byUID[r.UID]}
		if r.UserFlags == [4]uint32{} {
			continue
		}
		uf, ok := names[r.UserFlags]
		if !ok {
			for _, n := range r.UserFlagNumbers() {
				if name := hdr.UserFlag(n); name != "" {
					uf = append(uf, name)
				}
			}
			uf = uf[:len(uf):len(uf)]
			names[r.UserFlags] = uf
		}
		out.UserFlags = uf
	}
}

// RecordPath returns the path of r's message file (on the archive
// partition if archived). Message files are immutable and may be read
// without locks; an expunged record's file may vanish (ENOENT).
func (s *Spool) RecordPath(m *Mailbox, r *Record) (string, error) {
	return s.MessagePath(m.entry, r.UID, r.Archived())
}
