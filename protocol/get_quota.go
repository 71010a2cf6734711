package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// GetQuota is `GET QUOTA <root>`: a QUOTA item if the root exists
// (not sent by sync_client).
//
// cyrus: imap/sync_support.c sync_get_quota (3.6.1)
type GetQuota struct {
	// Root is the quota root.
	Root string
}

// Verb returns "GET".
func (g *GetQuota) Verb() string { return "GET" }

// Key returns "QUOTA".
func (g *GetQuota) Key() string { return "QUOTA" }

// Value returns the root.
func (g *GetQuota) Value() dlist.Value { return dlist.String(g.Root) }

// ParseGetQuota decodes the argument of GET QUOTA.
func ParseGetQuota(v dlist.Value) (*GetQuota, error) {
	return parseBare("QUOTA", v, parseString, func(g *GetQuota) *string { return &g.Root })
}
