package squat

import (
	"errors"
	"fmt"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrCorrupt classifies every malformed-file *FormatError.
	ErrCorrupt = errors.New("corrupt SQUAT index")
	// ErrSearchTooShort is Cyrus's SQUAT_ERR_SEARCH_STRING_TOO_SHORT: a
	// substring under 4 bytes cannot use the index.
	ErrSearchTooShort = errors.New("squat: search string too short")
	// ErrSearchInvalidChar is SQUAT_ERR_SEARCH_STRING_INVALID_CHAR: the
	// substring has a byte the index creator declared invalid.
	ErrSearchInvalidChar = errors.New("squat: search string contains invalid character")
)

// FormatError describes a malformed cyrus.squat.
type FormatError struct {
	File   string // file name given to Parse or ReadFile
	Offset int64  // byte offset of the problem
	Detail string // what is wrong
}

// Error implements error.
func (e *FormatError) Error() string {
	return fmt.Sprintf("squat index %s: offset %d: %s", e.File, e.Offset, e.Detail)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *FormatError) Unwrap() error { return ErrCorrupt }

func (ix *Index) corrupt(off int, format string, args ...any) error {
	return &FormatError{File: ix.file, Offset: int64(off), Detail: fmt.Sprintf(format, args...)}
}
