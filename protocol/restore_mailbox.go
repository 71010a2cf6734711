package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// RestoreMailbox is `RESTORE MAILBOX %(…)` or `RESTORE LOCAL_MAILBOX
// %(…)`: the MAILBOX keys of APPLY MAILBOX, only MBOXNAME required;
// records are appended with new UIDs.
//
// cyrus: imap/sync_support.c sync_restore_mailbox (3.6.1)
type RestoreMailbox struct {
	// Local selects LOCAL_MAILBOX.
	Local bool
	// Mailbox is the argument.
	Mailbox *Mailbox
}

// Verb returns "RESTORE".
func (r *RestoreMailbox) Verb() string { return "RESTORE" }

// Key returns "MAILBOX" or "LOCAL_MAILBOX".
func (r *RestoreMailbox) Key() string { return localKey(r.Local, "MAILBOX") }

// Value encodes the mailbox.
func (r *RestoreMailbox) Value() dlist.Value { return r.Mailbox.Value() }

// restoreMailboxTable is mailboxTable without UNIQUEID required, as
// sync_restore_mailbox does not require it.
var restoreMailboxTable = mailboxTable.relaxing("UNIQUEID")

// ParseRestoreMailbox decodes the argument of RESTORE MAILBOX.
func ParseRestoreMailbox(v dlist.Value) (*RestoreMailbox, error) {
	m, err := parse(restoreMailboxTable, v)
	if err != nil {
		return nil, err
	}
	return &RestoreMailbox{Mailbox: m}, nil
}
