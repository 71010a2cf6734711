package index

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by *FormatError; test with errors.Is.
var (
	// ErrVersion means the index minor version is not supported (only
	// 17, 18 and 19 are).
	ErrVersion = errors.New("unsupported cyrus.index version")
	// ErrTruncated means the file ends before the header or a record.
	ErrTruncated = errors.New("cyrus.index truncated")
	// ErrHeaderCRC means the stored header CRC does not match.
	ErrHeaderCRC = errors.New("cyrus.index header CRC mismatch")
	// ErrRecordCRC means a stored record CRC does not match.
	ErrRecordCRC = errors.New("cyrus.index record CRC mismatch")
	// ErrLayout means start_offset or record_size are impossible for the
	// version.
	ErrLayout = errors.New("cyrus.index bad layout")
)

// FormatError describes a malformed cyrus.index. Err is one of the
// sentinel errors above.
type FormatError struct {
	// File is the file name given to the parser.
	File string
	// Record is the 1-based record number (recno), 0 for the header.
	Record uint32
	// Offset is the byte offset of the header (0) or of the record.
	Offset int64
	// Detail says what exactly is wrong; may be empty.
	Detail string
	// Err is the sentinel error classifying the problem.
	Err error
}

// Error implements error.
func (e *FormatError) Error() string {
	where := "header"
	if e.Record > 0 {
		where = fmt.Sprintf("record %d", e.Record)
	}
	s := fmt.Sprintf("cyrus.index %s: %s at offset %d: %v", e.File, where, e.Offset, e.Err)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *FormatError) Unwrap() error { return e.Err }
