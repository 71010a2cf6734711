package twoskip

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by *FormatError; test with errors.Is.
var (
	// ErrMagic means the file does not start with the twoskip magic.
	ErrMagic = errors.New("not a twoskip file (bad magic)")
	// ErrVersion means the header carries a version other than 1.
	ErrVersion = errors.New("unsupported twoskip version")
	// ErrHeaderCRC means the file header's CRC32 does not match.
	ErrHeaderCRC = errors.New("twoskip header CRC mismatch")
	// ErrHeadCRC means a record's crc32_head does not match its head.
	ErrHeadCRC = errors.New("twoskip record head CRC mismatch")
	// ErrTailCRC means a record's crc32_tail does not match its key/value.
	ErrTailCRC = errors.New("twoskip record tail CRC mismatch")
	// ErrTruncated means a header or record extends past the committed
	// end of the file.
	ErrTruncated = errors.New("twoskip file truncated")
	// ErrCorrupt means the record structure is inconsistent (bad type or
	// level, pointer out of range, keys out of order, loops).
	ErrCorrupt = errors.New("twoskip structure corrupt")
)

// FormatError describes a malformed twoskip file. Err is one of the
// sentinel errors above.
type FormatError struct {
	// File is the name of the file (as given to Parse or ReadFile).
	File string
	// Offset is the byte offset of the offending header or record.
	Offset uint64
	// Detail says what exactly is wrong; may be empty.
	Detail string
	// Err is the sentinel error classifying the problem.
	Err error
}

// Error implements error.
func (e *FormatError) Error() string {
	s := fmt.Sprintf("twoskip %s: offset 0x%X: %v", e.File, e.Offset, e.Err)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *FormatError) Unwrap() error { return e.Err }

func (db *DB) errf(off uint64, sentinel error, format string, args ...any) error {
	return &FormatError{File: db.name, Offset: off, Detail: fmt.Sprintf(format, args...), Err: sentinel}
}
