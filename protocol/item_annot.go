package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// Annot is one element of an ANNOTATIONS list, in a RECORD (message
// annotations and the pseudo-annotations thrid, savedate, createdmodseq)
// or in a MAILBOX (mailbox annotations) (protocol.md §4.6.3).
//
// cyrus: imap/sync_support.c encode_annotations, decode_annotations (3.6.1)
type Annot struct {
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

// Key returns "ANNOTATION" (list elements are unnamed on the wire).
func (a *Annot) Key() string { return "ANNOTATION" }

var annotRequired = []string{"ENTRY", "USERID", "MODSEQ", "VALUE"}

// ParseAnnot decodes one ANNOTATIONS element; all four keys are required.
func ParseAnnot(v dlist.Value) (*Annot, error) {
	a := &Annot{}
	if err := a.parse(v); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Annot) parse(v dlist.Value) error {
	r := kvReader{}
	if !r.begin("ANNOTATIONS", v) {
		return r.result()
	}
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "ENTRY":
			if r.first(0, kv) {
				a.Entry = r.str(kv)
			}
		case "USERID":
			if r.first(1, kv) {
				a.UserID = r.str(kv)
			}
		case "MODSEQ":
			if r.first(2, kv) {
				a.Modseq = r.u64(kv)
			}
		case "VALUE":
			if r.first(3, kv) {
				a.Data = r.str(kv)
			}
		default:
			r.keep(kv)
		}
	}
	r.require(annotRequired, 0, 1, 2, 3)
	a.Extra = r.extra
	return r.result()
}

// Value encodes %(ENTRY e USERID u MODSEQ m VALUE v).
func (a *Annot) Value() dlist.Value { return a.value(nil) }

func (a *Annot) value(ar *encArena) dlist.Value {
	w := newKVWriterBuf(ar.kv(4+len(a.Extra)), a.Extra)
	w.add("ENTRY", dlist.String(a.Entry))
	w.add("USERID", dlist.String(a.UserID))
	w.add("MODSEQ", dlist.Uint64(a.Modseq))
	w.add("VALUE", dlist.String(a.Data))
	return w.value()
}

// toSpool converts a to a stored annotation of message uid (0: mailbox).
func (a *Annot) toSpool(uid uint32) spool.Annotation {
	return spool.Annotation{UID: uid, Entry: a.Entry, UserID: a.UserID, Value: []byte(a.Data), Modseq: a.Modseq}
}

// parseAnnots decodes an ANNOTATIONS list; the result is non-nil.
func parseAnnots(items []dlist.Value, ar *arena) ([]Annot, error) {
	var out []Annot
	if ar != nil && cap(ar.annots)-len(ar.annots) >= len(items) {
		n := len(ar.annots)
		ar.annots = ar.annots[:n+len(items)]
		out = ar.annots[n : n+len(items) : n+len(items)]
	} else {
		out = make([]Annot, len(items))
	}
	for i, it := range items {
		if err := out[i].parse(it); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// annotsValue encodes an ANNOTATIONS list.
func annotsValue(as []Annot) dlist.Value {
	items := make([]dlist.Value, len(as))
	for i := range as {
		items[i] = as[i].Value()
	}
	return dlist.List(items...)
}
