package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// LSub is the `* LSUB (<mboxname> …)` reply item of GET USER and GET
// META: all of a user's subscriptions.
//
// cyrus: imap/sync_support.c user_getsub (3.6.1)
type LSub struct {
	// Names are internal mailbox names.
	Names []string
}

// Key returns "LSUB".
func (l *LSub) Key() string { return "LSUB" }

// ParseLSub decodes a list of mailbox names.
func ParseLSub(v dlist.Value) (*LSub, error) {
	return parseBare("LSUB", v, parseStringList, func(l *LSub) *[]string { return &l.Names })
}

// Value encodes the list.
func (l *LSub) Value() dlist.Value { return strValues(l.Names) }

// ToSpool returns userid's subscriptions.
func (l *LSub) ToSpool(userid string) *spool.Subscriptions {
	return &spool.Subscriptions{UserID: userid, Names: l.Names}
}
