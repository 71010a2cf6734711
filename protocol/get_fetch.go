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
// MESSAGE item (protocol.md §4.3).
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

// Value encodes the kvlist in Cyrus's order.
func (g *GetFetch) Value() dlist.Value {
	w := newKVWriter(5, g.Extra)
	w.add("MBOXNAME", dlist.String(g.MboxName))
	w.add("PARTITION", dlist.String(g.Partition))
	w.add("UNIQUEID", dlist.String(g.UniqueID))
	w.add("GUID", dlist.GUID(g.GUID))
	w.add("UID", dlist.Uint32(g.UID))
	return w.value()
}

var fetchKeys = []string{"MBOXNAME", "PARTITION", "UNIQUEID", "GUID", "UID"}

// ParseGetFetch decodes the argument of GET FETCH; all keys are required.
func ParseGetFetch(v dlist.Value) (*GetFetch, error) {
	g := &GetFetch{}
	r := kvReader{}
	if !r.begin("FETCH", v) {
		return nil, r.result()
	}
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "MBOXNAME":
			if r.first(0, kv) {
				g.MboxName = r.str(kv)
			}
		case "PARTITION":
			if r.first(1, kv) {
				g.Partition = r.str(kv)
			}
		case "UNIQUEID":
			if r.first(2, kv) {
				g.UniqueID = r.str(kv)
			}
		case "GUID":
			if r.first(3, kv) {
				g.GUID = r.guid(kv)
			}
		case "UID":
			if r.first(4, kv) {
				g.UID = r.u32(kv)
			}
		default:
			r.keep(kv)
		}
	}
	r.require(fetchKeys, 0, 1, 2, 3, 4)
	g.Extra = r.extra
	if err := r.result(); err != nil {
		return nil, err
	}
	return g, nil
}

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
