package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ListAnnotation is one element of an ANNOTATIONS list: in a RECORD
// (message annotations and the pseudo-annotations thrid, savedate,
// createdmodseq) or in a MAILBOX (mailbox annotations). Unlike a
// MailboxAnnotation it carries a MODSEQ and no MBOXNAME: the item holding
// the list says whose annotation it is.
//
// cyrus: imap/sync_support.c encode_annotations, decode_annotations (3.6.1)
type ListAnnotation struct {
	// Entry is the Cyrus-internal entry name, e.g. "/comment".
	Entry string
	// UserID is "" for the shared value, else the owner of a private one.
	UserID string
	// Modseq is the annotation's modseq (0 for pseudo-annotations).
	Modseq uint64
	// Data is the VALUE, binary-safe.
	Data string
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// listAnnotationTable: all four keys are required, as decode_annotations
// requires them. The elements of a RECORD list's ANNOTATIONS come from the
// list's arena.
var listAnnotationTable = newTable("ANNOTATIONS", func(a *ListAnnotation) *[]Extra { return &a.Extra },
	strKey("ENTRY", func(a *ListAnnotation) *string { return &a.Entry }).required(),
	strKey("USERID", func(a *ListAnnotation) *string { return &a.UserID }).required(),
	u64Key("MODSEQ", func(a *ListAnnotation) *uint64 { return &a.Modseq }).required(),
	strKey("VALUE", func(a *ListAnnotation) *string { return &a.Data }).required(),
).allocFrom((*arena).annotSlots)

// Key returns "ANNOTATION" (list elements are unnamed on the wire).
func (a *ListAnnotation) Key() string { return "ANNOTATION" }

// ParseListAnnotation decodes one ANNOTATIONS element.
func ParseListAnnotation(v dlist.Value) (*ListAnnotation, error) {
	return parse(listAnnotationTable, v)
}

// Value encodes %(ENTRY e USERID u MODSEQ m VALUE v).
func (a *ListAnnotation) Value() dlist.Value { return listAnnotationTable.encode(a, nil) }
