package protocol

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// ApplyReserve is `APPLY RESERVE %(PARTITION p MBOXNAME (m …) GUID (g …))`:
// the replica stages the files it already has; the reply's MISSING item
// lists the others.
//
// cyrus: imap/sync_support.c sync_reserve_partition, sync_apply_reserve (3.6.1)
type ApplyReserve struct {
	// Partition is the replica partition to stage files on.
	Partition string
	// MboxNames are the replica mailboxes to search.
	MboxNames []string
	// GUIDs are the files wanted.
	GUIDs []guid.GUID
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// Verb returns "APPLY".
func (a *ApplyReserve) Verb() string { return "APPLY" }

// Key returns "RESERVE".
func (a *ApplyReserve) Key() string { return "RESERVE" }

// reserveTable: all keys are required, as sync_apply_reserve requires them.
var reserveTable = newTable("RESERVE", func(a *ApplyReserve) *[]Extra { return &a.Extra },
	strKey("PARTITION", func(a *ApplyReserve) *string { return &a.Partition }).required(),
	strsKey("MBOXNAME", func(a *ApplyReserve) *[]string { return &a.MboxNames }).required(),
	guidsKey("GUID", func(a *ApplyReserve) *[]guid.GUID { return &a.GUIDs }).required(),
)

// Value encodes the kvlist in Cyrus's order.
func (a *ApplyReserve) Value() dlist.Value { return reserveTable.encode(a, nil) }

// ParseApplyReserve decodes the argument of APPLY RESERVE.
func ParseApplyReserve(v dlist.Value) (*ApplyReserve, error) { return parse(reserveTable, v) }

// Reserve sends APPLY RESERVE and returns the GUIDs the replica is missing.
func (c *Client) Reserve(ctx context.Context, a *ApplyReserve) ([]guid.GUID, error) {
	resp, err := c.Do(ctx, a)
	if err != nil {
		return nil, err
	}
	var out []guid.GUID
	for _, it := range resp.Items {
		if it.Key != "MISSING" {
			continue
		}
		m, err := ParseMissing(it.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, m.GUIDs...)
	}
	return out, nil
}
