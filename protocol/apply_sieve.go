package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplySieve is `APPLY SIEVE %(USERID u FILENAME f LAST_UPDATE t CONTENT
// c)`: upload a legacy sieve script (only without SIEVE-MAILBOX).
//
// cyrus: imap/sync_support.c sieve_upload, sync_apply_sieve (3.6.1)
type ApplySieve struct {
	// Sieve is the script; USERID, FILENAME, LAST_UPDATE and CONTENT are
	// sent.
	Sieve *Sieve
}

// Verb returns "APPLY".
func (a *ApplySieve) Verb() string { return "APPLY" }

// Key returns "SIEVE".
func (a *ApplySieve) Key() string { return "SIEVE" }

// Value encodes the script.
func (a *ApplySieve) Value() dlist.Value { return a.Sieve.Value() }

// applySieveTable is sieveTable with the four keys of APPLY SIEVE
// required, as sync_apply_sieve requires them.
var applySieveTable = sieveTable.requiring("USERID", "LAST_UPDATE", "CONTENT")

// ParseApplySieve decodes the argument of APPLY SIEVE.
func ParseApplySieve(v dlist.Value) (*ApplySieve, error) {
	s, err := parse(applySieveTable, v)
	if err != nil {
		return nil, err
	}
	return &ApplySieve{Sieve: s}, nil
}

// ApplyUnsieve is `APPLY UNSIEVE %(USERID u FILENAME f)`: delete a legacy
// script; ACTIVATE_SIEVE (FILENAME "name.bc") activates one.
//
// cyrus: imap/sync_support.c sieve_delete, sieve_activate,
// sync_apply_unsieve, sync_apply_activate_sieve (3.6.1)
type ApplyUnsieve struct {
	// Activate selects ACTIVATE_SIEVE instead of UNSIEVE.
	Activate bool
	// UserID is the user.
	UserID string
	// FileName is the script file name.
	FileName string
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Verb returns "APPLY".
func (a *ApplyUnsieve) Verb() string { return "APPLY" }

// Key returns "UNSIEVE" or "ACTIVATE_SIEVE".
func (a *ApplyUnsieve) Key() string {
	if a.Activate {
		return "ACTIVATE_SIEVE"
	}
	return "UNSIEVE"
}

// unsieveTable: both keys are required, as sync_apply_unsieve and
// sync_apply_activate_sieve require them.
var unsieveTable = newTable("UNSIEVE", func(a *ApplyUnsieve) *[]Extra { return &a.Extra },
	strKey("USERID", func(a *ApplyUnsieve) *string { return &a.UserID }).required(),
	strKey("FILENAME", func(a *ApplyUnsieve) *string { return &a.FileName }).required(),
)

// Value encodes %(USERID u FILENAME f).
func (a *ApplyUnsieve) Value() dlist.Value { return unsieveTable.encode(a, nil) }

// ParseApplyUnsieve decodes the argument of APPLY UNSIEVE or
// ACTIVATE_SIEVE (Activate is left false: the key tells).
func ParseApplyUnsieve(v dlist.Value) (*ApplyUnsieve, error) { return parse(unsieveTable, v) }

// ApplyUnactivateSieve is `APPLY UNACTIVATE_SIEVE %(USERID u)`: deactivate
// the user's script.
//
// cyrus: imap/sync_support.c sieve_deactivate, sync_apply_unactivate_sieve (3.6.1)
type ApplyUnactivateSieve struct {
	// UserID is the user.
	UserID string
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// unactivateSieveTable: USERID is required, as sync_apply_unactivate_sieve
// requires it.
var unactivateSieveTable = newTable("UNACTIVATE_SIEVE", func(a *ApplyUnactivateSieve) *[]Extra { return &a.Extra },
	strKey("USERID", func(a *ApplyUnactivateSieve) *string { return &a.UserID }).required(),
)

// Verb returns "APPLY".
func (a *ApplyUnactivateSieve) Verb() string { return "APPLY" }

// Key returns "UNACTIVATE_SIEVE".
func (a *ApplyUnactivateSieve) Key() string { return "UNACTIVATE_SIEVE" }

// Value encodes %(USERID u).
func (a *ApplyUnactivateSieve) Value() dlist.Value { return unactivateSieveTable.encode(a, nil) }

// ParseApplyUnactivateSieve decodes the argument of APPLY UNACTIVATE_SIEVE.
func ParseApplyUnactivateSieve(v dlist.Value) (*ApplyUnactivateSieve, error) {
	return parse(unactivateSieveTable, v)
}
