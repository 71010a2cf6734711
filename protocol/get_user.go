package protocol

import (
	"context"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// GetUser is `GET USER <userid>`: the replica's state of a user. The reply
// has a MAILBOX item per mailbox, a QUOTA per quota root, then (if the user
// has a mailbox) SEEN items, an LSUB and, without SIEVE-MAILBOX, SIEVE
// items.
//
// cyrus: imap/sync_support.c sync_get_user (3.6.1)
type GetUser struct {
	// UserID is the user.
	UserID string
}

// Verb returns "GET".
func (g *GetUser) Verb() string { return "GET" }

// Key returns "USER".
func (g *GetUser) Key() string { return "USER" }

// Value returns the userid.
func (g *GetUser) Value() dlist.Value { return dlist.String(g.UserID) }

// ParseGetUser decodes the argument of GET USER.
func ParseGetUser(v dlist.Value) (*GetUser, error) {
	return parseBare("USER", v, parseString, func(g *GetUser) *string { return &g.UserID })
}

// UserState is the typed reply of GET USER and GET META.
type UserState struct {
	// Mailboxes are the MAILBOX items, in the order sent (INBOX first).
	Mailboxes []*Mailbox
	// Quotas are the QUOTA items.
	Quotas []*Quota
	// Seen are the SEEN items.
	Seen []*Seen
	// Subscriptions is the LSUB item, nil if none came.
	Subscriptions *LSub
	// Sieve are the legacy SIEVE items.
	Sieve []*Sieve
}

// ParseUserState decodes the items of a GET USER or GET META reply. Like
// Cyrus's client, it fails on an item other than MAILBOX, QUOTA, SEEN,
// LSUB and SIEVE.
//
// cyrus: imap/sync_support.c sync_response_parse (3.6.1)
func ParseUserState(items []Item) (*UserState, error) {
	st := &UserState{}
	for _, it := range items {
		b, err := ParseItem(it)
		if err != nil {
			return nil, err
		}
		switch x := b.(type) {
		case *Mailbox:
			st.Mailboxes = append(st.Mailboxes, x)
		case *Quota:
			st.Quotas = append(st.Quotas, x)
		case *Seen:
			st.Seen = append(st.Seen, x)
		case *LSub:
			st.Subscriptions = x
		case *Sieve:
			st.Sieve = append(st.Sieve, x)
		default:
			return nil, fmt.Errorf("protocol: unexpected %s item in a user reply", it.Key)
		}
	}
	return st, nil
}

// GetUser sends GET USER and decodes the reply. An unknown user gives an
// empty state.
func (c *Client) GetUser(ctx context.Context, userid string) (*UserState, error) {
	resp, err := c.Do(ctx, &GetUser{UserID: userid})
	if err != nil {
		return nil, err
	}
	return ParseUserState(resp.Items)
}

// CollectUser is GetUser's reply to a GET USER sent with SendAhead.
func (c *Client) CollectUser(ctx context.Context, p *Pending) (*UserState, error) {
	resp, err := c.Collect(ctx, p)
	if err != nil {
		return nil, err
	}
	return ParseUserState(resp.Items)
}
