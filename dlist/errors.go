package dlist

import (
	"errors"
	"fmt"
)

// SyntaxError reports input that does not follow the dlist grammar.
type SyntaxError struct {
	Offset     int64  // input offset of the offending byte
	Production string // grammar production being read, e.g. "kvlist key"
	Msg        string // what was wrong
	Err        error  // underlying cause, if any (io.ErrUnexpectedEOF, ErrSyncLiteral, …)
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("dlist: syntax error in %s at offset %d: %s", e.Production, e.Offset, e.Msg)
}

// Unwrap returns the underlying cause.
func (e *SyntaxError) Unwrap() error { return e.Err }

// GUIDMismatchError reports a file literal whose content does not hash to
// its GUID. The decoder has consumed the whole content when it returns this
// error, so the stream is still in sync.
type GUIDMismatchError struct {
	Partition string
	GUID      string // as announced
	Got       string // hex SHA-1 of the content received
}

// Error implements error.
func (e *GUIDMismatchError) Error() string {
	return fmt.Sprintf("dlist: file literal %s (partition %s): content has SHA-1 %s", e.GUID, e.Partition, e.Got)
}

var (
	// ErrSyncLiteral is wrapped by the SyntaxError returned for a {n}
	// literal when DecodeOptions.Literals is RejectSyncLiterals.
	ErrSyncLiteral = errors.New("dlist: synchronising literal {n} not accepted")
	// ErrNonSyncLiteral is wrapped by the SyntaxError returned for a {n+}
	// literal when DecodeOptions.Literals is RejectNonSyncLiterals.
	ErrNonSyncLiteral = errors.New("dlist: non-synchronising literal {n+} not accepted")
	// ErrNoFileFunc is returned for a file literal when the Decoder has no
	// FileFunc. The content has been skipped.
	ErrNoFileFunc = errors.New("dlist: file literal but no FileFunc to receive it")
	// ErrSkipFile may be returned (possibly wrapped) by a FileSource to make
	// the Encoder print NIL instead of the file literal, as Cyrus does when
	// a message file is missing or damaged (cyrus: printfile in
	// imap/dlist.c 3.6.1).
	ErrSkipFile = errors.New("dlist: file unavailable, send NIL")
)
