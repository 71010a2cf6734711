package protocol

import (
	"context"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// GetMailboxes is `GET MAILBOXES (<mboxname> …)`: a MAILBOX item (without
// RECORD) for each name that exists.
//
// cyrus: imap/sync_support.c sync_get_mailboxes (3.6.1)
type GetMailboxes struct {
	// Names are internal mailbox names.
	Names []string
}

// Verb returns "GET".
func (g *GetMailboxes) Verb() string { return "GET" }

// Key returns "MAILBOXES".
func (g *GetMailboxes) Key() string { return "MAILBOXES" }

// Value returns the list of names.
func (g *GetMailboxes) Value() dlist.Value { return strValues(g.Names) }

// ParseGetMailboxes decodes the argument of GET MAILBOXES.
func ParseGetMailboxes(v dlist.Value) (*GetMailboxes, error) {
	return parseBare("MAILBOXES", v, parseStringList, func(g *GetMailboxes) *[]string { return &g.Names })
}

// ParseMailboxItems decodes a reply made of MAILBOX items only.
func ParseMailboxItems(items []Item) ([]*Mailbox, error) {
	out := make([]*Mailbox, 0, len(items))
	for _, it := range items {
		if it.Key != "MAILBOX" {
			return nil, fmt.Errorf("protocol: unexpected %s item in a mailbox reply", it.Key)
		}
		m, err := ParseMailbox(it.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// GetMailboxes sends GET MAILBOXES and decodes the reply.
func (c *Client) GetMailboxes(ctx context.Context, names ...string) ([]*Mailbox, error) {
	resp, err := c.Do(ctx, &GetMailboxes{Names: names})
	if err != nil {
		return nil, err
	}
	return ParseMailboxItems(resp.Items)
}
