package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// GetFetchSieve is `GET FETCH_SIEVE %(USERID u FILENAME f)`: one legacy
// sieve script's content, as a SIEVE item (not sent by sync_client).
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

// fetchSieveTable: both keys are required, as sync_get_sieve requires them.
var fetchSieveTable = newTable("FETCH_SIEVE", func(g *GetFetchSieve) *[]Extra { return &g.Extra },
	strKey("USERID", func(g *GetFetchSieve) *string { return &g.UserID }).required(),
	strKey("FILENAME", func(g *GetFetchSieve) *string { return &g.FileName }).required(),
)

// Verb returns "GET".
func (g *GetFetchSieve) Verb() string { return "GET" }

// Key returns "FETCH_SIEVE".
func (g *GetFetchSieve) Key() string { return "FETCH_SIEVE" }

// Value encodes %(USERID u FILENAME f).
func (g *GetFetchSieve) Value() dlist.Value { return fetchSieveTable.encode(g, nil) }

// ParseGetFetchSieve decodes the argument of GET FETCH_SIEVE.
func ParseGetFetchSieve(v dlist.Value) (*GetFetchSieve, error) { return parse(fetchSieveTable, v) }
