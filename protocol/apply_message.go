package protocol

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// ApplyMessage is `APPLY MESSAGE (%{partition guid size} …)`: message files
// uploaded into the replica's per-connection cache.
// NIL elements (files the sender could not read) are kept as Nil Messages.
//
// cyrus: imap/sync_support.c sync_apply_message, sync_send_file (3.6.1)
type ApplyMessage struct {
	// Files are the file literals.
	Files []Message
}

// Verb returns "APPLY".
func (a *ApplyMessage) Verb() string { return "APPLY" }

// Key returns "MESSAGE".
func (a *ApplyMessage) Key() string { return "MESSAGE" }

// Value encodes the list of file literals.
func (a *ApplyMessage) Value() dlist.Value {
	items := make([]dlist.Value, len(a.Files))
	for i := range a.Files {
		items[i] = a.Files[i].Value()
	}
	return dlist.List(items...)
}

// ParseApplyMessage decodes the list (the contents went to the Decoder's
// FileFunc).
func ParseApplyMessage(v dlist.Value) (*ApplyMessage, error) {
	items, err := v.AsList()
	if err != nil {
		return nil, &FieldError{Item: "MESSAGE", Err: err}
	}
	a := &ApplyMessage{Files: make([]Message, len(items))}
	for i, it := range items {
		m, err := ParseMessage(it)
		if err != nil {
			return nil, err
		}
		a.Files[i] = *m
	}
	return a, nil
}

// ApplyMessage uploads files, reading contents without a Body from files.
func (c *Client) ApplyMessage(ctx context.Context, a *ApplyMessage, files dlist.FileSource) error {
	_, err := c.CommandFiles(ctx, a.Verb(), a.Key(), a.Value(), files)
	return err
}
