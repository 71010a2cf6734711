package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// MailboxAnnotation is one mailbox-level annotation named by its mailbox:
// the `* ANNOTATION` reply item of GET ANNOTATION and the argument of
// APPLY ANNOTATION. Unlike a ListAnnotation it carries MBOXNAME and no
// MODSEQ.
//
// cyrus: imap/sync_support.c getannotation_cb, folder_setannotation,
// sync_apply_annotation (3.6.1)
type MailboxAnnotation struct {
	// MboxName is the mailbox, "" for a server annotation.
	MboxName string
	// Entry is the Cyrus-internal entry name, e.g. "/comment".
	Entry string
	// UserID is "" for the shared value, else the owner of a private one.
	UserID string
	// Data is the VALUE, binary-safe.
	Data string
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// mailboxAnnotationTable: all four keys are required, as
// sync_apply_annotation requires them.
var mailboxAnnotationTable = newTable("ANNOTATION", func(a *MailboxAnnotation) *[]Extra { return &a.Extra },
	strKey("MBOXNAME", func(a *MailboxAnnotation) *string { return &a.MboxName }).required(),
	strKey("ENTRY", func(a *MailboxAnnotation) *string { return &a.Entry }).required(),
	strKey("USERID", func(a *MailboxAnnotation) *string { return &a.UserID }).required(),
	strKey("VALUE", func(a *MailboxAnnotation) *string { return &a.Data }).required(),
)

// Key returns "ANNOTATION".
func (a *MailboxAnnotation) Key() string { return "ANNOTATION" }

// ParseMailboxAnnotation decodes an ANNOTATION kvlist.
func ParseMailboxAnnotation(v dlist.Value) (*MailboxAnnotation, error) {
	return parse(mailboxAnnotationTable, v)
}

// Value encodes %(MBOXNAME m ENTRY e USERID u VALUE v).
func (a *MailboxAnnotation) Value() dlist.Value { return mailboxAnnotationTable.encode(a, nil) }
