package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// Missing is the `* MISSING (<guid> …)` reply item of APPLY RESERVE: the
// GUIDs the replica did not find and wants uploaded.
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
	return parseBare("MISSING", v, parseGUIDList, func(m *Missing) *[]guid.GUID { return &m.GUIDs })
}

// Value encodes the list.
func (m *Missing) Value() dlist.Value { return guidValues(m.GUIDs) }
