package protocol

import (
	"io"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// Message is the `* MESSAGE` reply item of GET FETCH: one message file as
// a file literal, or NIL when the server's copy failed its checks. The
// content itself went to the Decoder's FileFunc while the line was read.
//
// cyrus: imap/sync_support.c sync_get_message, imap/dlist.c
// dlist_parse (file literals) (3.6.1)
type Message struct {
	// Nil is set for `* MESSAGE NIL`.
	Nil bool
	// Partition is the partition named in the file literal.
	Partition string
	// GUID is the message GUID.
	GUID guid.GUID
	// Size is the file size in bytes.
	Size int64
	// Body, when encoding, supplies the content (else the Encoder's
	// FileSource is asked).
	Body io.Reader
}

// Key returns "MESSAGE".
func (m *Message) Key() string { return "MESSAGE" }

// ParseMessage decodes a file literal or NIL.
func ParseMessage(v dlist.Value) (*Message, error) {
	if v.IsNil() {
		return &Message{Nil: true}, nil
	}
	f, err := parseFile("MESSAGE", v)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Value encodes the file literal, or NIL.
func (m *Message) Value() dlist.Value {
	if m.Nil {
		return dlist.Nil()
	}
	return dlist.FileLiteral(m.Partition, m.GUID.String(), m.Size, m.Body)
}

// parseFile reads a file literal header.
func parseFile(item string, v dlist.Value) (*Message, error) {
	f, err := v.AsFile()
	if err != nil {
		return nil, &FieldError{Item: item, Err: err}
	}
	g, err := dlist.String(f.GUID).AsGUID()
	if err != nil {
		return nil, &FieldError{Item: item, Key: "GUID", Err: err}
	}
	return &Message{Partition: f.Partition, GUID: g, Size: f.Size}, nil
}
