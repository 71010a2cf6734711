// Package header reads and writes Cyrus IMAP cyrus.header files: the
// per-mailbox file holding the internal name, uniqueid, quota root, ACL and
// the names of the user flags. Both the 3.x format (one dlist kvlist line)
// and the pre-3.0 three-line format are read; Header.Encode writes the 3.x
// format.
//
// cyrus: imap/mailbox.c mailbox_read_header, _parse_header_data (3.6.1)
package header

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// Magic is the fixed text every cyrus.header starts with.
//
// cyrus: imap/mailbox.h MAILBOX_HEADER_MAGIC (3.6.1)
const Magic = "\xA1\x02\x8B\x0DCyrus mailbox header\n" +
	"\"The best thing about this system was that it had lots of goals.\"\n" +
	"\t--Jim Morris on Andrew\n"

// MaxUserFlags is the number of user-flag slots a mailbox has.
const MaxUserFlags = 128

// Sentinel errors wrapped by *FormatError; test with errors.Is.
var (
	// ErrMagic means the file does not start with Magic.
	ErrMagic = errors.New("cyrus.header: bad magic")
	// ErrTruncated means a line is missing its terminating LF.
	ErrTruncated = errors.New("cyrus.header: truncated")
	// ErrSyntax means the dlist line is not a valid kvlist.
	ErrSyntax = errors.New("cyrus.header: bad syntax")
)

// FormatError describes a malformed cyrus.header.
type FormatError struct {
	// File is the file name given to the parser.
	File string
	// Offset is the byte offset where the problem was found.
	Offset int
	// Detail says what exactly is wrong; may be empty.
	Detail string
	// Err is the sentinel error classifying the problem.
	Err error
	// Cause is the underlying error (e.g. a *dlist.SyntaxError), if any.
	Cause error
}

// Error implements error.
func (e *FormatError) Error() string {
	s := fmt.Sprintf("%v: %s at offset %d", e.Err, e.File, e.Offset)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the sentinel error and the cause.
func (e *FormatError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// ACLEntry is one identifier and its rights string.
type ACLEntry struct {
	// ID is the identifier (user, group, "anyone", "-user" for negative
	// rights).
	ID string
	// Rights are the rights letters, e.g. "lrswipkxtecdan".
	Rights string
}

// Header is a decoded cyrus.header.
type Header struct {
	// Type is the mailbox type string (T), e.g. "e" or "f"; empty in the
	// old format.
	Type string
	// Name is the internal mailbox name (N), '.'-separated; empty in the
	// old format.
	Name string
	// UniqueID is the mailbox uniqueid (I).
	UniqueID string
	// QuotaRoot is the quota root applying to the mailbox (Q), if any.
	QuotaRoot string
	// ACL is the access control list (A) in file order.
	ACL []ACLEntry
	// UserFlags are the user-flag names by slot number (U); a removed flag
	// leaves "" (NIL) in its slot. Trailing empty slots are not included.
	UserFlags []string
	// OldFormat is true for a pre-3.0 three-line header.
	OldFormat bool
	// FileCRC is the CRC32 of the whole file, which cyrus.index stores as
	// header_file_crc.
	FileCRC uint32
}

// ACLString returns the ACL in Cyrus' in-memory form "id TAB rights TAB …"
// (with a trailing TAB), as mbexamine prints it.
func (h *Header) ACLString() string {
	var b strings.Builder
	for _, e := range h.ACL {
		b.WriteString(e.ID)
		b.WriteByte('\t')
		b.WriteString(e.Rights)
		b.WriteByte('\t')
	}
	return b.String()
}

// UserFlag returns the name of user flag n, or "" if the slot is unused.
func (h *Header) UserFlag(n int) string {
	if n < 0 || n >= len(h.UserFlags) {
		return ""
	}
	return h.UserFlags[n]
}

// ReadFile reads and parses the cyrus.header at path. Cyrus replaces the
// file by rename under the mailbox's exclusive index lock, so a caller
// wanting a state consistent with cyrus.index reads it while holding the
// index lock (docs/locking.md).
//
// cyrus: imap/mailbox.c mailbox_commit_header (3.6.1)
func ReadFile(path string) (*Header, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes the cyrus.header content data. name is used in error
// messages.
func Parse(name string, data []byte) (*Header, error) {
	fe := func(off int, err error, detail string, cause error) error {
		return &FormatError{File: name, Offset: off, Err: err, Detail: detail, Cause: cause}
	}
	if !bytes.HasPrefix(data, []byte(Magic)) {
		return nil, fe(0, ErrMagic, "", nil)
	}
	h := &Header{FileCRC: crc32.ChecksumIEEE(data)}
	p := len(Magic)
	eol := bytes.IndexByte(data[p:], '\n')
	if eol < 0 {
		return nil, fe(p, ErrTruncated, "no LF after the first line", nil)
	}
	line := data[p : p+eol]
	if len(line) > 0 && line[0] == '%' {
		if err := h.parseDlist(line); err != nil {
			return nil, fe(p, ErrSyntax, "", err)
		}
		return h, nil
	}
	if err := h.parseOld(data, p); err != nil {
		var f *FormatError
		if errors.As(err, &f) {
			f.File = name
		}
		return nil, err
	}
	return h, nil
}

// parseDlist decodes the 3.x kvlist line. Unknown keys are ignored, as
// Cyrus does.
func (h *Header) parseDlist(line []byte) error {
	v, err := dlist.Unmarshal(line, nil)
	if err != nil {
		return err
	}
	if v.Kind() != dlist.KindKVList {
		return fmt.Errorf("line is a %v, want a kvlist", v.Kind())
	}
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "T":
			h.Type = kv.Value.Text()
		case "N":
			h.Name = kv.Value.Text()
		case "I":
			h.UniqueID = kv.Value.Text()
		case "Q":
			h.QuotaRoot = kv.Value.Text()
		case "A":
			if kv.Value.Kind() != dlist.KindKVList {
				return fmt.Errorf("the ACL (A) is a %v, want a kvlist", kv.Value.Kind())
			}
			h.ACL = h.ACL[:0]
			for _, a := range kv.Value.Pairs() {
				h.ACL = append(h.ACL, ACLEntry{ID: a.Key, Rights: a.Value.Text()})
			}
		case "U":
			if kv.Value.Kind() != dlist.KindList {
				return fmt.Errorf("the user flags (U) are a %v, want a list", kv.Value.Kind())
			}
			items := kv.Value.Items()
			if len(items) > MaxUserFlags {
				return fmt.Errorf("%d user flags, at most %d", len(items), MaxUserFlags)
			}
			h.UserFlags = make([]string, len(items))
			for i, it := range items {
				h.UserFlags[i] = it.Text()
			}
		}
	}
	h.UserFlags = trimFlags(h.UserFlags)
	return nil
}

// parseOld decodes the pre-3.0 format starting at offset p: "quotaroot
// TAB uniqueid" LF, flag names separated by single spaces LF, ACL "id TAB
// rights TAB …" LF.
func (h *Header) parseOld(data []byte, p int) error {
	h.OldFormat = true
	var lines [3][]byte
	for i := range lines {
		eol := bytes.IndexByte(data[p:], '\n')
		if eol < 0 {
			return &FormatError{Offset: p, Err: ErrTruncated, Detail: fmt.Sprintf("old-format line %d has no LF", i+1)}
		}
		lines[i] = data[p : p+eol]
		p += eol + 1
	}
	q, id, _ := bytes.Cut(lines[0], []byte("\t"))
	h.QuotaRoot = string(q)
	if i := bytes.IndexByte(id, '\t'); i >= 0 {
		id = id[:i]
	}
	h.UniqueID = string(id)
	if len(lines[1]) > 0 {
		names := strings.Split(string(lines[1]), " ")
		if len(names) > MaxUserFlags {
			names = names[:MaxUserFlags]
		}
		h.UserFlags = trimFlags(names)
	}
	fields := strings.Split(string(lines[2]), "\t")
	for i := 0; i+1 < len(fields); i += 2 {
		h.ACL = append(h.ACL, ACLEntry{ID: fields[i], Rights: fields[i+1]})
	}
	return nil
}

// trimFlags drops trailing empty slots.
func trimFlags(f []string) []string {
	for len(f) > 0 && f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	if len(f) == 0 {
		return nil
	}
	return f
}
