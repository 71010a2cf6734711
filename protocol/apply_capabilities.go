package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyCapabilities is `APPLY CAPABILITIES (<feature> …)`: ask for features
// (SIEVE-MAILBOX, 3.8+ REPLICATION-ARCHIVE); the reply is an ENABLED item.
//
// cyrus: imap/sync_support.c sync_do_enable, sync_apply_capabilities (3.6.1)
type ApplyCapabilities struct {
	// Features are the features asked for.
	Features []string
}

// Verb returns "APPLY".
func (a *ApplyCapabilities) Verb() string { return "APPLY" }

// Key returns "CAPABILITIES".
func (a *ApplyCapabilities) Key() string { return "CAPABILITIES" }

// Value encodes the list.
func (a *ApplyCapabilities) Value() dlist.Value { return strValues(a.Features) }

// ParseApplyCapabilities decodes the argument of APPLY CAPABILITIES.
func ParseApplyCapabilities(v dlist.Value) (*ApplyCapabilities, error) {
	return parseBare("CAPABILITIES", v, parseStringList, func(a *ApplyCapabilities) *[]string { return &a.Features })
}
