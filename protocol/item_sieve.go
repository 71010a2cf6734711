package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// Sieve is a legacy sieve script item (protocol.md §4.6.5, §4.4.11). It has
// three forms, all with the keys in this order:
//   - `* SIEVE %(FILENAME f LAST_UPDATE t GUID g ISACTIVE 0/1)` in GET USER
//     and GET META replies (without SIEVE-MAILBOX);
//   - `* SIEVE %(USERID u FILENAME f CONTENT c)`, the GET FETCH_SIEVE reply;
//   - `%(USERID u FILENAME f LAST_UPDATE t CONTENT c)`, APPLY SIEVE.
//
// cyrus: imap/sync_support.c user_getsieve, sync_get_sieve, sieve_upload,
// sync_apply_sieve (3.6.1)
type Sieve struct {
	// UserID is USERID ("" = not sent).
	UserID string
	// FileName is FILENAME: "name.script", or "name.bc" for the entry
	// marking the active script.
	FileName string
	// LastUpdate is LAST_UPDATE (seconds).
	LastUpdate int64
	// GUID is the SHA-1 of the script content (all zero for "name.bc").
	GUID guid.GUID
	// IsActive is ISACTIVE.
	IsActive bool
	// Content is CONTENT, the script source (nil = not sent).
	Content []byte
	// Present says which of SieveLastUpdate, SieveGUID, SieveIsActive are
	// on the wire.
	Present SieveKeys
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// SieveKeys is a set of optional SIEVE keys.
type SieveKeys uint8

// Optional SIEVE keys whose zero value may be sent.
const (
	SieveLastUpdate SieveKeys = 1 << iota
	SieveGUID
	SieveIsActive
	// SieveListKeys are the keys of the GET USER/META form.
	SieveListKeys = SieveLastUpdate | SieveGUID | SieveIsActive
)

// Key returns "SIEVE".
func (s *Sieve) Key() string { return "SIEVE" }

// ParseSieve decodes a SIEVE kvlist; FILENAME is required.
func ParseSieve(v dlist.Value) (*Sieve, error) {
	s := &Sieve{}
	r := kvReader{}
	if !r.begin("SIEVE", v) {
		return nil, r.result()
	}
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "USERID":
			if r.first(0, kv) {
				s.UserID = r.str(kv)
			}
		case "FILENAME":
			if r.first(1, kv) {
				s.FileName = r.str(kv)
			}
		case "LAST_UPDATE":
			if r.first(2, kv) {
				s.LastUpdate = r.date(kv)
				s.Present |= SieveLastUpdate
			}
		case "GUID":
			if r.first(3, kv) {
				s.GUID = r.guid(kv)
				s.Present |= SieveGUID
			}
		case "ISACTIVE":
			if r.first(4, kv) {
				s.IsActive = r.u32(kv) != 0
				s.Present |= SieveIsActive
			}
		case "CONTENT":
			if r.first(5, kv) {
				s.Content = []byte(r.str(kv))
			}
		default:
			r.keep(kv)
		}
	}
	r.require([]string{"FILENAME"}, 1)
	s.Extra = r.extra
	if err := r.result(); err != nil {
		return nil, err
	}
	return s, nil
}

// Value encodes the keys that are set, in Cyrus's order.
func (s *Sieve) Value() dlist.Value {
	w := newKVWriter(6, s.Extra)
	if s.UserID != "" {
		w.add("USERID", dlist.String(s.UserID))
	}
	w.add("FILENAME", dlist.String(s.FileName))
	if s.Present&SieveLastUpdate != 0 {
		w.add("LAST_UPDATE", date(s.LastUpdate))
	}
	if s.Present&SieveGUID != 0 {
		w.add("GUID", dlist.GUID(s.GUID))
	}
	if s.Present&SieveIsActive != 0 {
		n := uint32(0)
		if s.IsActive {
			n = 1
		}
		w.add("ISACTIVE", dlist.Uint32(n))
	}
	if s.Content != nil {
		w.add("CONTENT", dlist.Bytes(s.Content))
	}
	return w.value()
}
