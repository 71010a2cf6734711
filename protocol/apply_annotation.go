package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyAnnotation is `APPLY ANNOTATION %(MBOXNAME m ENTRY e USERID u VALUE
// v)`: set one mailbox annotation.
//
// cyrus: imap/sync_support.c folder_setannotation, sync_apply_annotation (3.6.1)
type ApplyAnnotation struct {
	// Annotation is the argument.
	Annotation *MailboxAnnotation
}

// Verb returns "APPLY".
func (a *ApplyAnnotation) Verb() string { return "APPLY" }

// Key returns "ANNOTATION".
func (a *ApplyAnnotation) Key() string { return "ANNOTATION" }

// Value encodes the annotation.
func (a *ApplyAnnotation) Value() dlist.Value { return a.Annotation.Value() }

// ParseApplyAnnotation decodes the argument of APPLY ANNOTATION.
func ParseApplyAnnotation(v dlist.Value) (*ApplyAnnotation, error) {
	an, err := ParseMailboxAnnotation(v)
	if err != nil {
		return nil, err
	}
	return &ApplyAnnotation{Annotation: an}, nil
}

// ApplyUnannotation is `APPLY UNANNOTATION %(MBOXNAME m ENTRY e USERID
// u)`: delete one mailbox annotation.
//
// cyrus: imap/sync_support.c folder_unannotation, sync_apply_unannotation (3.6.1)
type ApplyUnannotation struct {
	// MboxName is the mailbox, "" for a server annotation.
	MboxName string
	// Entry is the entry name.
	Entry string
	// UserID is "" for the shared value.
	UserID string
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// unannotationTable: all keys are required, as sync_apply_unannotation
// requires them.
var unannotationTable = newTable("UNANNOTATION", func(a *ApplyUnannotation) *[]Extra { return &a.Extra },
	strKey("MBOXNAME", func(a *ApplyUnannotation) *string { return &a.MboxName }).required(),
	strKey("ENTRY", func(a *ApplyUnannotation) *string { return &a.Entry }).required(),
	strKey("USERID", func(a *ApplyUnannotation) *string { return &a.UserID }).required(),
)

// Verb returns "APPLY".
func (a *ApplyUnannotation) Verb() string { return "APPLY" }

// Key returns "UNANNOTATION".
func (a *ApplyUnannotation) Key() string { return "UNANNOTATION" }

// Value encodes the kvlist in Cyrus's order.
func (a *ApplyUnannotation) Value() dlist.Value { return unannotationTable.encode(a, nil) }

// ParseApplyUnannotation decodes the argument of APPLY UNANNOTATION.
func ParseApplyUnannotation(v dlist.Value) (*ApplyUnannotation, error) {
	return parse(unannotationTable, v)
}
