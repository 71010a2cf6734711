package protocol

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// GetMeta is `GET META <userid>`: a user's SEEN items, LSUB and legacy
// SIEVE items.
//
// cyrus: imap/sync_support.c sync_get_meta (3.6.1)
type GetMeta struct {
	// UserID is the user.
	UserID string
}

// Verb returns "GET".
func (g *GetMeta) Verb() string { return "GET" }

// Key returns "META".
func (g *GetMeta) Key() string { return "META" }

// Value returns the userid.
func (g *GetMeta) Value() dlist.Value { return dlist.String(g.UserID) }

// ParseGetMeta decodes the argument of GET META.
func ParseGetMeta(v dlist.Value) (*GetMeta, error) {
	return parseBare("META", v, parseString, func(g *GetMeta) *string { return &g.UserID })
}

// GetMeta sends GET META and decodes the reply.
func (c *Client) GetMeta(ctx context.Context, userid string) (*UserState, error) {
	resp, err := c.Do(ctx, &GetMeta{UserID: userid})
	if err != nil {
		return nil, err
	}
	return ParseUserState(resp.Items)
}
