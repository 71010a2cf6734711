package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyExpunge is `APPLY EXPUNGE %(MBOXNAME m UNIQUEID u UID (n …))`: mark
// replica records \Expunged, the last step of a FULLMAILBOX
// reconciliation.
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

// expungeTable: all keys are required, as sync_apply_expunge requires them.
var expungeTable = newTable("EXPUNGE", func(a *ApplyExpunge) *[]Extra { return &a.Extra },
	strKey("MBOXNAME", func(a *ApplyExpunge) *string { return &a.MboxName }).required(),
	strKey("UNIQUEID", func(a *ApplyExpunge) *string { return &a.UniqueID }).required(),
	u32sKey("UID", func(a *ApplyExpunge) *[]uint32 { return &a.UIDs }).required(),
)

// Value encodes the kvlist in Cyrus's order.
func (a *ApplyExpunge) Value() dlist.Value { return expungeTable.encode(a, nil) }

// ParseApplyExpunge decodes the argument of APPLY EXPUNGE.
func ParseApplyExpunge(v dlist.Value) (*ApplyExpunge, error) { return parse(expungeTable, v) }
