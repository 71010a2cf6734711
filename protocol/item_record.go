package protocol

import (
	"encoding/hex"
	"sort"
	"strconv"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// Record is one message of a MAILBOX's RECORD list (protocol.md §4.6.2).
//
// cyrus: imap/sync_support.c sync_prepare_dlists, parse_upload (3.6.1)
type Record struct {
	// UID is the message UID.
	UID uint32
	// Modseq is the record's MODSEQ.
	Modseq uint64
	// LastUpdated is LAST_UPDATED, the time of the last change (seconds).
	LastUpdated int64
	// Flags are the FLAGS as on the wire: system flags (\Seen, and Cyrus's
	// internal \Expunged) then user flags. See System and UserFlags.
	Flags []string
	// InternalDate is the INTERNALDATE (seconds).
	InternalDate int64
	// Size is the message size in bytes.
	Size uint32
	// GUID is the SHA-1 of the message file.
	GUID guid.GUID
	// Annotations are the ANNOTATIONS, pseudo-annotations included; nil
	// when the key is absent (a non-nil empty slice sends "ANNOTATIONS ()").
	Annotations []Annot
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Key returns "RECORD" (the elements of a RECORD list are unnamed on the
// wire; this is the name Cyrus gives them).
func (r *Record) Key() string { return "RECORD" }

// Bits of Record keys in kvReader.seen.
const (
	recUID = iota
	recModseq
	recLastUpdated
	recFlags
	recInternalDate
	recSize
	recGUID
	recAnnotations
)

var recordRequired = []string{"UID", "MODSEQ", "LAST_UPDATED", "FLAGS", "INTERNALDATE", "SIZE", "GUID"}

// ParseRecord decodes one RECORD kvlist. All keys but ANNOTATIONS are
// required, as Cyrus's parse_upload requires them.
func ParseRecord(v dlist.Value) (*Record, error) {
	rec := &Record{}
	if err := rec.parse(v, nil); err != nil {
		return nil, err
	}
	return rec, nil
}

// arena holds backing storage shared by the records of one RECORD list,
// so that parsing 10,000 records does not allocate 20,000 small slices.
type arena struct {
	flags  []string
	annots []Annot
}

// newArena sizes an arena for the records of items.
func newArena(items []dlist.Value) *arena {
	var nf, na int
	for _, it := range items {
		if f, ok := it.Get("FLAGS"); ok {
			nf += f.Len()
		}
		if a, ok := it.Get("ANNOTATIONS"); ok {
			na += a.Len()
		}
	}
	return &arena{flags: make([]string, 0, nf), annots: make([]Annot, 0, na)}
}

func (rec *Record) parse(v dlist.Value, ar *arena) error {
	r := kvReader{}
	if !r.begin("RECORD", v) {
		return r.result()
	}
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "UID":
			if r.first(recUID, kv) {
				rec.UID = r.u32(kv)
			}
		case "MODSEQ":
			if r.first(recModseq, kv) {
				rec.Modseq = r.u64(kv)
			}
		case "LAST_UPDATED":
			if r.first(recLastUpdated, kv) {
				rec.LastUpdated = r.date(kv)
			}
		case "FLAGS":
			if r.first(recFlags, kv) {
				rec.Flags = r.flagList(kv, ar)
			}
		case "INTERNALDATE":
			if r.first(recInternalDate, kv) {
				rec.InternalDate = r.date(kv)
			}
		case "SIZE":
			if r.first(recSize, kv) {
				rec.Size = r.u32(kv)
			}
		case "GUID":
			if r.first(recGUID, kv) {
				rec.GUID = r.guid(kv)
			}
		case "ANNOTATIONS":
			if r.first(recAnnotations, kv) {
				var err error
				rec.Annotations, err = parseAnnots(r.list(kv), ar)
				r.fail(kv.Key, err)
			}
		default:
			r.keep(kv)
		}
	}
	r.require(recordRequired, recUID, recModseq, recLastUpdated, recFlags, recInternalDate, recSize, recGUID)
	rec.Extra = r.extra
	return r.result()
}

// Value encodes the record in Cyrus's key order.
func (r *Record) Value() dlist.Value { return r.value(nil) }

// encArena holds backing storage shared by the encoded records of one
// RECORD list.
type encArena struct {
	kvs  []dlist.KV
	vals []dlist.Value
}

// newEncArena sizes an encArena for recs.
func newEncArena(recs []Record) *encArena {
	nkv, nval := 0, 0
	for i := range recs {
		r := &recs[i]
		nkv += 8 + len(r.Extra)
		nval += len(r.Flags) + len(r.Annotations)
		for j := range r.Annotations {
			nkv += 4 + len(r.Annotations[j].Extra)
		}
	}
	return &encArena{kvs: make([]dlist.KV, 0, nkv), vals: make([]dlist.Value, 0, nval)}
}

// kv returns an empty slice with room for n pairs.
func (a *encArena) kv(n int) []dlist.KV {
	if a == nil || cap(a.kvs)-len(a.kvs) < n {
		return make([]dlist.KV, 0, n)
	}
	l := len(a.kvs)
	a.kvs = a.kvs[:l+n]
	return a.kvs[l : l : l+n]
}

// val returns a slice of n values.
func (a *encArena) val(n int) []dlist.Value {
	if a == nil || cap(a.vals)-len(a.vals) < n {
		return make([]dlist.Value, n)
	}
	l := len(a.vals)
	a.vals = a.vals[:l+n]
	return a.vals[l : l+n : l+n]
}

func (r *Record) value(ar *encArena) dlist.Value {
	w := newKVWriterBuf(ar.kv(8+len(r.Extra)), r.Extra)
	w.add("UID", dlist.Uint32(r.UID))
	w.add("MODSEQ", dlist.Uint64(r.Modseq))
	w.add("LAST_UPDATED", date(r.LastUpdated))
	flags := ar.val(len(r.Flags))
	for i, f := range r.Flags {
		flags[i] = dlist.Flag(f)
	}
	w.add("FLAGS", dlist.List(flags...))
	w.add("INTERNALDATE", date(r.InternalDate))
	w.add("SIZE", dlist.Uint32(r.Size))
	w.add("GUID", guidValue(&r.GUID))
	if r.Annotations != nil {
		items := ar.val(len(r.Annotations))
		for i := range r.Annotations {
			items[i] = r.Annotations[i].value(ar)
		}
		w.add("ANNOTATIONS", dlist.List(items...))
	}
	return w.value()
}

// guidValue returns the 40 lower-case hex digits of g with one allocation.
func guidValue(g *guid.GUID) dlist.Value {
	var b [2 * guid.Size]byte
	hex.Encode(b[:], g[:])
	return dlist.String(string(b[:]))
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
	out.Annotations = annotsFromSpool(r.Annotations)
	pseudo := func(entry string, v dlist.Value) {
		out.Annotations = append(out.Annotations, Annot{Entry: entry, Data: v.Text()})
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

// annotsFromSpool converts stored annotations (not tombstones) to Annots
// sorted as Cyrus's annotation DB iterates them; nil if there are none.
func annotsFromSpool(in []spool.Annotation) []Annot {
	var out []Annot
	for _, a := range in {
		if a.Deleted || len(a.Value) == 0 {
			continue
		}
		out = append(out, Annot{Entry: a.Entry, UserID: a.UserID, Modseq: a.Modseq, Data: string(a.Value)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Entry != out[j].Entry {
			return out[i].Entry < out[j].Entry
		}
		return out[i].UserID < out[j].UserID
	})
	return out
}
