package protocol

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// ApplyReserve is `APPLY RESERVE %(PARTITION p MBOXNAME (m …) GUID (g …))`:
// the replica stages the files it already has; the reply's MISSING item
// lists the others (protocol.md §4.4.2).
//
// cyrus: imap/sync_support.c sync_reserve_partition, sync_apply_reserve (3.6.1)
type ApplyReserve struct {
	// Partition is the replica partition to stage files on.
	Partition string
	// MboxNames are the replica mailboxes to search.
	MboxNames []string
	// GUIDs are the files wanted.
	GUIDs []guid.GUID
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Verb returns "APPLY".
func (a *ApplyReserve) Verb() string { return "APPLY" }

// Key returns "RESERVE".
func (a *ApplyReserve) Key() string { return "RESERVE" }

// Value encodes the kvlist in Cyrus's order.
func (a *ApplyReserve) Value() dlist.Value {
	w := newKVWriter(3, a.Extra)
	w.add("PARTITION", dlist.String(a.Partition))
	w.add("MBOXNAME", strValues(a.MboxNames))
	w.add("GUID", guidValues(a.GUIDs))
	return w.value()
}

// ParseApplyReserve decodes the argument of APPLY RESERVE; all keys are
// required.
func ParseApplyReserve(v dlist.Value) (*ApplyReserve, error) {
	a := &ApplyReserve{}
	r := kvReader{}
	if !r.begin("RESERVE", v) {
		return nil, r.result()
	}
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "PARTITION":
			if r.first(0, kv) {
				a.Partition = r.str(kv)
			}
		case "MBOXNAME":
			if r.first(1, kv) {
				a.MboxNames = r.strList(kv)
			}
		case "GUID":
			if r.first(2, kv) {
				var err error
				a.GUIDs, err = parseGUIDList("GUID", kv.Value)
				r.fail(kv.Key, err)
			}
		default:
			r.keep(kv)
		}
	}
	r.require([]string{"PARTITION", "MBOXNAME", "GUID"}, 0, 1, 2)
	a.Extra = r.extra
	if err := r.result(); err != nil {
		return nil, err
	}
	return a, nil
}

// Reserve sends APPLY RESERVE and returns the GUIDs the replica is missing.
func (c *Client) Reserve(ctx context.Context, a *ApplyReserve) ([]guid.GUID, error) {
	resp, err := c.Do(ctx, a)
	if err != nil {
		return nil, err
	}
	var out []guid.GUID
	for _, it := range resp.Items {
		if it.Key != "MISSING" {
			continue
		}
		m, err := ParseMissing(it.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, m.GUIDs...)
	}
	return out, nil
}
