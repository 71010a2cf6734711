// Package guid computes and represents Cyrus message GUIDs: the SHA-1 of
// the complete message file, stored binary in cyrus.index records and shown
// as 40 lower-case hex digits by Cyrus tools and the replication protocol.
//
// cyrus: imap/message_guid.c message_guid_generate (3.6.1)
package guid

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// Size is the length of a GUID in bytes.
const Size = sha1.Size

// GUID is a message GUID (SHA-1 digest).
type GUID [Size]byte

// ErrSyntax is returned by Parse for a string that is not 40 hex digits.
var ErrSyntax = errors.New("guid: not 40 hex digits")

// Sum returns the GUID of a message held in memory.
func Sum(msg []byte) GUID { return GUID(sha1.Sum(msg)) }

// FromReader returns the GUID of the message read from r until EOF.
func FromReader(r io.Reader) (GUID, error) {
	h := sha1.New()
	if _, err := io.Copy(h, r); err != nil {
		return GUID{}, err
	}
	var g GUID
	h.Sum(g[:0])
	return g, nil
}

// File returns the GUID of the message file at path (e.g. "<uid>." in a
// mailbox directory).
func File(path string) (GUID, error) {
	f, err := os.Open(path)
	if err != nil {
		return GUID{}, fmt.Errorf("guid: %w", err)
	}
	defer f.Close()
	g, err := FromReader(f)
	if err != nil {
		return GUID{}, fmt.Errorf("guid: read %s: %w", path, err)
	}
	return g, nil
}

// Parse decodes a GUID from 40 hex digits (either case).
func Parse(s string) (GUID, error) {
	var g GUID
	if len(s) != 2*Size {
		return g, ErrSyntax
	}
	if _, err := hex.Decode(g[:], []byte(s)); err != nil {
		return g, ErrSyntax
	}
	return g, nil
}

// String returns the GUID as 40 lower-case hex digits, as Cyrus prints it.
func (g GUID) String() string { return hex.EncodeToString(g[:]) }

// IsZero reports whether g is the all-zero (null) GUID, which Cyrus uses for
// "no GUID".
func (g GUID) IsZero() bool { return g == GUID{} }

// MarshalText implements encoding.TextMarshaler (hex form).
func (g GUID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex form).
func (g *GUID) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}
