package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// Annotation is a mailbox-level annotation: the `* ANNOTATION` reply item
// of GET ANNOTATION and the argument of APPLY ANNOTATION (protocol.md
// §4.3, §4.4.8). It carries no MODSEQ.
//
// cyrus: imap/sync_support.c getannotation_cb, folder_setannotation,
// sync_apply_annotation (3.6.1)
type Annotation struct {
	// MboxName is the mailbox, "" for a server annotation.
	MboxName string
	// Entry is the Cyrus-internal entry name, e.g. "/comment".
	Entry string
	// UserID is "" for the shared value, else the owner of a private one.
	UserID string
	// Data is the VALUE, binary-safe.
	Data string
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Key returns "ANNOTATION".
func (a *Annotation) Key() string { return "ANNOTATION" }

var annotationRequired = []string{"MBOXNAME", "ENTRY", "USERID", "VALUE"}

// ParseAnnotation decodes an ANNOTATION kvlist; all four keys are required.
func ParseAnnotation(v dlist.Value) (*Annotation, error) {
	a := &Annotation{}
	r := kvReader{}
	if !r.begin("ANNOTATION", v) {
		return nil, r.result()
	}
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "MBOXNAME":
			if r.first(0, kv) {
				a.MboxName = r.str(kv)
			}
		case "ENTRY":
			if r.first(1, kv) {
				a.Entry = r.str(kv)
			}
		case "USERID":
			if r.first(2, kv) {
				a.UserID = r.str(kv)
			}
		case "VALUE":
			if r.first(3, kv) {
				a.Data = r.str(kv)
			}
		default:
			r.keep(kv)
		}
	}
	r.require(annotationRequired, 0, 1, 2, 3)
	a.Extra = r.extra
	if err := r.result(); err != nil {
		return nil, err
	}
	return a, nil
}

// Value encodes %(MBOXNAME m ENTRY e USERID u VALUE v).
func (a *Annotation) Value() dlist.Value {
	w := newKVWriter(4, a.Extra)
	w.add("MBOXNAME", dlist.String(a.MboxName))
	w.add("ENTRY", dlist.String(a.Entry))
	w.add("USERID", dlist.String(a.UserID))
	w.add("VALUE", dlist.String(a.Data))
	return w.value()
}
