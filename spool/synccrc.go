package spool

import (
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// syncCRCAnnotInit is the initial value of SYNC_CRC_ANNOT.
const syncCRCAnnotInit = 12345678

// Virtual per-message annotations, derived from index fields.
const (
	AnnotThrID         = "/vendor/cmu/cyrus-imapd/thrid"
	AnnotSaveDate      = "/vendor/cmu/cyrus-imapd/savedate"
	AnnotCreatedModseq = "/vendor/cmu/cyrus-imapd/createdmodseq"
)

var crcFlagNames = []struct {
	bit  Flags
	name string
}{
	{index.FlagDeleted, `\deleted`}, {index.FlagAnswered, `\answered`}, {index.FlagFlagged, `\flagged`},
	{index.FlagDraft, `\draft`}, {index.FlagSeen, `\seen`},
}

// RecordCRCBasic is one record's contribution to SYNC_CRC: the CRC32 of
// "<uid> <modseq> <last_updated> (<flagcrc>) <internaldate> <guid>", where
// flagcrc XORs the CRC32 of every set flag name in lower case.
//
// cyrus: imap/mailbox.c crc_basic (3.6.1)
func RecordCRCBasic(r *Record) uint32 {
	var fc uint32
	for _, f := range crcFlagNames {
		if r.System&f.bit != 0 {
			fc ^= crc32.ChecksumIEEE([]byte(f.name))
		}
	}
	for _, u := range r.UserFlags {
		fc ^= crc32.ChecksumIEEE([]byte(strings.ToLower(u)))
	}
	b := make([]byte, 0, 128)
	b = strconv.AppendUint(b, uint64(r.UID), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, r.Modseq, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, r.LastUpdated, 10)
	b = append(b, " ("...)
	b = strconv.AppendUint(b, uint64(fc), 10)
	b = append(b, ") "...)
	b = strconv.AppendInt(b, r.InternalDate, 10)
	b = append(b, ' ')
	b = append(b, r.GUID.String()...)
	return crc32.ChecksumIEEE(b)
}

// AnnotCRC is crc_annot: the CRC32 of "<uid> <entry> <userid> " followed
// by the value bytes.
//
// cyrus: imap/mailbox.c crc_annot (3.6.1)
func AnnotCRC(uid uint32, entry, userid string, value []byte) uint32 {
	b := strconv.AppendUint(nil, uint64(uid), 10)
	b = append(b, ' ')
	b = append(b, entry...)
	b = append(b, ' ')
	b = append(b, userid...)
	b = append(b, ' ')
	b = append(b, value...)
	return crc32.ChecksumIEEE(b)
}

// RecordCRCAnnot is one record's contribution to SYNC_CRC_ANNOT: its
// virtual annotations (thrid, savedate, createdmodseq, by index version)
// and its stored annotations with a non-empty value.
//
// cyrus: imap/mailbox.c crc_virtannot, crc_annot, mailbox_synccrcs (3.6.1)
func RecordCRCAnnot(r *Record, version uint32) uint32 {
	var c uint32
	if r.CID != 0 && version >= 13 {
		c ^= AnnotCRC(r.UID, AnnotThrID, "", strconv.AppendUint(nil, r.CID, 16))
	}
	if r.SaveDate != 0 && version >= 15 {
		c ^= AnnotCRC(r.UID, AnnotSaveDate, "", strconv.AppendInt(nil, r.SaveDate, 10))
	}
	if r.CreatedModseq != 0 && version >= 16 {
		c ^= AnnotCRC(r.UID, AnnotCreatedModseq, "", strconv.AppendUint(nil, r.CreatedModseq, 10))
	}
	for _, a := range r.Annotations {
		if a.Deleted || len(a.Value) == 0 {
			continue
		}
		switch a.Entry {
		case AnnotThrID, AnnotSaveDate, AnnotCreatedModseq:
			continue
		}
		c ^= AnnotCRC(r.UID, a.Entry, a.UserID, a.Value)
	}
	return c
}

// ComputeSyncCRCs recomputes SYNC_CRC and SYNC_CRC_ANNOT from the records
// (expunged records do not count), as Cyrus does when forced to.
//
// cyrus: imap/mailbox.c mailbox_synccrcs (3.6.1)
func (m *Mailbox) ComputeSyncCRCs() (basic, annot uint32) {
	annot = syncCRCAnnotInit
	for i := range m.Records {
		r := &m.Records[i]
		if r.Expunged() {
			continue
		}
		basic ^= RecordCRCBasic(r)
		annot ^= RecordCRCAnnot(r, m.IndexVersion)
	}
	return basic, annot
}
