package protocol

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// The mailbox family of items (MAILBOX, its RECORDs and their ANNOTATIONS
// lists) converts to and from the spool model here; the other items'
// conversions are beside them (Quota, Seen, LSub). spool/ never imports
// protocol/, so every conversion between the two lives on this side.

// syncOptions are the option bits replication carries, with their letters
// in Cyrus's order.
//
// cyrus: imap/sync_support.c sync_encode_options, sync_parse_options (3.6.1)
var syncOptions = []struct {
	bit    index.Options
	letter byte
}{
	{index.OptPOP3NewUIDL, 'P'}, {index.OptIMAPSharedSeen, 'S'},
	{index.OptIMAPDupDeliver, 'D'}, {index.OptIMAPHasAlarms, 'A'},
}

// EncodeOptions returns the OPTIONS letters of the syncable bits of o.
func EncodeOptions(o index.Options) string {
	var b []byte
	for _, s := range syncOptions {
		if o&s.bit != 0 {
			b = append(b, s.letter)
		}
	}
	return string(b)
}

// ParseOptions returns the bits of OPTIONS letters; unknown letters are
// ignored, as Cyrus does.
func ParseOptions(s string) index.Options {
	var o index.Options
	for i := 0; i < len(s); i++ {
		for _, x := range syncOptions {
			if s[i] == x.letter {
				o |= x.bit
			}
		}
	}
	return o
}

// ParseACL splits a Cyrus ACL string "id TAB rights TAB …" into entries.
// A trailing identifier without rights gets empty rights.
func ParseACL(s string) spool.ACL {
	if s == "" {
		return nil
	}
	f := strings.Split(strings.TrimSuffix(s, "\t"), "\t")
	acl := make(spool.ACL, 0, (len(f)+1)/2)
	for i := 0; i < len(f); i += 2 {
		e := spool.ACLEntry{ID: f[i]}
		if i+1 < len(f) {
			e.Rights = f[i+1]
		}
		acl = append(acl, e)
	}
	return acl
}

// MailboxFromSpool returns the MAILBOX Cyrus 3.6 sends for m (not partial),
// with the RECORD list if records is set (GET FULLMAILBOX, APPLY) and
// without (GET USER, MAILBOXES). Present is set with SetCyrusKeys.
//
// cyrus: imap/sync_support.c sync_prepare_dlists (3.6.1)
func MailboxFromSpool(m *spool.Mailbox, records bool) *Mailbox {
	out := &Mailbox{
		UniqueID: m.UniqueID, Name: m.Name, SyncCRC: m.SyncCRC, SyncCRCAnnot: m.SyncCRCAnnot,
		LastUID: m.LastUID, HighestModseq: m.HighestModseq, RecentUID: m.RecentUID,
		RecentTime: m.RecentTime, LastAppendDate: m.LastAppendDate, POP3LastLogin: m.POP3LastLogin,
		POP3ShowAfter: m.POP3ShowAfter, UIDValidity: m.UIDValidity, Partition: m.Partition,
		ACL: m.ACL.String(), Options: EncodeOptions(m.Options), QuotaRoot: m.QuotaRoot,
		CreatedModseq: m.CreatedModseq, FolderModseq: m.FolderModseq,
		Annotations: ListAnnotationsFromSpool(m.Annotations),
	}
	if t := m.Type &^ spool.TypeLegacyDirs; t != 0 {
		out.Type = t.String()
	}
	if records {
		out.Records = make([]Record, len(m.Records))
		for i := range m.Records {
			out.Records[i] = RecordFromSpool(&m.Records[i], m.IndexVersion)
		}
	}
	out.SetCyrusKeys()
	return out
}

// DefaultIndexVersion is the cyrus.index minor version ToSpool gives a
// mailbox: recent enough (≥ 16) that every pseudo-annotation received
// counts in the CRCs, as it did for the sender.
const DefaultIndexVersion = 19

// ToSpool converts the mailbox to the spool model, with IndexVersion
// DefaultIndexVersion. User flag slots come from USERFLAGS if present,
// else from the user flags of the records in order of appearance; mailbox
// annotations get UID 0. Calling ComputeSyncCRCs on the result recomputes
// SYNC_CRC and SYNC_CRC_ANNOT from the RECORD list.
func (m *Mailbox) ToSpool() *spool.Mailbox {
	out := &spool.Mailbox{
		UniqueID: m.UniqueID, Name: m.Name, Type: spool.ParseMBType(m.Type), Partition: m.Partition,
		ACL: ParseACL(m.ACL), UIDValidity: m.UIDValidity, CreatedModseq: m.CreatedModseq,
		FolderModseq: m.FolderModseq, IndexVersion: DefaultIndexVersion, SyncCRC: m.SyncCRC,
		SyncCRCAnnot: m.SyncCRCAnnot, LastUID: m.LastUID, HighestModseq: m.HighestModseq,
		RecentUID: m.RecentUID, RecentTime: m.RecentTime, LastAppendDate: m.LastAppendDate,
		POP3LastLogin: m.POP3LastLogin, POP3ShowAfter: m.POP3ShowAfter, Options: ParseOptions(m.Options),
		QuotaRoot: m.QuotaRoot, UserFlags: m.UserFlags,
	}
	for i := range m.Annotations {
		out.Annotations = append(out.Annotations, m.Annotations[i].toSpool(0))
	}
	seen := map[string]bool{}
	for _, u := range m.UserFlags {
		seen[u] = true
	}
	out.Records = make([]spool.Record, len(m.Records))
	for i := range m.Records {
		out.Records[i] = m.Records[i].ToSpool()
		if m.UserFlags == nil {
			for _, u := range out.Records[i].UserFlags {
				if !seen[u] {
					seen[u] = true
					out.UserFlags = append(out.UserFlags, u)
				}
			}
		}
	}
	return out
}

// systemFlags maps the lower-cased system flag names to their bits.
//
// cyrus: imap/sync_support.c sync_getflags (3.6.1)
var systemFlags = map[string]spool.Flags{
	`\seen`: index.FlagSeen, `\expunged`: index.FlagExpunged, `\answered`: index.FlagAnswered,
	`\flagged`: index.FlagFlagged, `\deleted`: index.FlagDeleted, `\draft`: index.FlagDraft,
}

// System returns the system and internal (\Expunged) flag bits. Like Cyrus
// it matches system flags case-insensitively and ignores unknown ones.
func (r *Record) System() spool.Flags {
	var f spool.Flags
	for _, name := range r.Flags {
		if strings.HasPrefix(name, `\`) {
			f |= systemFlags[strings.ToLower(name)]
		}
	}
	return f
}

// UserFlags returns the user flags: every flag not starting with `\`.
func (r *Record) UserFlags() []string {
	var out []string
	for _, name := range r.Flags {
		if !strings.HasPrefix(name, `\`) {
			out = append(out, name)
		}
	}
	return out
}

// Expunged reports whether the record carries Cyrus's \Expunged.
func (r *Record) Expunged() bool { return r.System()&index.FlagExpunged != 0 }

// ToSpool converts the record to the spool model: flags split into bits
// and user flags, the pseudo-annotations (thrid, savedate, createdmodseq)
// into CID, SaveDate and CreatedModseq, the other annotations into
// Annotations. With a mailbox of a recent index version (≥ 16), the spool
// CRC functions then give what the sender computed.
//
// cyrus: imap/sync_support.c decode_annotations (3.6.1)
func (r *Record) ToSpool() spool.Record {
	out := spool.Record{
		UID: r.UID, Modseq: r.Modseq, LastUpdated: r.LastUpdated, InternalDate: r.InternalDate,
		Size: uint64(r.Size), GUID: r.GUID, System: r.System(), UserFlags: r.UserFlags(),
	}
	for _, a := range r.Annotations {
		switch a.Entry {
		case spool.AnnotThrID:
			out.CID, _ = strconv.ParseUint(a.Data, 16, 64)
			continue
		case spool.AnnotSaveDate:
			out.SaveDate, _ = strconv.ParseInt(a.Data, 10, 64)
			continue
		case spool.AnnotCreatedModseq:
			out.CreatedModseq, _ = strconv.ParseUint(a.Data, 10, 64)
			continue
		}
		out.Annotations = append(out.Annotations, a.toSpool(r.UID))
	}
	return out
}

// RecordFromSpool returns the RECORD Cyrus sends for r of a mailbox with
// cyrus.index minor version version: flags in Cyrus's order, the stored
// annotations (tombstones left out) sorted by entry, user id and value,
// then the pseudo-annotations the version carries.
//
// cyrus: imap/sync_support.c sync_prepare_dlists, encode_annotations (3.6.1)
func RecordFromSpool(r *spool.Record, version uint32) Record {
	out := Record{
		UID: r.UID, Modseq: r.Modseq, LastUpdated: r.LastUpdated, Flags: r.FlagNames(),
		InternalDate: r.InternalDate, Size: uint32(r.Size), GUID: r.GUID,
	}
	if out.Flags == nil {
		out.Flags = []string{}
	}
	out.Annotations = ListAnnotationsFromSpool(r.Annotations)
	pseudo := func(entry string, v dlist.Value) {
		out.Annotations = append(out.Annotations, ListAnnotation{Entry: entry, Data: v.Text()})
	}
	if r.CID != 0 && version >= 13 {
		pseudo(spool.AnnotThrID, dlist.Hex64(r.CID))
	}
	if r.SaveDate != 0 && version >= 15 {
		pseudo(spool.AnnotSaveDate, dlist.Uint32(uint32(r.SaveDate)))
	}
	if r.CreatedModseq != 0 && version >= 16 {
		pseudo(spool.AnnotCreatedModseq, dlist.Uint64(r.CreatedModseq))
	}
	return out
}

// toSpool converts a to a stored annotation of message uid (0: mailbox).
func (a *ListAnnotation) toSpool(uid uint32) spool.Annotation {
	return spool.Annotation{UID: uid, Entry: a.Entry, UserID: a.UserID, Value: []byte(a.Data), Modseq: a.Modseq}
}

// ListAnnotationsFromSpool converts stored annotations (not tombstones) to
// an ANNOTATIONS list sorted as Cyrus's annotation DB iterates them: by
// entry, then user id; nil if there are none.
//
// cyrus: imap/sync_support.c read_annotations, encode_annotations (3.6.1)
func ListAnnotationsFromSpool(in []spool.Annotation) []ListAnnotation {
	var out []ListAnnotation
	for _, a := range in {
		if a.Deleted || len(a.Value) == 0 {
			continue
		}
		out = append(out, ListAnnotation{Entry: a.Entry, UserID: a.UserID, Modseq: a.Modseq, Data: string(a.Value)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Entry != out[j].Entry {
			return out[i].Entry < out[j].Entry
		}
		return out[i].UserID < out[j].UserID
	})
	return out
}

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
func (r *Record) ParseUpload(slots UserFlagSlots, version uint32, warn func(error)) (index.Record, []ListAnnotation, error) {
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
	var annots []ListAnnotation
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
