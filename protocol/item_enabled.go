package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// Enabled is the `* ENABLED (<feature> …)` reply item of APPLY
// CAPABILITIES: the features the server turned on.
//
// cyrus: imap/sync_support.c sync_apply_capabilities (3.6.1)
type Enabled struct {
	// Features are e.g. SIEVE-MAILBOX, echoed as the client sent them.
	Features []string
}

// Key returns "ENABLED".
func (e *Enabled) Key() string { return "ENABLED" }

// ParseEnabled decodes a list of feature names.
func ParseEnabled(v dlist.Value) (*Enabled, error) {
	return parseBare("ENABLED", v, parseStringList, func(e *Enabled) *[]string { return &e.Features })
}

// Value encodes the list (possibly "()": a server must always send it).
func (e *Enabled) Value() dlist.Value { return strValues(e.Features) }
