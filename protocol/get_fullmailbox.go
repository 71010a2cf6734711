package protocol

import (
	"context"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// GetFullMailbox is `GET FULLMAILBOX <mboxname>`: one MAILBOX item with
// every index record, expunged ones included.
//
// cyrus: imap/sync_support.c sync_get_fullmailbox (3.6.1)
type GetFullMailbox struct {
	// Name is the internal mailbox name.
	Name string
}

// Verb returns "GET".
func (g *GetFullMailbox) Verb() string { return "GET" }

// Key returns "FULLMAILBOX".
func (g *GetFullMailbox) Key() string { return "FULLMAILBOX" }

// Value returns the name.
func (g *GetFullMailbox) Value() dlist.Value { return dlist.String(g.Name) }

// ParseGetFullMailbox decodes the argument of GET FULLMAILBOX.
func ParseGetFullMailbox(v dlist.Value) (*GetFullMailbox, error) {
	return parseBare("FULLMAILBOX", v, parseString, func(g *GetFullMailbox) *string { return &g.Name })
}

// GetFullMailbox sends GET FULLMAILBOX and decodes the MAILBOX item.
func (c *Client) GetFullMailbox(ctx context.Context, name string) (*Mailbox, error) {
	resp, err := c.Do(ctx, &GetFullMailbox{Name: name})
	if err != nil {
		return nil, err
	}
	ms, err := ParseMailboxItems(resp.Items)
	if err != nil {
		return nil, err
	}
	if len(ms) != 1 {
		return nil, fmt.Errorf("protocol: GET FULLMAILBOX %s: %d MAILBOX items", name, len(ms))
	}
	return ms[0], nil
}
