package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// Missing is the `* MISSING (<guid> …)` reply item of APPLY RESERVE: the
// GUIDs the replica did not find and wants uploaded (protocol.md §4.4.2).
//
// cyrus: imap/sync_support.c sync_apply_reserve (3.6.1)
type Missing struct {
	// GUIDs are the message GUIDs not found.
	GUIDs []guid.GUID
}

// Key returns "MISSING".
func (m *Missing) Key() string { return "MISSING" }

// ParseMissing decodes a list of GUIDs.
func ParseMissing(v dlist.Value) (*Missing, error) {
	gs, err := parseGUIDList("MISSING", v)
	if err != nil {
		return nil, err
	}
	return &Missing{GUIDs: gs}, nil
}

// Value encodes the list.
func (m *Missing) Value() dlist.Value { return guidValues(m.GUIDs) }

// parseGUIDList reads a list of GUIDs.
func parseGUIDList(item string, v dlist.Value) ([]guid.GUID, error) {
	items, err := v.AsList()
	if err != nil {
		return nil, &FieldError{Item: item, Err: err}
	}
	out := make([]guid.GUID, len(items))
	for i, it := range items {
		g, err := it.AsGUID()
		if err != nil {
			return nil, &FieldError{Item: item, Err: err}
		}
		out[i] = g
	}
	return out, nil
}

// guidValues encodes a list of GUIDs.
func guidValues(gs []guid.GUID) dlist.Value {
	items := make([]dlist.Value, len(gs))
	for i, g := range gs {
		items[i] = dlist.GUID(g)
	}
	return dlist.List(items...)
}
