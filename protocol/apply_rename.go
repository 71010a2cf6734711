package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyRename is `APPLY RENAME %(OLDMBOXNAME a NEWMBOXNAME b PARTITION p
// UIDVALIDITY n)` or LOCAL_RENAME: rename a mailbox, or move it to
// another partition when both names are equal.
//
// cyrus: imap/sync_support.c folder_rename, sync_apply_rename (3.6.1)
type ApplyRename struct {
	// Local selects LOCAL_RENAME.
	Local bool
	// OldName is OLDMBOXNAME.
	OldName string
	// NewName is NEWMBOXNAME.
	NewName string
	// Partition is the target PARTITION.
	Partition string
	// UIDValidity is UIDVALIDITY (optional on input; Cyrus always sends it).
	UIDValidity uint32
	// NoUIDValidity leaves UIDVALIDITY out.
	NoUIDValidity bool
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Verb returns "APPLY".
func (a *ApplyRename) Verb() string { return "APPLY" }

// Key returns "RENAME" or "LOCAL_RENAME".
func (a *ApplyRename) Key() string { return localKey(a.Local, "RENAME") }

// renameTable: UIDVALIDITY is optional (NoUIDValidity), the other keys are
// required, as sync_apply_rename requires them.
var renameTable = newTable("RENAME", func(a *ApplyRename) *[]Extra { return &a.Extra },
	strKey("OLDMBOXNAME", func(a *ApplyRename) *string { return &a.OldName }).required(),
	strKey("NEWMBOXNAME", func(a *ApplyRename) *string { return &a.NewName }).required(),
	strKey("PARTITION", func(a *ApplyRename) *string { return &a.Partition }).required(),
	u32Key("UIDVALIDITY", func(a *ApplyRename) *uint32 { return &a.UIDValidity }).when(cond[ApplyRename]{
		has:  func(a *ApplyRename) bool { return !a.NoUIDValidity },
		mark: func(a *ApplyRename) { a.NoUIDValidity = false },
	}),
)

// Value encodes the kvlist in Cyrus's order.
func (a *ApplyRename) Value() dlist.Value { return renameTable.encode(a, nil) }

// ParseApplyRename decodes the argument of APPLY RENAME.
func ParseApplyRename(v dlist.Value) (*ApplyRename, error) {
	a := &ApplyRename{NoUIDValidity: true}
	if err := renameTable.parseInto(a, v, nil); err != nil {
		return nil, err
	}
	return a, nil
}
