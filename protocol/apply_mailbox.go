package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyMailbox is `APPLY MAILBOX %(…)` or, with Local, `APPLY
// LOCAL_MAILBOX %(…)` (no mupdate push): create or update a mailbox and
// its records.
//
// cyrus: imap/sync_support.c sync_apply_mailbox (3.6.1)
type ApplyMailbox struct {
	// Local selects LOCAL_MAILBOX.
	Local bool
	// Mailbox is the argument.
	Mailbox *Mailbox
}

// Verb returns "APPLY".
func (a *ApplyMailbox) Verb() string { return "APPLY" }

// Key returns "MAILBOX" or "LOCAL_MAILBOX".
func (a *ApplyMailbox) Key() string { return localKey(a.Local, "MAILBOX") }

// Value encodes the mailbox.
func (a *ApplyMailbox) Value() dlist.Value { return a.Mailbox.Value() }

// ParseApplyMailbox decodes the argument of APPLY MAILBOX (Local is left
// false: the key tells, see ParseRequest).
func ParseApplyMailbox(v dlist.Value) (*ApplyMailbox, error) {
	m, err := ParseMailbox(v)
	if err != nil {
		return nil, err
	}
	return &ApplyMailbox{Mailbox: m}, nil
}
