package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyUnmailbox is `APPLY UNMAILBOX <mboxname>` or LOCAL_UNMAILBOX: delete
// a mailbox on the replica.
//
// cyrus: imap/sync_support.c sync_do_folder_delete, sync_apply_unmailbox (3.6.1)
type ApplyUnmailbox struct {
	// Local selects LOCAL_UNMAILBOX.
	Local bool
	// Name is the internal mailbox name.
	Name string
}

// Verb returns "APPLY".
func (a *ApplyUnmailbox) Verb() string { return "APPLY" }

// Key returns "UNMAILBOX" or "LOCAL_UNMAILBOX".
func (a *ApplyUnmailbox) Key() string { return localKey(a.Local, "UNMAILBOX") }

// Value returns the name.
func (a *ApplyUnmailbox) Value() dlist.Value { return dlist.String(a.Name) }

// ParseApplyUnmailbox decodes the argument of APPLY UNMAILBOX.
func ParseApplyUnmailbox(v dlist.Value) (*ApplyUnmailbox, error) {
	return parseBare("UNMAILBOX", v, parseString, func(a *ApplyUnmailbox) *string { return &a.Name })
}
