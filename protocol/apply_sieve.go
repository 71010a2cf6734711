package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplySieve is `APPLY SIEVE %(USERID u FILENAME f LAST_UPDATE t CONTENT
// c)`: upload a legacy sieve script (only without SIEVE-MAILBOX;
// protocol.md §4.4.11).
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

// ParseApplySieve decodes the argument of APPLY SIEVE; all four keys are
// required.
func ParseApplySieve(v dlist.Value) (*ApplySieve, error) {
	s, err := ParseSieve(v)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"USERID", "LAST_UPDATE", "CONTENT"} {
		if !v.Has(k) {
			return nil, &FieldError{Item: "SIEVE", Key: k, Err: &dlist.MissingKeyError{Key: k}}
		}
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

// Value encodes %(USERID u FILENAME f).
func (a *ApplyUnsieve) Value() dlist.Value { return strKV(a.Extra, userFileKeys, a.UserID, a.FileName) }

// ParseApplyUnsieve decodes the argument of APPLY UNSIEVE or
// ACTIVATE_SIEVE (Activate is left false: the key tells).
func ParseApplyUnsieve(v dlist.Value) (*ApplyUnsieve, error) {
	a := &ApplyUnsieve{}
	var err error
	if a.Extra, err = parseStrKV("UNSIEVE", v, userFileKeys, &a.UserID, &a.FileName); err != nil {
		return nil, err
	}
	return a, nil
}

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

var userKeys = []string{"USERID"}

// Verb returns "APPLY".
func (a *ApplyUnactivateSieve) Verb() string { return "APPLY" }

// Key returns "UNACTIVATE_SIEVE".
func (a *ApplyUnactivateSieve) Key() string { return "UNACTIVATE_SIEVE" }

// Value encodes %(USERID u).
func (a *ApplyUnactivateSieve) Value() dlist.Value { return strKV(a.Extra, userKeys, a.UserID) }

// ParseApplyUnactivateSieve decodes the argument of APPLY UNACTIVATE_SIEVE.
func ParseApplyUnactivateSieve(v dlist.Value) (*ApplyUnactivateSieve, error) {
	a := &ApplyUnactivateSieve{}
	var err error
	if a.Extra, err = parseStrKV("UNACTIVATE_SIEVE", v, userKeys, &a.UserID); err != nil {
		return nil, err
	}
	return a, nil
}
