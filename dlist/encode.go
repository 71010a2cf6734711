package dlist

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// FileSource opens the content of a file literal whose Value has no Body.
// Returning an error that wraps ErrSkipFile makes the Encoder print NIL in
// place of the file literal (as Cyrus does); any other error aborts.
type FileSource func(partition, guid string, size int64) (io.Reader, error)

// EncodeOptions configures an Encoder. The zero value writes server-side
// {n} literals and refuses file literals without a Body.
type EncodeOptions struct {
	// NonSyncLiterals writes {n+} literals, as a Cyrus client does;
	// otherwise {n} as a Cyrus server (and the on-disk printer) does.
	// cyrus: prot_printliteral in lib/prot.c (3.6.1).
	NonSyncLiterals bool
	// File supplies the content of file literals that have no Body.
	File FileSource
	// VerifyFiles checks the SHA-1 of file content against its GUID while
	// streaming it. A mismatch can only be reported after the bytes have
	// been written, so the stream must then be abandoned; callers that
	// want Cyrus' "send NIL instead" behaviour must check before encoding.
	VerifyFiles bool
}

// ErrBadFlag is wrapped by the error returned when a flag value cannot be
// printed raw and read back as the same flag.
var ErrBadFlag = errors.New("dlist: flag is not a valid atom")

// ErrBadKey is wrapped by the error returned for a kvlist or item key
// containing a NUL byte, which Cyrus (C strings) cannot represent and the
// Decoder refuses.
var ErrBadKey = errors.New("dlist: NUL byte in key")

// ErrFileInAppend is returned by AppendValue and Marshal for a file literal,
// which only an Encoder can stream.
var ErrFileInAppend = errors.New("dlist: file literal needs an Encoder")

// Encoder writes dlist values in exactly the form Cyrus' dlist_print does.
// Output is buffered; call Flush at the end of each command or response.
type Encoder struct {
	w   *bufio.Writer
	opt EncodeOptions
	buf []byte
}

// NewEncoder returns an Encoder writing to w (used directly if it is a
// *bufio.Writer). opts may be nil.
func NewEncoder(w io.Writer, opts *EncodeOptions) *Encoder {
	e := &Encoder{}
	if opts != nil {
		e.opt = *opts
	}
	if bw, ok := w.(*bufio.Writer); ok {
		e.w = bw
	} else {
		e.w = bufio.NewWriter(w)
	}
	return e
}

// Encode writes one value. After an error the output written so far is
// incomplete and the stream should be abandoned.
func (e *Encoder) Encode(v Value) error {
	var err error
	e.buf, err = appendValue(e.buf, v, e.opt.NonSyncLiterals, e.fileValue)
	if err != nil {
		e.buf = e.buf[:0]
		return err
	}
	return e.spill()
}

// EncodeItem writes item = key SP value, with the key printed by the
// astring rule (cyrus: dlist_print with printkeys).
func (e *Encoder) EncodeItem(key string, v Value) error {
	if err := checkKey(key); err != nil {
		return err
	}
	e.buf = AppendAString(e.buf, key, e.opt.NonSyncLiterals)
	e.buf = append(e.buf, ' ')
	return e.Encode(v)
}

// WriteRaw writes bytes as they are, e.g. a command verb or CRLF.
func (e *Encoder) WriteRaw(s string) error {
	e.buf = append(e.buf, s...)
	return e.spill()
}

// Flush writes any buffered output to the underlying writer.
func (e *Encoder) Flush() error {
	if err := e.spill(); err != nil {
		return err
	}
	return e.w.Flush()
}

// spill moves the internal buffer to the bufio.Writer.
func (e *Encoder) spill() error {
	if len(e.buf) == 0 {
		return nil
	}
	_, err := e.w.Write(e.buf)
	e.buf = e.buf[:0]
	return err
}

// fileValue writes a file literal from its Body or the FileSource; it is
// the file hook of appendValue, so dst is e.buf.
func (e *Encoder) fileValue(dst []byte, f *File) ([]byte, error) {
	e.buf = dst
	r, guid := f.Body, lower(f.GUID)
	if r == nil {
		if e.opt.File == nil {
			return e.buf, fmt.Errorf("dlist: file literal %s has no Body and the Encoder no FileSource", f.GUID)
		}
		var err error
		if r, err = e.opt.File(f.Partition, guid, f.Size); err != nil {
			if errors.Is(err, ErrSkipFile) {
				return append(e.buf, "NIL"...), nil
			}
			return e.buf, fmt.Errorf("dlist: opening file literal %s: %w", f.GUID, err)
		}
	}
	err := e.WriteFileLiteral(f.Partition, guid, f.Size, r)
	return e.buf, err
}

// WriteFileLiteral writes %{partition guid size} CRLF followed by exactly
// size bytes copied from r (cyrus: printfile in imap/dlist.c 3.6.1). If r
// is short, or (with VerifyFiles) its SHA-1 differs from guid, an error is
// returned after the bytes have been written.
func (e *Encoder) WriteFileLiteral(partition, guid string, size int64, r io.Reader) error {
	var want [20]byte
	if !decodeGUID(&want, guid) {
		return fmt.Errorf("dlist: file literal GUID %q is not 40 hex digits", guid)
	}
	if size < 0 {
		return fmt.Errorf("dlist: file literal %s: negative size %d", guid, size)
	}
	if err := checkKey(partition); err != nil {
		return fmt.Errorf("dlist: file literal partition: %w", err)
	}
	e.buf = append(e.buf, '%', '{')
	e.buf = AppendAString(e.buf, partition, e.opt.NonSyncLiterals)
	e.buf = append(e.buf, ' ')
	e.buf = AppendAString(e.buf, lower(guid), e.opt.NonSyncLiterals)
	e.buf = append(e.buf, ' ')
	e.buf = strconv.AppendInt(e.buf, size, 10)
	e.buf = append(e.buf, '}', '\r', '\n')
	if err := e.spill(); err != nil {
		return err
	}
	var h hash.Hash
	if e.opt.VerifyFiles {
		h = sha1.New()
		r = io.TeeReader(r, h)
	}
	n, err := io.CopyN(e.w, r, size)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("dlist: file literal %s: content has %d bytes, want %d: %w", guid, n, size, io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("dlist: file literal %s: %w", guid, err)
	}
	if h != nil {
		var got [20]byte
		h.Sum(got[:0])
		if want != got {
			return &GUIDMismatchError{Partition: partition, GUID: guid, Got: hex.EncodeToString(got[:])}
		}
	}
	return nil
}

// AppendValue appends the encoding of v to dst. It cannot encode file
// literals (ErrFileInAppend). nonSync selects {n+} literals.
func AppendValue(dst []byte, v Value, nonSync bool) ([]byte, error) {
	return appendValue(dst, v, nonSync, func(dst []byte, _ *File) ([]byte, error) {
		return dst, ErrFileInAppend
	})
}

// appendValue encodes v into dst, calling file for file literals.
func appendValue(dst []byte, v Value, nonSync bool, file func([]byte, *File) ([]byte, error)) ([]byte, error) {
	var err error
	switch v.kind {
	case KindList:
		dst = append(dst, '(')
		for i := range v.list {
			if i > 0 {
				dst = append(dst, ' ')
			}
			if dst, err = appendValue(dst, v.list[i], nonSync, file); err != nil {
				return dst, err
			}
		}
		return append(dst, ')'), nil
	case KindKVList:
		dst = append(dst, '%', '(')
		for i := range v.kvs {
			if i > 0 {
				dst = append(dst, ' ')
			}
			if err := checkKey(v.kvs[i].Key); err != nil {
				return dst, err
			}
			dst = AppendAString(dst, v.kvs[i].Key, nonSync)
			dst = append(dst, ' ')
			if dst, err = appendValue(dst, v.kvs[i].Value, nonSync, file); err != nil {
				return dst, err
			}
		}
		return append(dst, ')'), nil
	case KindFile:
		return file(dst, v.file)
	}
	return appendScalar(dst, v, nonSync)
}

// Marshal returns the encoding of v with {n} literals, as Cyrus writes
// values to disk (dlist_printbuf). It cannot encode file literals.
func Marshal(v Value) ([]byte, error) {
	return AppendValue(nil, v, false)
}

// checkKey refuses keys that the Decoder would not read back.
func checkKey(key string) error {
	if strings.IndexByte(key, 0) >= 0 {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return nil
}

// appendScalar appends NIL, a string or a flag.
func appendScalar(dst []byte, v Value, nonSync bool) ([]byte, error) {
	switch v.kind {
	case KindNil:
		return append(dst, "NIL"...), nil
	case KindString:
		return AppendAString(dst, v.s, nonSync), nil
	case KindFlag:
		if !rawFlagOK(v.s) {
			return dst, fmt.Errorf("%w: %q", ErrBadFlag, v.s)
		}
		return append(dst, v.s...), nil
	}
	return dst, fmt.Errorf("dlist: cannot encode a value of kind %s", v.kind)
}

// rawFlagOK reports whether a flag printed raw reads back as the same
// string: a non-empty atom that does not start a literal, list, kvlist or
// quoted string and is not NIL.
func rawFlagOK(s string) bool {
	if s == "" || s == "NIL" || s[0] == '{' || s[0] == '%' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !atomChar[s[i]] {
			return false
		}
	}
	return true
}

// maxQString is the length from which strings are no longer printed as
// atoms or quoted strings. cyrus: MAXQSTRING and imparse_isnatom (lib/prot.c,
// lib/imparse.c 3.6.1).
const maxQString = 1024

// printAtom[c] is true for bytes allowed in a printed atom: not ≥0x80, not
// <0x1F (0x1F itself is allowed), not 0x7F, SP, "{", "(", ")", DQUOTE, "%",
// "*" or "\". cyrus: imparse_isnatom in lib/imparse.c (3.6.1).
// printQuoted[c] is true for QCHARs: not ≥0x80, CR, LF, DQUOTE, "%", "\"
// (and not NUL, which a C string cannot hold). cyrus: isQCHAR in lib/prot.c.
var printAtom, printQuoted = func() (a, q [256]bool) {
	for c := 0; c < 256; c++ {
		a[c] = c < 0x80 && c >= 0x1f && c != 0x7f && c != ' ' && c != '{' && c != '(' &&
			c != ')' && c != '"' && c != '%' && c != '*' && c != '\\'
		q[c] = c < 0x80 && c != 0 && c != '\r' && c != '\n' && c != '"' && c != '%' && c != '\\'
	}
	return
}()

// AppendAString appends s by Cyrus' astring rule (cyrus: prot_printastring
// in lib/prot.c 3.6.1): "" for the empty string; a bare atom if it is one
// and is not NIL; else a quoted string (no escapes) if shorter than 1024
// bytes and made of QCHARs; else a literal, {n+} if nonSync else {n}.
func AppendAString(dst []byte, s string, nonSync bool) []byte {
	if s == "" {
		return append(dst, '"', '"')
	}
	atom, quoted := len(s) < maxQString, len(s) < maxQString
	for i := 0; i < len(s) && quoted; i++ {
		atom = atom && printAtom[s[i]]
		quoted = printQuoted[s[i]]
	}
	switch {
	case atom && s != "NIL":
		return append(dst, s...)
	case quoted:
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	return AppendLiteral(dst, s, nonSync)
}

// AppendLiteral appends s as a literal: {n}CRLF or {n+}CRLF, then the bytes.
func AppendLiteral(dst []byte, s string, nonSync bool) []byte {
	dst = append(dst, '{')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	if nonSync {
		dst = append(dst, '+')
	}
	dst = append(dst, '}', '\r', '\n')
	return append(dst, s...)
}
