package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// GetUniqueIDs is `GET UNIQUEIDS (<uniqueid> …)`: like GET MAILBOXES, by
// mailbox uniqueid (not sent by sync_client 3.6–3.12).
//
// cyrus: imap/sync_support.c sync_get_uniqueids (3.6.1)
type GetUniqueIDs struct {
	// UniqueIDs are mailbox uniqueids.
	UniqueIDs []string
}

// Verb returns "GET".
func (g *GetUniqueIDs) Verb() string { return "GET" }

// Key returns "UNIQUEIDS".
func (g *GetUniqueIDs) Key() string { return "UNIQUEIDS" }

// Value returns the list of uniqueids.
func (g *GetUniqueIDs) Value() dlist.Value { return strValues(g.UniqueIDs) }

// ParseGetUniqueIDs decodes the argument of GET UNIQUEIDS.
func ParseGetUniqueIDs(v dlist.Value) (*GetUniqueIDs, error) {
	return parseBare("UNIQUEIDS", v, parseStringList, func(g *GetUniqueIDs) *[]string { return &g.UniqueIDs })
}
