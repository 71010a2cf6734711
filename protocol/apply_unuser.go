package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyUnuser is `APPLY UNUSER <userid>` or LOCAL_UNUSER: delete a user's
// mailboxes and data on the replica.
//
// cyrus: imap/sync_support.c do_unuser, sync_apply_unuser (3.6.1)
type ApplyUnuser struct {
	// Local selects LOCAL_UNUSER (never sent by sync_client).
	Local bool
	// UserID is the user.
	UserID string
}

// Verb returns "APPLY".
func (a *ApplyUnuser) Verb() string { return "APPLY" }

// Key returns "UNUSER" or "LOCAL_UNUSER".
func (a *ApplyUnuser) Key() string { return localKey(a.Local, "UNUSER") }

// Value returns the userid.
func (a *ApplyUnuser) Value() dlist.Value { return dlist.String(a.UserID) }

// ParseApplyUnuser decodes the argument of APPLY UNUSER.
func ParseApplyUnuser(v dlist.Value) (*ApplyUnuser, error) {
	return parseBare("UNUSER", v, parseString, func(a *ApplyUnuser) *string { return &a.UserID })
}
