package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// Seen is one entry of a user's seen database: the `* SEEN` reply item of
// GET USER and GET META, and (with UserID) the argument of APPLY SEEN.
//
// cyrus: imap/sync_support.c print_seen, update_seen_work,
// sync_apply_seen (3.6.1)
type Seen struct {
	// UserID is the user whose database it is: sent first, by APPLY SEEN
	// only ("" = not sent, as in the reply item).
	UserID string
	// UniqueID is the mailbox's uniqueid.
	UniqueID string
	// LastRead is LASTREAD (seconds).
	LastRead int64
	// LastUID is LASTUID, the highest UID the user has seen.
	LastUID uint32
	// LastChange is LASTCHANGE (seconds).
	LastChange int64
	// SeenUIDs is SEENUIDS, an IMAP sequence set, possibly "".
	SeenUIDs string
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Key returns "SEEN".
func (s *Seen) Key() string { return "SEEN" }

// seenTable: USERID is sent when set (APPLY SEEN only); the other keys
// are required.
var seenTable = newTable("SEEN", func(s *Seen) *[]Extra { return &s.Extra },
	strKey("USERID", func(s *Seen) *string { return &s.UserID }).omitZero(),
	strKey("UNIQUEID", func(s *Seen) *string { return &s.UniqueID }).required(),
	dateKey("LASTREAD", func(s *Seen) *int64 { return &s.LastRead }).required(),
	u32Key("LASTUID", func(s *Seen) *uint32 { return &s.LastUID }).required(),
	dateKey("LASTCHANGE", func(s *Seen) *int64 { return &s.LastChange }).required(),
	strKey("SEENUIDS", func(s *Seen) *string { return &s.SeenUIDs }).required(),
)

// ParseSeen decodes a SEEN kvlist.
func ParseSeen(v dlist.Value) (*Seen, error) { return parse(seenTable, v) }

// Value encodes the entry in Cyrus's order.
func (s *Seen) Value() dlist.Value { return seenTable.encode(s, nil) }

// SeenFromSpool converts a seen database entry of userid ("" for the reply
// item form).
func SeenFromSpool(userid string, s *spool.Seen) *Seen {
	return &Seen{UserID: userid, UniqueID: s.UniqueID, LastRead: s.LastRead, LastUID: s.LastUID,
		LastChange: s.LastChange, SeenUIDs: s.SeenUIDs}
}

// ToSpool converts to the spool model.
func (s *Seen) ToSpool() spool.Seen {
	return spool.Seen{UniqueID: s.UniqueID, LastRead: s.LastRead, LastUID: s.LastUID,
		LastChange: s.LastChange, SeenUIDs: s.SeenUIDs}
}
