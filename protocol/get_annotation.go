package protocol

import (
	"context"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// GetAnnotation is `GET ANNOTATION <mboxname>`: an ANNOTATION item per
// mailbox-level annotation ("" = server annotations).
//
// cyrus: imap/sync_support.c sync_get_annotation (3.6.1)
type GetAnnotation struct {
	// MboxName is the mailbox, "" for server annotations.
	MboxName string
}

// Verb returns "GET".
func (g *GetAnnotation) Verb() string { return "GET" }

// Key returns "ANNOTATION".
func (g *GetAnnotation) Key() string { return "ANNOTATION" }

// Value returns the mailbox name.
func (g *GetAnnotation) Value() dlist.Value { return dlist.String(g.MboxName) }

// ParseGetAnnotation decodes the argument of GET ANNOTATION.
func ParseGetAnnotation(v dlist.Value) (*GetAnnotation, error) {
	return parseBare("ANNOTATION", v, parseString, func(g *GetAnnotation) *string { return &g.MboxName })
}

// GetAnnotations sends GET ANNOTATION and decodes the reply.
func (c *Client) GetAnnotations(ctx context.Context, mboxname string) ([]*MailboxAnnotation, error) {
	resp, err := c.Do(ctx, &GetAnnotation{MboxName: mboxname})
	if err != nil {
		return nil, err
	}
	out := make([]*MailboxAnnotation, 0, len(resp.Items))
	for _, it := range resp.Items {
		if it.Key != "ANNOTATION" {
			return nil, fmt.Errorf("protocol: unexpected %s item in a GET ANNOTATION reply", it.Key)
		}
		a, err := ParseMailboxAnnotation(it.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
