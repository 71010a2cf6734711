package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyExpunge is `APPLY EXPUNGE %(MBOXNAME m UNIQUEID u UID (n …))`: mark
// replica records \Expunged, the last step of a FULLMAILBOX reconciliation
// (protocol.md §4.4.6).
//
// cyrus: imap/sync_support.c mailbox_full_update, sync_apply_expunge (3.6.1)
type ApplyExpunge struct {
	// MboxName is the mailbox.
	MboxName string
	// UniqueID is the mailbox's uniqueid (checked by the replica).
	UniqueID string
	// UIDs are the records to expunge.
	UIDs []uint32
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Verb returns "APPLY".
func (a *ApplyExpunge) Verb() string { return "APPLY" }

// Key returns "EXPUNGE".
func (a *ApplyExpunge) Key() string { return "EXPUNGE" }

// Value encodes the kvlist in Cyrus's order.
func (a *ApplyExpunge) Value() dlist.Value {
	w := newKVWriter(3, a.Extra)
	w.add("MBOXNAME", dlist.String(a.MboxName))
	w.add("UNIQUEID", dlist.String(a.UniqueID))
	uids := make([]dlist.Value, len(a.UIDs))
	for i, u := range a.UIDs {
		uids[i] = dlist.Uint32(u)
	}
	w.add("UID", dlist.List(uids...))
	return w.value()
}

// ParseApplyExpunge decodes the argument of APPLY EXPUNGE; all keys are
// required.
func ParseApplyExpunge(v dlist.Value) (*ApplyExpunge, error) {
	a := &ApplyExpunge{}
	r := kvReader{}
	if !r.begin("EXPUNGE", v) {
		return nil, r.result()
	}
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "MBOXNAME":
			if r.first(0, kv) {
				a.MboxName = r.str(kv)
			}
		case "UNIQUEID":
			if r.first(1, kv) {
				a.UniqueID = r.str(kv)
			}
		case "UID":
			if r.first(2, kv) {
				items := r.list(kv)
				a.UIDs = make([]uint32, len(items))
				for i, it := range items {
					n, err := it.AsUint32()
					r.fail(kv.Key, err)
					a.UIDs[i] = n
				}
			}
		default:
			r.keep(kv)
		}
	}
	r.require([]string{"MBOXNAME", "UNIQUEID", "UID"}, 0, 1, 2)
	a.Extra = r.extra
	if err := r.result(); err != nil {
		return nil, err
	}
	return a, nil
}
