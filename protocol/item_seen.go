package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// Seen is one entry of a user's seen database: the `* SEEN` reply item of
// GET USER and GET META, and (with UserID) the argument of APPLY SEEN
// (protocol.md §4.4.9, §4.6.5).
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

var seenKeys = []string{"USERID", "UNIQUEID", "LASTREAD", "LASTUID", "LASTCHANGE", "SEENUIDS"}

// ParseSeen decodes a SEEN kvlist. USERID is optional; the others are
// required.
func ParseSeen(v dlist.Value) (*Seen, error) {
	s := &Seen{}
	r := kvReader{}
	if !r.begin("SEEN", v) {
		return nil, r.result()
	}
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "USERID":
			if r.first(0, kv) {
				s.UserID = r.str(kv)
			}
		case "UNIQUEID":
			if r.first(1, kv) {
				s.UniqueID = r.str(kv)
			}
		case "LASTREAD":
			if r.first(2, kv) {
				s.LastRead = r.date(kv)
			}
		case "LASTUID":
			if r.first(3, kv) {
				s.LastUID = r.u32(kv)
			}
		case "LASTCHANGE":
			if r.first(4, kv) {
				s.LastChange = r.date(kv)
			}
		case "SEENUIDS":
			if r.first(5, kv) {
				s.SeenUIDs = r.str(kv)
			}
		default:
			r.keep(kv)
		}
	}
	r.require(seenKeys[1:], 1, 2, 3, 4, 5)
	s.Extra = r.extra
	if err := r.result(); err != nil {
		return nil, err
	}
	return s, nil
}

// Value encodes the entry in Cyrus's order.
func (s *Seen) Value() dlist.Value {
	w := newKVWriter(6, s.Extra)
	if s.UserID != "" {
		w.add("USERID", dlist.String(s.UserID))
	}
	w.add("UNIQUEID", dlist.String(s.UniqueID))
	w.add("LASTREAD", date(s.LastRead))
	w.add("LASTUID", dlist.Uint32(s.LastUID))
	w.add("LASTCHANGE", date(s.LastChange))
	w.add("SEENUIDS", dlist.String(s.SeenUIDs))
	return w.value()
}

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
