package dlist

import (
	"errors"
	"io"
)

// SkipLine discards the rest of the current line, typically after ReadItem
// or ReadLineEnd failed with a *SyntaxError (the decoder never consumes the
// LF of a line it rejects). Like Cyrus' sync_eatline (imap/sync_support.c
// 3.6.1) it skips the payload of the {n+} literals and %{p g n} file
// literals it meets, but not of {n} literals, whose content Cyrus treats
// as line text. Payloads are discarded without being kept; the other bytes
// count against Limits.MaxTotal. A literal announced larger than
// MaxLiteral (file literal: MaxFileSize) is not treated as a literal.
// Note that an unterminated list or kvlist may already have read past the
// end of its line, since (as in Cyrus) whitespace inside them includes
// CR and LF.
func (d *Decoder) SkipLine() error {
	d.reset()
	c, err := d.next("skip line")
	for err == nil {
		switch c {
		case '\n':
			return nil
		case '{':
			c, err = d.skipLiteral()
		case '%':
			c, err = d.skipFileLiteral()
		default:
			c, err = d.next("skip line")
		}
	}
	return err
}

// skipLiteral is called after "{". It skips a {n+} literal if one follows
// and returns the next byte to examine.
func (d *Decoder) skipLiteral() (byte, error) {
	n, err := d.number("skip line", d.lim.MaxLiteral, LimitLiteral)
	if err == nil {
		err = d.expect("skip line", '+')
	}
	if err == nil {
		err = d.skipHeaderEnd('}')
	}
	if err == nil {
		err = d.skipBytes(n)
	}
	return d.resume(err)
}

// skipFileLiteral is called after "%". It skips a file literal if one
// follows and returns the next byte to examine.
func (d *Decoder) skipFileLiteral() (byte, error) {
	err := d.expect("skip line", '{')
	if err == nil {
		_, err = d.astring("skip line")
	}
	if err == nil {
		err = d.expect("skip line", ' ')
	}
	if err == nil {
		_, err = d.astring("skip line")
	}
	if err == nil {
		err = d.expect("skip line", ' ')
	}
	var n int64
	if err == nil {
		n, err = d.number("skip line", d.lim.MaxFileSize, LimitFileSize)
	}
	if err == nil {
		err = d.skipHeaderEnd('}')
	}
	if err == nil {
		err = d.skipBytes(n)
	}
	return d.resume(err)
}

// skipHeaderEnd expects close, an optional CR and LF.
func (d *Decoder) skipHeaderEnd(close byte) error {
	if err := d.expect("skip line", close); err != nil {
		return err
	}
	if c, err := d.peek("skip line"); err != nil {
		return err
	} else if c == '\r' {
		d.discard(1)
	}
	return d.expect("skip line", '\n')
}

// resume turns the outcome of a skip attempt into the next byte to examine:
// a mismatch (syntax error, over-long size) just means "not a literal";
// end of input, I/O errors and MaxTotal are real errors.
func (d *Decoder) resume(err error) (byte, error) {
	var se *SyntaxError
	var le *LimitError
	switch {
	case err == nil:
	case errors.Is(err, io.ErrUnexpectedEOF):
		return 0, err
	case errors.As(err, &le) && le.Limit == LimitTotal:
		return 0, err
	case errors.As(err, &se), errors.As(err, &le):
	default:
		return 0, err
	}
	return d.next("skip line")
}

// skipBytes discards n payload bytes.
func (d *Decoder) skipBytes(n int64) error {
	for n > 0 {
		k, err := d.r.Discard(int(min(n, 1<<30)))
		d.off += int64(k)
		n -= int64(k)
		if err != nil {
			return d.readErr("skip line", err)
		}
	}
	return nil
}
