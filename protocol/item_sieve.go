package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// Sieve is a legacy sieve script item. It has three forms, all with the
// keys in this order:
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

// sieveKey is the presence of an optional SIEVE key in Present.
func sieveKey(k SieveKeys) cond[Sieve] {
	return bitCond(func(s *Sieve) *SieveKeys { return &s.Present }, k)
}

// sieveTable: FILENAME is required and always sent; USERID and CONTENT
// are sent when set, the other keys as Present says.
var sieveTable = newTable("SIEVE", func(s *Sieve) *[]Extra { return &s.Extra },
	strKey("USERID", func(s *Sieve) *string { return &s.UserID }).omitZero(),
	strKey("FILENAME", func(s *Sieve) *string { return &s.FileName }).required(),
	dateKey("LAST_UPDATE", func(s *Sieve) *int64 { return &s.LastUpdate }).when(sieveKey(SieveLastUpdate)),
	guidKey("GUID", func(s *Sieve) *guid.GUID { return &s.GUID }).when(sieveKey(SieveGUID)),
	boolKey("ISACTIVE", func(s *Sieve) *bool { return &s.IsActive }).when(sieveKey(SieveIsActive)),
	bytesKey("CONTENT", func(s *Sieve) *[]byte { return &s.Content }).omitZero(),
)

// ParseSieve decodes a SIEVE kvlist.
func ParseSieve(v dlist.Value) (*Sieve, error) { return parse(sieveTable, v) }

// Value encodes the keys that are set, in Cyrus's order.
func (s *Sieve) Value() dlist.Value { return sieveTable.encode(s, nil) }
