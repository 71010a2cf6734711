package protocol

import (
	"fmt"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// UserFlagSlots gives a user flag its slot in the receiving mailbox's
// cyrus.header, creating it when the mailbox has none (spool.MailboxWriter).
type UserFlagSlots interface {
	AddUserFlag(name string) (int, error)
}

// UploadError is an ANNOTATIONS-independent problem of one record in an
// upload: an unknown system flag (Cyrus logs and ignores it) or a user
// flag that could not be given a slot (Cyrus fails the record).
type UploadError struct {
	// Flag is the flag concerned.
	Flag string
	// Fatal tells whether the record was refused.
	Fatal bool
	// Err is the slot error, for a refused user flag.
	Err error
}

func (e *UploadError) Error() string {
	if e.Fatal {
		return "Unable to record user flag: " + e.Flag
	}
	return "Unknown system flag: " + e.Flag
}

func (e *UploadError) Unwrap() error { return e.Err }

// ParseUpload is Cyrus's parse_upload: a RECORD as an index record of the
// receiving mailbox (cyrus.index minor version version) — system flags and
// \Expunged as bits, user flags as slots of slots (created as needed, as
// Cyrus does even before anything is written), and the pseudo-annotations
// thrid, savedate and createdmodseq as record fields where the version
// has them. The other annotations are returned. Unknown system flags are
// reported through warn and ignored.
//
// cyrus: imap/sync_support.c parse_upload, sync_getflags,
// decode_annotations (3.6.1)
func (r *Record) ParseUpload(slots UserFlagSlots, version uint32, warn func(error)) (index.Record, []Annot, error) {
	rec := index.Record{UID: r.UID, Modseq: r.Modseq, LastUpdated: r.LastUpdated, InternalDate: r.InternalDate,
		Size: uint64(r.Size), GUID: r.GUID}
	for _, f := range r.Flags {
		if strings.HasPrefix(f, `\`) {
			bit, ok := systemFlags[strings.ToLower(f)]
			switch {
			case !ok:
				warn(&UploadError{Flag: strings.ToLower(f)})
			case bit == index.FlagExpunged:
				rec.InternalFlags |= bit
			default:
				rec.SystemFlags |= bit
			}
			continue
		}
		n, err := slots.AddUserFlag(f)
		if err != nil {
			return rec, nil, &UploadError{Flag: f, Fatal: true, Err: err}
		}
		rec.UserFlags[n/32] |= 1 << (n % 32)
	}
	var annots []Annot
	for _, a := range r.Annotations {
		switch {
		case a.Entry == spool.AnnotThrID && version >= 13:
			fmt.Sscanf(a.Data, "%x", &rec.CID)
		case a.Entry == spool.AnnotSaveDate && version >= 15:
			fmt.Sscanf(a.Data, "%d", &rec.SaveDate)
		case a.Entry == spool.AnnotCreatedModseq && version >= 16:
			fmt.Sscanf(a.Data, "%d", &rec.CreatedModseq)
		default:
			annots = append(annots, a)
		}
	}
	return rec, annots, nil
}
