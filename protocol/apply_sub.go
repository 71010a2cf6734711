package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplySub is `APPLY SUB %(USERID u MBOXNAME m)` or, with Unsub, `APPLY
// UNSUB %(…)`: (un)subscribe a user to a mailbox.
//
// cyrus: imap/sync_support.c sync_set_sub, sync_apply_changesub (3.6.1)
type ApplySub struct {
	// Unsub selects UNSUB.
	Unsub bool
	// UserID is the user.
	UserID string
	// MboxName is the internal mailbox name.
	MboxName string
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// subTable: both keys are required, as sync_apply_changesub requires them.
var subTable = newTable("SUB", func(a *ApplySub) *[]Extra { return &a.Extra },
	strKey("USERID", func(a *ApplySub) *string { return &a.UserID }).required(),
	strKey("MBOXNAME", func(a *ApplySub) *string { return &a.MboxName }).required(),
)

// Verb returns "APPLY".
func (a *ApplySub) Verb() string { return "APPLY" }

// Key returns "SUB" or "UNSUB".
func (a *ApplySub) Key() string {
	if a.Unsub {
		return "UNSUB"
	}
	return "SUB"
}

// Value encodes %(USERID u MBOXNAME m).
func (a *ApplySub) Value() dlist.Value { return subTable.encode(a, nil) }

// ParseApplySub decodes the argument of APPLY SUB or UNSUB (Unsub is left
// false: the key tells, see ParseRequest).
func ParseApplySub(v dlist.Value) (*ApplySub, error) { return parse(subTable, v) }
