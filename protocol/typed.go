package protocol

import (
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// Body is a typed command argument or reply item: the key that names it on
// the wire (MAILBOX, USER, RESERVE, …) and its dlist value.
type Body interface {
	// Key is the item key, e.g. "MAILBOX".
	Key() string
	// Value is the dlist value, with kvlist keys in Cyrus's order.
	Value() dlist.Value
}

// Request is a typed GET, APPLY or RESTORE command.
type Request interface {
	Body
	// Verb is "GET", "APPLY" or "RESTORE".
	Verb() string
}

// Extra is a kvlist pair that this package does not know (a key of a newer
// Cyrus, which Cyrus itself ignores since it looks keys up by name).
// Parsers keep such pairs and the encoders put them back after the known
// key they followed, so that a value re-encodes as it came.
//
// cyrus: imap/dlist.c dlist_getchild (3.6.1)
type Extra struct {
	// After is the known key the pair followed on the wire ("" if it came
	// first). An Extra whose After key is not emitted goes at the end.
	After string
	dlist.KV
}

// FieldError reports a reply item or command argument that lacks a key or
// has one of the wrong type. It names the item and the key.
type FieldError struct {
	// Item is the item or command key, e.g. "MAILBOX" or "RECORD".
	Item string
	// Key is the kvlist key ("" when the item itself has the wrong kind).
	Key string
	// Err is a *dlist.TypeError or *dlist.MissingKeyError.
	Err error
}

// Error implements error.
func (e *FieldError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("protocol: %s: %v", e.Item, e.Err)
	}
	return fmt.Sprintf("protocol: %s: key %s: %v", e.Item, e.Key, e.Err)
}

// Unwrap returns the underlying dlist error.
func (e *FieldError) Unwrap() error { return e.Err }

// parseBare decodes an argument or item that is one value, not a kvlist
// (GET USER fred, LSUB (a b)): read converts it (parseString, …), acc
// binds it in a new T.
func parseBare[T, V any](item string, v dlist.Value, read func(string, dlist.Value) (V, error), acc func(*T) *V) (*T, error) {
	val, err := read(item, v)
	if err != nil {
		return nil, err
	}
	x := new(T)
	*acc(x) = val
	return x, nil
}

// parseString reads a plain string argument (GET USER fred).
func parseString(item string, v dlist.Value) (string, error) {
	s, err := v.AsString()
	if err != nil {
		return "", &FieldError{Item: item, Err: err}
	}
	return s, nil
}

// parseStringList reads a list of strings (GET MAILBOXES (a b)).
func parseStringList(item string, v dlist.Value) ([]string, error) {
	r := kvReader{item: item}
	out := r.strings("", v)
	if err := r.result(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseGUIDList reads a list of GUIDs (MISSING (g …)).
func parseGUIDList(item string, v dlist.Value) ([]guid.GUID, error) {
	r := kvReader{item: item}
	out := r.guids("", v)
	if err := r.result(); err != nil {
		return nil, err
	}
	return out, nil
}

// localKey returns key, prefixed with LOCAL_ if local.
func localKey(local bool, key string) string {
	if local {
		return "LOCAL_" + key
	}
	return key
}
