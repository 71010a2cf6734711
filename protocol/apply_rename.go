package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyRename is `APPLY RENAME %(OLDMBOXNAME a NEWMBOXNAME b PARTITION p
// UIDVALIDITY n)` or LOCAL_RENAME: rename a mailbox, or move it to
// another partition when both names are equal (protocol.md §4.4.4).
//
// cyrus: imap/sync_support.c folder_rename, sync_apply_rename (3.6.1)
type ApplyRename struct {
	// Local selects LOCAL_RENAME.
	Local bool
	// OldName is OLDMBOXNAME.
	OldName string
	// NewName is NEWMBOXNAME.
	NewName string
	// Partition is the target PARTITION.
	Partition string
	// UIDValidity is UIDVALIDITY (optional on input; Cyrus always sends it).
	UIDValidity uint32
	// NoUIDValidity leaves UIDVALIDITY out.
	NoUIDValidity bool
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Verb returns "APPLY".
func (a *ApplyRename) Verb() string { return "APPLY" }

// Key returns "RENAME" or "LOCAL_RENAME".
func (a *ApplyRename) Key() string { return localKey(a.Local, "RENAME") }

// Value encodes the kvlist in Cyrus's order.
func (a *ApplyRename) Value() dlist.Value {
	w := newKVWriter(4, a.Extra)
	w.add("OLDMBOXNAME", dlist.String(a.OldName))
	w.add("NEWMBOXNAME", dlist.String(a.NewName))
	w.add("PARTITION", dlist.String(a.Partition))
	if !a.NoUIDValidity {
		w.add("UIDVALIDITY", dlist.Uint32(a.UIDValidity))
	}
	return w.value()
}

// ParseApplyRename decodes the argument of APPLY RENAME.
func ParseApplyRename(v dlist.Value) (*ApplyRename, error) {
	a := &ApplyRename{NoUIDValidity: true}
	r := kvReader{}
	if !r.begin("RENAME", v) {
		return nil, r.result()
	}
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "OLDMBOXNAME":
			if r.first(0, kv) {
				a.OldName = r.str(kv)
			}
		case "NEWMBOXNAME":
			if r.first(1, kv) {
				a.NewName = r.str(kv)
			}
		case "PARTITION":
			if r.first(2, kv) {
				a.Partition = r.str(kv)
			}
		case "UIDVALIDITY":
			if r.first(3, kv) {
				a.UIDValidity, a.NoUIDValidity = r.u32(kv), false
			}
		default:
			r.keep(kv)
		}
	}
	r.require([]string{"OLDMBOXNAME", "NEWMBOXNAME", "PARTITION"}, 0, 1, 2)
	a.Extra = r.extra
	if err := r.result(); err != nil {
		return nil, err
	}
	return a, nil
}
