package index

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
)

// Supported index versions.
const (
	// MinVersion is the oldest index version this package decodes.
	MinVersion = 17
	// MaxVersion is the newest index version this package decodes.
	MaxVersion = 19
)

// HeaderSize is the index header length of versions 14–19.
const HeaderSize = 160

// RecordSize is the index record length of versions 16–19.
const RecordSize = 112

// Options are the bits of the index header's options word.
//
// cyrus: imap/mailbox.h OPT_* (3.6.1)
type Options uint32

// Mailbox option bits.
const (
	// OptPOP3NewUIDL: POP3 UIDLs are uidvalidity.uid (Cyrus also sets it
	// in memory whenever exists == 0).
	OptPOP3NewUIDL Options = 1 << 0
	// OptIMAPCondstore is obsolete (CONDSTORE was once per mailbox).
	OptIMAPCondstore Options = 1 << 1
	// OptIMAPSharedSeen: one \Seen state shared by all users.
	OptIMAPSharedSeen Options = 1 << 2
	// OptIMAPDupDeliver: duplicate delivery suppression is off.
	OptIMAPDupDeliver Options = 1 << 3
	// OptIMAPHasAlarms: calendar mailbox has alarms.
	OptIMAPHasAlarms Options = 1 << 4
	// OptMailboxNeedsUnlink: expunged files are to be unlinked at close.
	OptMailboxNeedsUnlink Options = 1 << 29
	// OptMailboxNeedsRepack: the index is to be repacked at close.
	OptMailboxNeedsRepack Options = 1 << 30
	// OptMailboxDeleted: the mailbox is being deleted.
	OptMailboxDeleted Options = 1 << 31
)

// Header is a decoded cyrus.index header (versions 17–19). Times are Unix
// seconds (stored in 32 bits).
type Header struct {
	// GenerationNo is incremented by every repack; cyrus.cache starts
	// with the same number.
	GenerationNo uint32
	// Format is always 0.
	Format uint32
	// MinorVersion is the index version (17, 18 or 19).
	MinorVersion uint32
	// StartOffset is the header length = offset of record 1.
	StartOffset uint32
	// RecordSize is the length of one record.
	RecordSize uint32
	// NumRecords is the number of records, including expunged ones.
	NumRecords uint32
	// LastAppendDate is the time of the last append.
	LastAppendDate int64
	// LastUID is the highest UID ever used.
	LastUID uint32
	// QuotaMailboxUsed is the sum of Size over non-expunged records.
	QuotaMailboxUsed uint64
	// POP3LastLogin is the time of the last POP3 login.
	POP3LastLogin int64
	// UIDValidity is the mailbox UIDVALIDITY.
	UIDValidity uint32
	// Deleted counts non-expunged records with \Deleted.
	Deleted uint32
	// Answered counts non-expunged records with \Answered.
	Answered uint32
	// Flagged counts non-expunged records with \Flagged.
	Flagged uint32
	// Options holds the mailbox option bits.
	Options Options
	// LeakedCacheRecords is always 0 in 3.6+.
	LeakedCacheRecords uint32
	// HighestModseq is the mailbox HIGHESTMODSEQ.
	HighestModseq uint64
	// DeletedModseq is the highest modseq of records removed by repack.
	DeletedModseq uint64
	// Exists counts non-expunged records.
	Exists uint32
	// FirstExpunged is the LastUpdated of the oldest expunged record still
	// present (0 = none).
	FirstExpunged int64
	// LastRepackTime is the time of the last repack.
	LastRepackTime int64
	// HeaderFileCRC is the CRC32 of the whole cyrus.header file.
	HeaderFileCRC uint32
	// SyncCRCBasic is the basic sync CRC (SYNC_CRC): the XOR of every
	// non-expunged record's CRC.
	// cyrus: imap/mailbox.c mailbox_synccrcs, crc_basic (3.6.1)
	SyncCRCBasic uint32
	// RecentUID is the last UID the owner has seen as \Recent.
	RecentUID uint32
	// RecentTime is when RecentUID last changed.
	RecentTime int64
	// POP3ShowAfter hides messages older than this from POP3.
	POP3ShowAfter int64
	// QuotaAnnotUsed is the number of bytes of annotation values.
	QuotaAnnotUsed uint32
	// SyncCRCAnnot is the annotation sync CRC (SYNC_CRC_ANNOT).
	// cyrus: imap/mailbox.c mailbox_synccrcs, crc_annot, crc_virtannot (3.6.1)
	SyncCRCAnnot uint32
	// Unseen counts non-expunged records without \Seen (owner's view).
	Unseen uint32
	// CreatedModseq is the modseq at mailbox creation.
	CreatedModseq uint64
	// QuotaDeletedUsed is the sum of Size of non-expunged \Deleted records
	// (version 18+; 0 before).
	QuotaDeletedUsed uint64
	// QuotaExpungedUsed is the sum of Size of expunged, not yet unlinked
	// records (version 18+; 0 before).
	QuotaExpungedUsed uint64
	// ChangesEpoch is the time from which QRESYNC changes are computable.
	ChangesEpoch int64
	// HeaderCRC is the stored CRC32 of the header bytes before it.
	HeaderCRC uint32
}

// headerLayout gives the offsets of the fields that moved between
// versions; -1 = field absent.
//
// cyrus: imap/mailbox.h OFFSET_* and PRE19_OFFSET_* (3.10.0)
type headerLayout struct {
	exists, options, leaked, highestModseq, deletedModseq int
	changesEpoch, quotaDeleted, quotaExpunged             int
}

var (
	layout17 = headerLayout{84, 60, 64, 68, 76, 136, -1, -1}
	layout18 = headerLayout{84, 60, 64, 68, 76, 136, 140, 148}
	layout19 = headerLayout{60, 64, 68, 72, 80, 152, 136, 144}
)

func layoutFor(version uint32) (headerLayout, bool) {
	switch version {
	case 17:
		return layout17, true
	case 18:
		return layout18, true
	case 19:
		return layout19, true
	}
	return headerLayout{}, false
}

// ParseHeader decodes and verifies the index header at the start of b.
// name is used in error messages.
func ParseHeader(name string, b []byte) (Header, error) {
	fe := func(err error, format string, args ...any) error {
		return &FormatError{File: name, Detail: fmt.Sprintf(format, args...), Err: err}
	}
	var h Header
	if len(b) < 12 {
		return h, fe(ErrTruncated, "%d bytes, too short for the version field", len(b))
	}
	be := binary.BigEndian
	u32 := func(off int) uint32 { return be.Uint32(b[off:]) }
	t32 := func(off int) int64 { return int64(be.Uint32(b[off:])) }
	u64 := func(off int) uint64 { return be.Uint64(b[off:]) }
	h.MinorVersion = u32(8)
	lay, ok := layoutFor(h.MinorVersion)
	if !ok {
		return h, fe(ErrVersion, "version %d (supported: %d–%d)", h.MinorVersion, MinVersion, MaxVersion)
	}
	if len(b) < HeaderSize {
		return h, fe(ErrTruncated, "%d bytes, header is %d", len(b), HeaderSize)
	}
	h.GenerationNo = u32(0)
	h.Format = u32(4)
	h.StartOffset = u32(12)
	h.RecordSize = u32(16)
	h.NumRecords = u32(20)
	h.LastAppendDate = t32(24)
	h.LastUID = u32(28)
	h.QuotaMailboxUsed = u64(32)
	h.POP3LastLogin = t32(40)
	h.UIDValidity = u32(44)
	h.Deleted = u32(48)
	h.Answered = u32(52)
	h.Flagged = u32(56)
	h.Exists = u32(lay.exists)
	h.Options = Options(u32(lay.options))
	h.LeakedCacheRecords = u32(lay.leaked)
	h.HighestModseq = u64(lay.highestModseq)
	h.DeletedModseq = u64(lay.deletedModseq)
	h.FirstExpunged = t32(88)
	h.LastRepackTime = t32(92)
	h.HeaderFileCRC = u32(96)
	h.SyncCRCBasic = u32(100)
	h.RecentUID = u32(104)
	h.RecentTime = t32(108)
	h.POP3ShowAfter = t32(112)
	h.QuotaAnnotUsed = u32(116)
	h.SyncCRCAnnot = u32(120)
	h.Unseen = u32(124)
	h.CreatedModseq = u64(128)
	if lay.quotaDeleted >= 0 {
		h.QuotaDeletedUsed = u64(lay.quotaDeleted)
		h.QuotaExpungedUsed = u64(lay.quotaExpunged)
	}
	h.ChangesEpoch = t32(lay.changesEpoch)
	h.HeaderCRC = u32(HeaderSize - 4)
	if got := crc32.ChecksumIEEE(b[:HeaderSize-4]); got != h.HeaderCRC {
		return h, fe(ErrHeaderCRC, "stored %08X, computed %08X", h.HeaderCRC, got)
	}
	if h.StartOffset < HeaderSize || h.RecordSize < RecordSize {
		return h, fe(ErrLayout, "start_offset %d, record_size %d (need ≥ %d, ≥ %d)",
			h.StartOffset, h.RecordSize, HeaderSize, RecordSize)
	}
	return h, nil
}

// RecordOffset returns the file offset of record recno (1-based).
func (h *Header) RecordOffset(recno uint32) int64 {
	if recno == 0 {
		return 0
	}
	// computed in 128 bits; clamp what does not fit in int64
	hi, lo := bits.Mul64(uint64(recno-1), uint64(h.RecordSize))
	lo, carry := bits.Add64(lo, uint64(h.StartOffset), 0)
	if hi != 0 || carry != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

// Size returns the number of bytes the header and its NumRecords records
// occupy, i.e. the minimum valid file size (math.MaxInt64 if that
// overflows).
func (h *Header) Size() int64 {
	if h.NumRecords == math.MaxUint32 {
		return math.MaxInt64
	}
	return h.RecordOffset(h.NumRecords + 1)
}
