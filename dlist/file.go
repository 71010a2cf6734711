package dlist

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// fileLiteral = "%{" astring SP astring SP number "}" [CR] LF *OCTET
// (partition, GUID, size). Exactly one SP separates the fields and the CR
// is optional (cyrus: dlist_parse, imap/dlist.c 3.6.1). The content goes to
// the FileFunc through a hashing reader; see FileFunc.
func (d *Decoder) fileLiteral() (Value, error) {
	const prod = "file literal"
	d.discard(2) // "%{"
	part, err := d.astring(prod + " partition")
	if err != nil {
		return Value{}, err
	}
	if err := d.expect(prod, ' '); err != nil {
		return Value{}, err
	}
	guid, err := d.astring(prod + " guid")
	if err != nil {
		return Value{}, err
	}
	if err := d.expect(prod, ' '); err != nil {
		return Value{}, err
	}
	size, err := d.number(prod+" size", d.lim.MaxFileSize, LimitFileSize)
	if err != nil {
		return Value{}, err
	}
	if err := d.expect(prod, '}'); err != nil {
		return Value{}, err
	}
	if c, err := d.peek(prod); err != nil {
		return Value{}, err
	} else if c == '\r' {
		d.discard(1)
	}
	if err := d.expect(prod, '\n'); err != nil {
		return Value{}, err
	}
	// From here on the content is always consumed, so that the stream
	// stays in sync whatever happens to this file literal.
	var sum [20]byte
	if !decodeGUID(&sum, guid) {
		err := d.syntax(prod, fmt.Sprintf("GUID %q is not 40 hex digits", guid), nil)
		if serr := d.skipBytes(size); serr != nil {
			return Value{}, serr
		}
		return Value{}, err
	}
	guid = lower(guid)
	if d.file == nil {
		err := fmt.Errorf("dlist: file literal %s at offset %d: %w", guid, d.off, ErrNoFileFunc)
		if serr := d.skipBytes(size); serr != nil {
			return Value{}, serr
		}
		return Value{}, err
	}

	fr := &fileReader{d: d, remain: size, h: sha1.New(), want: sum, part: part, guid: guid}
	cbErr := d.file(part, guid, size, fr)
	// Drain what the callback left; this also completes the hash check.
	if fr.err == nil {
		_, _ = io.Copy(io.Discard, fr)
	}
	var mismatch *GUIDMismatchError
	switch {
	case fr.err != io.EOF && !errors.As(fr.err, &mismatch):
		return Value{}, fr.err // the stream itself failed
	case mismatch != nil:
		return Value{}, mismatch
	case cbErr != nil:
		return Value{}, fmt.Errorf("dlist: file literal %s (partition %s): %w", guid, part, cbErr)
	}
	return Value{kind: KindFile, file: &File{Partition: part, GUID: guid, Size: size}}, nil
}

// expect consumes one byte that must be want. A different byte is left
// unread, so that an error never swallows the end of the line.
func (d *Decoder) expect(prod string, want byte) error {
	c, err := d.peek(prod)
	if err != nil {
		return err
	}
	if c != want {
		return d.syntax(prod, "expected "+quoteByte(want)+", got "+quoteByte(c), nil)
	}
	d.discard(1)
	return nil
}

// fileReader yields the content of one file literal, hashing it; at the
// end it returns io.EOF or a *GUIDMismatchError. Its bytes are not charged
// against Limits.MaxTotal: they are never held in memory by the decoder.
type fileReader struct {
	d      *Decoder
	remain int64
	h      hash.Hash
	want   [20]byte
	part   string
	guid   string
	err    error // sticky: io.EOF, *GUIDMismatchError or a read error
}

// Read implements io.Reader.
func (fr *fileReader) Read(p []byte) (int, error) {
	if fr.err != nil {
		return 0, fr.err
	}
	if fr.remain == 0 {
		fr.finish()
		return 0, fr.err
	}
	if int64(len(p)) > fr.remain {
		p = p[:fr.remain]
	}
	n, err := fr.d.r.Read(p)
	fr.account(p[:n])
	if err != nil {
		if fr.remain > 0 {
			fr.err = fr.d.readErr("file literal content", err)
			return n, fr.err
		}
	}
	if fr.remain == 0 {
		fr.finish()
		if fr.err != io.EOF {
			return n, fr.err
		}
	}
	return n, nil
}

// WriteTo copies the rest of the content to w without an intermediate
// buffer (io.Copy uses it).
func (fr *fileReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for fr.err == nil && fr.remain > 0 {
		b, err := fr.d.r.Peek(int(min(fr.remain, int64(fr.d.r.Size()))))
		if len(b) == 0 {
			fr.err = fr.d.readErr("file literal content", err)
			return total, fr.err
		}
		n, werr := w.Write(b)
		fr.d.r.Discard(n)
		fr.account(b[:n])
		total += int64(n)
		if werr != nil {
			return total, werr
		}
	}
	if fr.err == nil {
		fr.finish()
	}
	if fr.err == io.EOF {
		return total, nil
	}
	return total, fr.err
}

func (fr *fileReader) account(b []byte) {
	fr.h.Write(b)
	fr.remain -= int64(len(b))
	fr.d.off += int64(len(b))
}

// finish compares the hash once all bytes have been read.
func (fr *fileReader) finish() {
	var got [20]byte
	fr.h.Sum(got[:0])
	if got != fr.want {
		fr.err = &GUIDMismatchError{Partition: fr.part, GUID: fr.guid, Got: hex.EncodeToString(got[:])}
		return
	}
	fr.err = io.EOF
}

var _ io.WriterTo = (*fileReader)(nil)
