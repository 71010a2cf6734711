package protocol

import (
	"context"
	"fmt"
	"io"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// GetFetch is `GET FETCH %(MBOXNAME m PARTITION p UNIQUEID u GUID g UID n)`:
// the client copies back a message only the replica has. The reply is a
// MESSAGE item.
//
// cyrus: imap/sync_support.c fetch_file, sync_get_message (3.6.1)
type GetFetch struct {
	// MboxName is the mailbox.
	MboxName string
	// Partition is the mailbox's partition.
	Partition string
	// UniqueID is the mailbox's uniqueid.
	UniqueID string
	// GUID is the message GUID.
	GUID guid.GUID
	// UID is the message UID.
	UID uint32
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Verb returns "GET".
func (g *GetFetch) Verb() string { return "GET" }

// Key returns "FETCH".
func (g *GetFetch) Key() string { return "FETCH" }

// fetchTable: all keys are required, as sync_get_message requires them.
var fetchTable = newTable("FETCH", func(g *GetFetch) *[]Extra { return &g.Extra },
	strKey("MBOXNAME", func(g *GetFetch) *string { return &g.MboxName }).required(),
	strKey("PARTITION", func(g *GetFetch) *string { return &g.Partition }).required(),
	strKey("UNIQUEID", func(g *GetFetch) *string { return &g.UniqueID }).required(),
	guidKey("GUID", func(g *GetFetch) *guid.GUID { return &g.GUID }).required(),
	u32Key("UID", func(g *GetFetch) *uint32 { return &g.UID }).required(),
)

// Value encodes the kvlist in Cyrus's order.
func (g *GetFetch) Value() dlist.Value { return fetchTable.encode(g, nil) }

// ParseGetFetch decodes the argument of GET FETCH.
func ParseGetFetch(v dlist.Value) (*GetFetch, error) { return parse(fetchTable, v) }

// Fetch sends GET FETCH and copies the message file the replica returns
// to w, its SHA-1 checked against the file literal's GUID by the decoder.
// A reply without a MESSAGE item, or whose GUID differs from g.GUID, is an
// error.
//
// cyrus: imap/sync_support.c fetch_file (3.6.1)
func (c *Client) Fetch(ctx context.Context, g *GetFetch, w io.Writer) (*Message, error) {
	arg := g.Value()
	recv := func(part, guid string, size int64, r io.Reader) error {
		_, err := io.Copy(w, r)
		return err
	}
	resp, err := c.commandRecv(ctx, "GET", g.Key(), &arg, nil, recv)
	if err != nil {
		return nil, err
	}
	for _, it := range resp.Items {
		if it.Key != "MESSAGE" {
			continue
		}
		m, err := ParseMessage(it.Value)
		if err != nil {
			return nil, err
		}
		if m.Nil || m.GUID != g.GUID {
			return nil, fmt.Errorf("protocol: GET FETCH %s uid %d: replica sent GUID %s", g.MboxName, g.UID, m.GUID)
		}
		return m, nil
	}
	return nil, fmt.Errorf("protocol: GET FETCH %s uid %d: no MESSAGE in the reply", g.MboxName, g.UID)
}
