package spool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// OwnerToken is what cyrus.annotations stores instead of the userid when
// the mailbox owner sets a private annotation.
//
// cyrus: imap/annotate.c OWNER_USERID_TOKEN (3.6.1)
const OwnerToken = "[.OwNeR.]"

// Annotation is one stored annotation value.
type Annotation struct {
	// UID is the message UID, 0 for a mailbox-level annotation.
	UID uint32
	// Entry is the entry name, e.g. "/comment".
	Entry string
	// UserID is "" for the shared value, else the user the private value
	// belongs to (the owner token already replaced by the owner's userid).
	UserID string
	// Value is the value; empty for a deleted (tombstone) entry.
	Value []byte
	// Modseq is the modseq of the last change.
	Modseq uint64
	// Deleted marks a tombstone kept so that the deletion replicates.
	Deleted bool
}

// ErrAnnotation is wrapped by errors about malformed annotation records.
var ErrAnnotation = errors.New("malformed annotation record")

// parseAnnotKey splits "<uid or uniqueid> NUL <entry> NUL <userid> NUL".
//
// cyrus: imap/annotate.c split_key (3.6.1)
func parseAnnotKey(k []byte) (first, entry, userid string, err error) {
	parts := bytes.Split(k, []byte{0})
	if len(parts) != 4 || len(parts[3]) != 0 {
		return "", "", "", fmt.Errorf("%w: key %q", ErrAnnotation, k)
	}
	return string(parts[0]), string(parts[1]), string(parts[2]), nil
}

// parseAnnotValue decodes a stored value (x86-64 layout: 8-byte length
// field whose first 4 bytes are the big-endian length, value, NUL,
// content type, NUL, 8 bytes modifiedsince, 8-byte big-endian modseq,
// flags byte).
//
// cyrus: imap/annotate.c split_attribs (3.6.1)
func parseAnnotValue(d []byte) (value []byte, modseq uint64, deleted bool, err error) {
	if len(d) < 8 {
		return nil, 0, false, fmt.Errorf("%w: value of %d bytes", ErrAnnotation, len(d))
	}
	n := uint64(binary.BigEndian.Uint32(d))
	if 8+n > uint64(len(d)) {
		return nil, 0, false, fmt.Errorf("%w: value length %d beyond record", ErrAnnotation, n)
	}
	value = d[8 : 8+n]
	p := 8 + int(n) + 1
	if p < len(d) {
		i := bytes.IndexByte(d[p:], 0)
		if i < 0 {
			return nil, 0, false, fmt.Errorf("%w: unterminated content type", ErrAnnotation)
		}
		p += i + 1 + 8
	}
	if p < len(d) {
		if p+8 > len(d) {
			return nil, 0, false, fmt.Errorf("%w: short modseq", ErrAnnotation)
		}
		modseq = binary.BigEndian.Uint64(d[p:])
		p += 8
	}
	if p < len(d) {
		deleted = d[p]&1 != 0
	}
	if deleted {
		value = nil
	}
	return value, modseq, deleted, nil
}

// readMessageAnnotations reads a mailbox's cyrus.annotations (absent = no
// annotations) under the DB's shared lock. owner replaces the owner token.
func readMessageAnnotations(path, owner string) ([]Annotation, error) {
	db, err := openKV(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Annotation
	err = db.forEachPrefix(nil, func(k, v []byte) error {
		a, err := decodeAnnotation(k, v, owner)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		uid, err := strconv.ParseUint(a.first, 10, 32)
		if err != nil {
			return fmt.Errorf("%s: %w: uid %q", path, ErrAnnotation, a.first)
		}
		a.UID = uint32(uid)
		out = append(out, a.Annotation)
		return nil
	})
	return out, err
}

type rawAnnotation struct {
	Annotation
	first string
}

func decodeAnnotation(k, v []byte, owner string) (rawAnnotation, error) {
	first, entry, userid, err := parseAnnotKey(k)
	if err != nil {
		return rawAnnotation{}, err
	}
	val, modseq, deleted, err := parseAnnotValue(v)
	if err != nil {
		return rawAnnotation{}, fmt.Errorf("key %q: %w", k, err)
	}
	if userid == OwnerToken {
		userid = owner
	}
	return rawAnnotation{Annotation: Annotation{Entry: entry, UserID: userid, Value: bytes.Clone(val), Modseq: modseq, Deleted: deleted}, first: first}, nil
}

// AnnotationsDBPath returns the global annotations.db (annotation_db_path
// or configdirectory/annotations.db).
func (s *Spool) AnnotationsDBPath() string { return s.dbPath("annotation_db_path", "annotations.db") }

// MailboxAnnotations returns the mailbox-level annotations of the mailbox
// with the given uniqueid from the global annotations.db (3.6 keys them by
// uniqueid); owner replaces the owner token. uniqueid "" gives the server
// annotations.
func (s *Spool) MailboxAnnotations(uniqueid, owner string) ([]Annotation, error) {
	path := s.AnnotationsDBPath()
	db, err := openKV(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: annotations: %w", err)
	}
	var out []Annotation
	err = db.forEachPrefix([]byte(uniqueid+"\x00"), func(k, v []byte) error {
		a, err := decodeAnnotation(k, v, owner)
		if err != nil {
			return fmt.Errorf("spool: %s: %w", path, err)
		}
		if a.first == uniqueid {
			out = append(out, a.Annotation)
		}
		return nil
	})
	return out, err
}
