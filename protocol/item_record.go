package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// Record is one message of a MAILBOX's RECORD list.
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
	Annotations []ListAnnotation
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Key returns "RECORD" (the elements of a RECORD list are unnamed on the
// wire; this is the name Cyrus gives them).
func (r *Record) Key() string { return "RECORD" }

// recordTable: every key but ANNOTATIONS is required, as parse_upload
// requires them. The records of one RECORD list share arenas.
var recordTable = newTable("RECORD", func(r *Record) *[]Extra { return &r.Extra },
	u32Key("UID", func(r *Record) *uint32 { return &r.UID }).required(),
	u64Key("MODSEQ", func(r *Record) *uint64 { return &r.Modseq }).required(),
	dateKey("LAST_UPDATED", func(r *Record) *int64 { return &r.LastUpdated }).required(),
	flagsKey("FLAGS", func(r *Record) *[]string { return &r.Flags }).required(),
	dateKey("INTERNALDATE", func(r *Record) *int64 { return &r.InternalDate }).required(),
	u32Key("SIZE", func(r *Record) *uint32 { return &r.Size }).required(),
	guidKey("GUID", func(r *Record) *guid.GUID { return &r.GUID }).required(),
	itemsKey("ANNOTATIONS", func(r *Record) *[]ListAnnotation { return &r.Annotations }, listAnnotationTable).omitZero(),
).withArenas(newArena, newEncArena)

// ParseRecord decodes one RECORD kvlist.
func ParseRecord(v dlist.Value) (*Record, error) { return parse(recordTable, v) }

// Value encodes the record in Cyrus's key order.
func (r *Record) Value() dlist.Value { return recordTable.encode(r, nil) }

// newArena sizes a parse arena for the records of items, parsed with t.
// It looks for FLAGS and ANNOTATIONS where t has them first (records come
// with their keys in that order), then anywhere.
func newArena(t *table[Record], items []dlist.Value) *arena {
	fi, ai := t.index("FLAGS", 0), t.index("ANNOTATIONS", 0)
	get := func(it dlist.Value, i int, key string) int {
		if p := it.Pairs(); i < len(p) && p[i].Key == key {
			return p[i].Value.Len()
		}
		v, _ := it.Get(key)
		return v.Len()
	}
	var nf, na int
	for _, it := range items {
		nf += get(it, fi, "FLAGS")
		na += get(it, ai, "ANNOTATIONS")
	}
	return &arena{flags: make([]string, 0, nf), annots: make([]ListAnnotation, 0, na)}
}

// newEncArena sizes an encode arena for recs, encoded with t.
func newEncArena(t *table[Record], recs []Record) *encArena {
	nkv, nval := 0, len(recs)
	for i := range recs {
		r := &recs[i]
		nkv += len(t.fields) + len(r.Extra)
		nval += len(r.Flags) + len(r.Annotations)
		for j := range r.Annotations {
			nkv += len(listAnnotationTable.fields) + len(r.Annotations[j].Extra)
		}
	}
	return &encArena{kvs: make([]dlist.KV, 0, nkv), vals: make([]dlist.Value, 0, nval)}
}
