package index

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Encode writes r as a record of the given index version into
// b[:RecordSize], zeroing what the record does not use, and stores the
// computed CRC in r.RecordCRC (and in b). The cache offset is split as
// Cyrus splits it: low 32 bits in the offset field, bits 32–47 in the high
// half of the cache_version field.
//
// cyrus: imap/mailbox.c mailbox_index_record_to_buf (3.6.1)
func (r *Record) Encode(b []byte, version uint32) error {
	if _, ok := layoutFor(version); !ok {
		return fmt.Errorf("%w: version %d", ErrVersion, version)
	}
	if len(b) < RecordSize {
		return fmt.Errorf("%w: buffer of %d bytes for a %d-byte record", ErrTruncated, len(b), RecordSize)
	}
	if r.CacheOffset >= 1<<48 {
		return fmt.Errorf("index: cache offset %d of uid %d does not fit in 48 bits", r.CacheOffset, r.UID)
	}
	be := binary.BigEndian
	b = b[:RecordSize]
	clear(b)
	be.PutUint32(b[offUID:], r.UID)
	be.PutUint32(b[offInternalDate:], uint32(r.InternalDate))
	be.PutUint32(b[offSentDate:], uint32(r.SentDate))
	be.PutUint32(b[offSize:], uint32(r.Size))
	be.PutUint32(b[offHeaderSize:], r.HeaderSize)
	be.PutUint32(b[offGMTime:], uint32(r.GMTime))
	be.PutUint32(b[offCacheOffset:], uint32(r.CacheOffset))
	be.PutUint32(b[offLastUpdated:], uint32(r.LastUpdated))
	be.PutUint32(b[offSystemFlags:], uint32(r.SystemFlags&systemMask|r.InternalFlags&internalMask))
	for i, w := range r.UserFlags {
		be.PutUint32(b[offUserFlags+4*i:], w)
	}
	be.PutUint32(b[offSaveDate:], uint32(r.SaveDate))
	be.PutUint32(b[offCacheVersion:], uint32(r.CacheVersion)|uint32(r.CacheOffset>>32)<<16)
	copy(b[offGUID:], r.GUID[:])
	be.PutUint64(b[offModseq:], r.Modseq)
	be.PutUint64(b[offCID:], r.CID)
	be.PutUint64(b[offCreatedModseq:], r.CreatedModseq)
	be.PutUint32(b[offCacheCRC:], r.CacheCRC)
	r.RecordCRC = crc32.ChecksumIEEE(b[:offRecordCRC])
	be.PutUint32(b[offRecordCRC:], r.RecordCRC)
	return nil
}

// Encode writes h over b[:HeaderSize], which should hold the header as
// read from disk: every field Header decodes is written at its version's
// offset, bytes Header does not know are left as they are, and the header
// CRC is recomputed into h.HeaderCRC (and b).
//
// cyrus: imap/mailbox.c mailbox_index_header_to_buf (3.6.1)
func (h *Header) Encode(b []byte) error {
	lay, ok := layoutFor(h.MinorVersion)
	if !ok {
		return fmt.Errorf("%w: version %d", ErrVersion, h.MinorVersion)
	}
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: buffer of %d bytes for a %d-byte header", ErrTruncated, len(b), HeaderSize)
	}
	be := binary.BigEndian
	p32 := func(off int, v uint32) { be.PutUint32(b[off:], v) }
	t32 := func(off int, v int64) { be.PutUint32(b[off:], uint32(v)) }
	p64 := func(off int, v uint64) { be.PutUint64(b[off:], v) }
	p32(0, h.GenerationNo)
	p32(4, h.Format)
	p32(8, h.MinorVersion)
	p32(12, h.StartOffset)
	p32(16, h.RecordSize)
	p32(20, h.NumRecords)
	t32(24, h.LastAppendDate)
	p32(28, h.LastUID)
	p64(32, h.QuotaMailboxUsed)
	t32(40, h.POP3LastLogin)
	p32(44, h.UIDValidity)
	p32(48, h.Deleted)
	p32(52, h.Answered)
	p32(56, h.Flagged)
	p32(lay.exists, h.Exists)
	p32(lay.options, uint32(h.Options))
	p32(lay.leaked, h.LeakedCacheRecords)
	p64(lay.highestModseq, h.HighestModseq)
	p64(lay.deletedModseq, h.DeletedModseq)
	t32(88, h.FirstExpunged)
	t32(92, h.LastRepackTime)
	p32(96, h.HeaderFileCRC)
	p32(100, h.SyncCRCBasic)
	p32(104, h.RecentUID)
	t32(108, h.RecentTime)
	t32(112, h.POP3ShowAfter)
	p32(116, h.QuotaAnnotUsed)
	p32(120, h.SyncCRCAnnot)
	p32(124, h.Unseen)
	p64(128, h.CreatedModseq)
	if lay.quotaDeleted >= 0 {
		p64(lay.quotaDeleted, h.QuotaDeletedUsed)
		p64(lay.quotaExpunged, h.QuotaExpungedUsed)
	}
	t32(lay.changesEpoch, h.ChangesEpoch)
	h.HeaderCRC = crc32.ChecksumIEEE(b[:HeaderSize-4])
	p32(HeaderSize-4, h.HeaderCRC)
	return nil
}
