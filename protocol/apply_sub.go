package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplySub is `APPLY SUB %(USERID u MBOXNAME m)` or, with Unsub, `APPLY
// UNSUB %(…)`: (un)subscribe a user to a mailbox (protocol.md §4.4.10).
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

var subKeys = []string{"USERID", "MBOXNAME"}

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
func (a *ApplySub) Value() dlist.Value { return strKV(a.Extra, subKeys, a.UserID, a.MboxName) }

// ParseApplySub decodes the argument of APPLY SUB or UNSUB (Unsub is left
// false: the key tells, see ParseRequest).
func ParseApplySub(v dlist.Value) (*ApplySub, error) {
	a := &ApplySub{}
	var err error
	if a.Extra, err = parseStrKV("SUB", v, subKeys, &a.UserID, &a.MboxName); err != nil {
		return nil, err
	}
	return a, nil
}
