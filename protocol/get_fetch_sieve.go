package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// GetFetchSieve is `GET FETCH_SIEVE %(USERID u FILENAME f)`: one legacy
// sieve script's content, as a SIEVE item (protocol.md §4.3; not sent by
// sync_client).
//
// cyrus: imap/sync_support.c sync_get_sieve (3.6.1)
type GetFetchSieve struct {
	// UserID is the user.
	UserID string
	// FileName is the script file name.
	FileName string
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

var userFileKeys = []string{"USERID", "FILENAME"}

// Verb returns "GET".
func (g *GetFetchSieve) Verb() string { return "GET" }

// Key returns "FETCH_SIEVE".
func (g *GetFetchSieve) Key() string { return "FETCH_SIEVE" }

// Value encodes %(USERID u FILENAME f).
func (g *GetFetchSieve) Value() dlist.Value {
	return strKV(g.Extra, userFileKeys, g.UserID, g.FileName)
}

// ParseGetFetchSieve decodes the argument of GET FETCH_SIEVE.
func ParseGetFetchSieve(v dlist.Value) (*GetFetchSieve, error) {
	g := &GetFetchSieve{}
	var err error
	if g.Extra, err = parseStrKV("FETCH_SIEVE", v, userFileKeys, &g.UserID, &g.FileName); err != nil {
		return nil, err
	}
	return g, nil
}
