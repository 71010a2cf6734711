package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyForce is `APPLY FORCE %()`: relax the replica's consistency checks
// for the rest of the session (sync_client -O). The server ignores the
// argument.
//
// cyrus: imap/sync_support.c sync_apply_force (3.6.1)
type ApplyForce struct {
	// Arg is what came as the argument (an empty kvlist from Cyrus); the
	// zero value encodes %().
	Arg dlist.Value
}

// Verb returns "APPLY".
func (a *ApplyForce) Verb() string { return "APPLY" }

// Key returns "FORCE".
func (a *ApplyForce) Key() string { return "FORCE" }

// Value returns %() unless another argument was parsed.
func (a *ApplyForce) Value() dlist.Value {
	if a.Arg.IsNil() {
		return dlist.KVList()
	}
	return a.Arg
}

// ParseApplyForce accepts any argument.
func ParseApplyForce(v dlist.Value) (*ApplyForce, error) {
	if v.Kind() == dlist.KindKVList && v.Len() == 0 {
		return &ApplyForce{}, nil
	}
	return &ApplyForce{Arg: v}, nil
}
