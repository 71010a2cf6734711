package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// ApplySeen is `APPLY SEEN %(USERID u UNIQUEID id LASTREAD t LASTUID n
// LASTCHANGE t SEENUIDS s)`: write one seen database entry.
//
// cyrus: imap/sync_support.c update_seen_work, sync_apply_seen (3.6.1)
type ApplySeen struct {
	// Seen is the entry; its UserID is required here.
	Seen *Seen
}

// Verb returns "APPLY".
func (a *ApplySeen) Verb() string { return "APPLY" }

// Key returns "SEEN".
func (a *ApplySeen) Key() string { return "SEEN" }

// Value encodes the entry.
func (a *ApplySeen) Value() dlist.Value { return a.Seen.Value() }

// applySeenTable is seenTable with USERID required, as sync_apply_seen
// requires it.
var applySeenTable = seenTable.requiring("USERID")

// ParseApplySeen decodes the argument of APPLY SEEN.
func ParseApplySeen(v dlist.Value) (*ApplySeen, error) {
	s, err := parse(applySeenTable, v)
	if err != nil {
		return nil, err
	}
	return &ApplySeen{Seen: s}, nil
}
