package index

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/bits"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// Flags are the bits of a record's system_flags word. On disk the low 16
// bits are the IMAP system flags and the high 16 bits Cyrus-internal
// flags; Record keeps them apart in SystemFlags and InternalFlags as Cyrus
// does in memory.
//
// cyrus: imap/mailbox.h FLAG_* and FLAG_INTERNAL_* (3.6.1)
type Flags uint32

// System flags (low 16 bits).
const (
	// FlagAnswered is \Answered.
	FlagAnswered Flags = 1 << 0
	// FlagFlagged is \Flagged.
	FlagFlagged Flags = 1 << 1
	// FlagDeleted is \Deleted.
	FlagDeleted Flags = 1 << 2
	// FlagDraft is \Draft.
	FlagDraft Flags = 1 << 3
	// FlagSeen is \Seen (the mailbox owner's, unless SHAREDSEEN).
	FlagSeen Flags = 1 << 4
)

// Internal flags (high 16 bits).
const (
	// FlagSnoozed marks a snoozed message (JMAP).
	FlagSnoozed Flags = 1 << 26
	// FlagSplitConversation marks a record split off its conversation.
	FlagSplitConversation Flags = 1 << 27
	// FlagNeedsCleanup marks a record whose file is to be cleaned up.
	FlagNeedsCleanup Flags = 1 << 28
	// FlagArchived: file and cache entry live on the archive partition.
	FlagArchived Flags = 1 << 29
	// FlagUnlinked: the message file has been removed.
	FlagUnlinked Flags = 1 << 30
	// FlagExpunged: the message is expunged (record kept until repack).
	FlagExpunged Flags = 1 << 31
)

const (
	systemMask   Flags = 0x0000FFFF
	internalMask Flags = 0xFFFF0000
)

// MaxUserFlags is the number of user flags a mailbox can have.
const MaxUserFlags = 128

// Record is one decoded cyrus.index record (versions 17–19). Times are
// Unix seconds.
type Record struct {
	// UID is the message UID; records are sorted by UID.
	UID uint32
	// InternalDate is the IMAP INTERNALDATE.
	InternalDate int64
	// SentDate is the Date: header's day at 00:00 local time of the
	// Cyrus process.
	SentDate int64
	// Size is the message file size in bytes.
	Size uint64
	// HeaderSize is the length of the message header incl. the blank line.
	HeaderSize uint32
	// GMTime is the Date: header as UTC time.
	GMTime int64
	// CacheOffset is the offset of the cyrus.cache entry (48 bits: the
	// low 32 from the cache_offset field, bits 32–47 from the high half
	// of the cache_version field).
	CacheOffset uint64
	// LastUpdated is the time of the record's last change.
	LastUpdated int64
	// SystemFlags holds the IMAP system flags (low 16 bits of the stored
	// word).
	SystemFlags Flags
	// InternalFlags holds the Cyrus internal flags (high 16 bits of the
	// stored word): expunged, unlinked, archived, ...
	InternalFlags Flags
	// UserFlags is the user-flag bitmap: flag n is bit n%32 of word n/32;
	// its name is slot n of the cyrus.header user-flag list.
	UserFlags [MaxUserFlags / 32]uint32
	// SaveDate is when the message was appended to this mailbox.
	SaveDate int64
	// CacheVersion is the cache format version (low 16 bits of the
	// cache_version field; 11 in 3.6).
	CacheVersion uint16
	// GUID is the SHA-1 of the message file.
	GUID guid.GUID
	// Modseq is the record's modification sequence.
	Modseq uint64
	// CID is the conversation id (0 unless conversations are on).
	CID uint64
	// CreatedModseq is the modseq at which the record was created.
	CreatedModseq uint64
	// CacheCRC is the CRC32 of the record's cyrus.cache entry.
	CacheCRC uint32
	// RecordCRC is the stored CRC32 of the record's first 108 bytes.
	RecordCRC uint32
}

// Expunged reports whether the record is expunged.
func (r *Record) Expunged() bool { return r.InternalFlags&FlagExpunged != 0 }

// Unlinked reports whether the record's message file has been removed.
func (r *Record) Unlinked() bool { return r.InternalFlags&FlagUnlinked != 0 }

// Archived reports whether the message lives on the archive partition.
func (r *Record) Archived() bool { return r.InternalFlags&FlagArchived != 0 }

// HasUserFlag reports whether user flag n (0 ≤ n < 128) is set.
func (r *Record) HasUserFlag(n int) bool {
	if n < 0 || n >= MaxUserFlags {
		return false
	}
	return r.UserFlags[n/32]&(1<<(n%32)) != 0
}

// UserFlagNumbers returns the numbers of the set user flags, ascending.
func (r *Record) UserFlagNumbers() []int {
	var out []int
	for w, word := range r.UserFlags {
		for word != 0 {
			b := bits.TrailingZeros32(word)
			out = append(out, w*32+b)
			word &^= 1 << b
		}
	}
	return out
}

// Record field offsets, identical in versions 16–19.
//
// cyrus: imap/mailbox.h OFFSET_UID … OFFSET_RECORD_CRC (3.6.1, 3.10.0)
const (
	offUID           = 0
	offInternalDate  = 4
	offSentDate      = 8
	offSize          = 12
	offHeaderSize    = 16
	offGMTime        = 20
	offCacheOffset   = 24
	offLastUpdated   = 28
	offSystemFlags   = 32
	offUserFlags     = 36
	offSaveDate      = 52
	offCacheVersion  = 56
	offGUID          = 60
	offModseq        = 80
	offCID           = 88
	offCreatedModseq = 96
	offCacheCRC      = 104
	offRecordCRC     = 108
)

// ParseRecord decodes one record of the given index version from b (at
// least RecordSize bytes) and verifies its CRC. A CRC mismatch returns the
// decoded record together with an error wrapping ErrRecordCRC.
func ParseRecord(b []byte, version uint32) (Record, error) {
	var r Record
	if _, ok := layoutFor(version); !ok {
		return r, fmt.Errorf("%w: version %d", ErrVersion, version)
	}
	if len(b) < RecordSize {
		return r, fmt.Errorf("%w: record is %d bytes, want %d", ErrTruncated, len(b), RecordSize)
	}
	decodeRecord(&r, b)
	if got := crc32.ChecksumIEEE(b[:offRecordCRC]); got != r.RecordCRC {
		return r, fmt.Errorf("%w: stored %08X, computed %08X", ErrRecordCRC, r.RecordCRC, got)
	}
	return r, nil
}

// decodeRecord fills r from the RecordSize bytes of b (no checks).
func decodeRecord(r *Record, b []byte) {
	be := binary.BigEndian
	b = b[:RecordSize]
	r.UID = be.Uint32(b[offUID:])
	r.InternalDate = int64(be.Uint32(b[offInternalDate:]))
	r.SentDate = int64(be.Uint32(b[offSentDate:]))
	r.Size = uint64(be.Uint32(b[offSize:]))
	r.HeaderSize = be.Uint32(b[offHeaderSize:])
	r.GMTime = int64(be.Uint32(b[offGMTime:]))
	cacheOffset := uint64(be.Uint32(b[offCacheOffset:]))
	r.LastUpdated = int64(be.Uint32(b[offLastUpdated:]))
	f := Flags(be.Uint32(b[offSystemFlags:]))
	r.SystemFlags = f & systemMask
	r.InternalFlags = f & internalMask
	for i := range r.UserFlags {
		r.UserFlags[i] = be.Uint32(b[offUserFlags+4*i:])
	}
	r.SaveDate = int64(be.Uint32(b[offSaveDate:]))
	cv := be.Uint32(b[offCacheVersion:])
	r.CacheVersion = uint16(cv)
	r.CacheOffset = cacheOffset | uint64(cv>>16)<<32
	copy(r.GUID[:], b[offGUID:offGUID+guid.Size])
	r.Modseq = be.Uint64(b[offModseq:])
	r.CID = be.Uint64(b[offCID:])
	r.CreatedModseq = be.Uint64(b[offCreatedModseq:])
	r.CacheCRC = be.Uint32(b[offCacheCRC:])
	r.RecordCRC = be.Uint32(b[offRecordCRC:])
}
