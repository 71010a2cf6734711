package spool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/header"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// crcInitAnnot is CRC_INIT_ANNOT, the annotation sync CRC of an empty
// mailbox (CRC_INIT_BASIC is 0).
const crcInitAnnot = 12345678

// newMailbox is a mailbox just created by createFiles: its name lock
// (exclusive) and its cyrus.index (locked exclusive) are held until close,
// as Cyrus holds them until the mailboxes.db entry is written.
type newMailbox struct {
	lock          *NamedLock
	idx           *os.File
	highestModseq uint64
	uidValidity   uint32
}

func (m *newMailbox) close() {
	if m.idx != nil {
		m.idx.Close()
		m.idx = nil
	}
	m.lock.Release()
	m.lock = nil
}

// createFiles is mailbox_create: it fills in e.UniqueID, e.UIDValidity
// and e.CreatedModseq and writes the mailbox's files. A zero uidvalidity
// becomes now+1 and a zero highestModseq 1 (Cyrus's counters without
// conversations); a given highestModseq makes the quota change silent.
//
// cyrus: imap/mailbox.c mailbox_create, mailbox_commit (3.6.1)
func (s *Spool) createFiles(ctx context.Context, e *Entry, options index.Options, uidvalidity uint32, created, highest uint64, startEmpty bool) (*newMailbox, error) {
	if e.UniqueID == "" {
		id, err := newUniqueID()
		if err != nil {
			return nil, err
		}
		e.UniqueID = id
	}
	lock, err := s.Lock(ctx, MailboxLockName(e), true)
	if err != nil {
		return nil, err
	}
	mb := &newMailbox{lock: lock}
	if err := s.writeNewMailbox(e, mb, options, uidvalidity, created, highest, startEmpty); err != nil {
		mb.close()
		return nil, err
	}
	return mb, nil
}

func (s *Spool) writeNewMailbox(e *Entry, mb *newMailbox, options index.Options, uidvalidity uint32, created, highest uint64, startEmpty bool) error {
	root, err := s.partitionDir(e.Partition)
	if err != nil {
		return fmt.Errorf("%v: %w", err, ErrPartitionUnknown)
	}
	hpath, err := s.MetaPath(e, MetaHeader)
	if err != nil {
		return err
	}
	ipath, err := s.MetaPath(e, MetaIndex)
	if err != nil {
		return err
	}
	data, err := s.MailboxDir(e)
	if err != nil {
		return err
	}
	for _, d := range []string{filepath.Dir(ipath), filepath.Dir(hpath), data} {
		if err := mkdirLike(d, root); err != nil {
			return fmt.Errorf("mkdir %s: %w", d, err)
		}
	}
	if err := s.placeholderEntry(e); err != nil {
		return err
	}
	f, err := os.OpenFile(ipath, os.O_RDWR|os.O_TRUNC|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	mb.idx = f
	chownLike(ipath, root)
	if err := ofd.LockExclusive(f); err != nil {
		return fmt.Errorf("lock %s: %w", ipath, err)
	}
	now := time.Now().Unix()
	if uidvalidity == 0 {
		uidvalidity = uint32(now) + 1
	}
	silent := highest != 0
	if highest == 0 {
		highest = 1
	}
	if created == 0 || created > highest {
		created = highest
	}
	e.UIDValidity, e.CreatedModseq = uidvalidity, created
	mb.highestModseq, mb.uidValidity = highest, uidvalidity
	quotaRoot := s.findQuotaRoot(e.Name)
	if quotaRoot != "" {
		if err := s.updateQuotaUsed(quotaRoot, e.Name, [4]int64{0, 0, 0, 1}, silent); err != nil {
			return err
		}
	}
	hdr := &header.Header{Type: e.Type.String(), Name: e.Name, UniqueID: e.UniqueID, QuotaRoot: quotaRoot}
	for _, a := range e.ACL {
		hdr.ACL = append(hdr.ACL, header.ACLEntry{ID: a.ID, Rights: a.Rights})
	}
	if err := writeHeaderFile(hpath, hdr, root); err != nil {
		return err
	}
	h := index.Header{MinorVersion: s.NewIndexVersion(), StartOffset: index.HeaderSize, RecordSize: index.RecordSize,
		Options: options, UIDValidity: uidvalidity, CreatedModseq: created, HighestModseq: highest,
		ChangesEpoch: now, SyncCRCAnnot: crcInitAnnot, HeaderFileCRC: hdr.FileCRC}
	if startEmpty {
		h.HighestModseq = 0
	}
	buf := make([]byte, index.HeaderSize)
	if err := h.Encode(buf); err != nil {
		return err
	}
	if _, err := f.WriteAt(buf, 0); err != nil {
		return fmt.Errorf("write %s: %w", ipath, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", ipath, err)
	}
	return nil
}

// placeholderEntry writes the first entry of a new user INBOX, "T
// <kind>i" with its uniqueid, unless the uniqueid already has an I record:
// Cyrus needs it to find per-user files while creating the mailbox.
//
// cyrus: imap/mailbox.c mailbox_create (3.6.1)
func (s *Spool) placeholderEntry(e *Entry) error {
	m := s.layout.NS.ParseInternal(e.Name)
	if m.LocalPart == "" || len(m.Boxes) > 0 {
		return nil
	}
	return s.withList(func(t *listTx) error {
		old, err := t.lookupID(e.UniqueID)
		if err != nil || old != nil {
			return err
		}
		return t.update(e.Name, &Entry{Type: e.Type | TypeIntermediate, UniqueID: e.UniqueID})
	})
}

// writeHeaderFile writes cyrus.header through a synced cyrus.header.NEW
// (created 0666 less the umask, owned as owner when running as root)
// renamed over it, setting hdr.FileCRC.
//
// cyrus: imap/mailbox.c mailbox_commit_header (3.6.1)
func writeHeaderFile(path string, hdr *header.Header, owner string) error {
	b, err := hdr.Encode()
	if err != nil {
		return err
	}
	tmp := path + ".NEW"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	if owner != "" {
		chownLike(tmp, owner)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
