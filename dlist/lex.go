package dlist

import (
	"errors"
	"io"
	"strings"
)

// Lexical layer of the Decoder: bytes, whitespace, atoms, quoted strings,
// literals and numbers. cyrus: getword, getxstring, getint32, getuint32 in
// imap/imapparse.c (3.6.1).

// isSpace is C isspace() in the "C" locale: SP HT LF VT FF CR.
var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

// atomChar is what the Cyrus parser accepts inside an atom: anything but
// whitespace, "(", ")" and DQUOTE (cyrus: getxstring GXS_ATOM branch). NUL,
// which Cyrus would silently truncate at, is refused here.
var atomChar = func() (t [256]bool) {
	for i := 1; i < 256; i++ {
		t[i] = !isSpace[i] && i != '(' && i != ')' && i != '"'
	}
	return t
}()

// charge accounts n more bytes against Limits.MaxTotal.
func (d *Decoder) charge(n int64) error {
	d.used += n
	if d.used > d.lim.MaxTotal || d.used < 0 {
		return d.limit(LimitTotal)
	}
	return nil
}

// peek returns the next byte without consuming it.
func (d *Decoder) peek(prod string) (byte, error) {
	b, err := d.r.Peek(1)
	if len(b) == 0 {
		return 0, d.readErr(prod, err)
	}
	return b[0], nil
}

// next consumes and returns one byte.
func (d *Decoder) next(prod string) (byte, error) {
	c, err := d.r.ReadByte()
	if err != nil {
		return 0, d.readErr(prod, err)
	}
	d.off++
	return c, d.charge(1)
}

// discard consumes n bytes that have already been peeked.
func (d *Decoder) discard(n int) {
	d.r.Discard(n)
	d.off += int64(n)
	d.used += int64(n)
}

// skipSpace consumes whitespace and returns the next byte, unconsumed.
func (d *Decoder) skipSpace(prod string) (byte, error) {
	for {
		c, err := d.peek(prod)
		if err != nil {
			return 0, err
		}
		if !isSpace[c] {
			return c, nil
		}
		if _, err := d.next(prod); err != nil {
			return 0, err
		}
	}
}

// atom = 1*atom-char. The atom ends at whitespace, "(", ")", DQUOTE or the
// end of input. Known keys and flags are interned.
func (d *Decoder) atom(prod string) (string, error) {
	acc := d.scratch[:0]
	for {
		buf, err := d.r.Peek(1)
		if len(buf) == 0 {
			if len(acc) > 0 && errors.Is(err, io.EOF) {
				break // an atom may end the input (on-disk values)
			}
			return "", d.readErr(prod, err)
		}
		buf, _ = d.r.Peek(d.r.Buffered())
		i := 0
		for i < len(buf) && atomChar[buf[i]] {
			i++
		}
		if int64(len(acc)+i) > d.lim.MaxAtom {
			return "", d.limit(LimitAtom)
		}
		if err := d.charge(int64(i)); err != nil {
			return "", err
		}
		ended := i < len(buf)
		if ended && (buf[i] == 0 || len(acc)+i == 0) {
			c := buf[i]
			d.r.Discard(i)
			d.off += int64(i)
			return "", d.atomErr(prod, c)
		}
		if ended && len(acc) == 0 {
			// Fast path: the whole atom was in the buffer.
			s := intern(buf[:i])
			d.r.Discard(i)
			d.off += int64(i)
			return s, nil
		}
		acc = append(acc, buf[:i]...)
		d.r.Discard(i)
		d.off += int64(i)
		if ended {
			break
		}
	}
	d.scratch = acc[:0]
	return intern(acc), nil
}

func (d *Decoder) atomErr(prod string, c byte) error {
	if c == 0 {
		return d.syntax(prod, "NUL byte in atom", nil)
	}
	return d.syntax(prod, "expected atom, got "+quoteByte(c), nil)
}

// quoted = DQUOTE *(qchar / "\" OCTET) DQUOTE. A backslash quotes any next
// byte; unescaped CR or LF ends the string with an error. NUL bytes are
// refused (Cyrus would truncate the string at them).
func (d *Decoder) quoted(prod string) (string, error) {
	if _, err := d.next(prod); err != nil { // DQUOTE
		return "", err
	}
	acc := d.scratch[:0]
	for {
		if _, err := d.r.Peek(1); err != nil {
			return "", d.readErr(prod, err)
		}
		buf, _ := d.r.Peek(d.r.Buffered())
		i := 0
		for i < len(buf) {
			c := buf[i]
			if c == '"' || c == '\\' || c == '\r' || c == '\n' || c == 0 {
				break
			}
			i++
		}
		if int64(len(acc)+i) > d.lim.MaxQuoted {
			return "", d.limit(LimitQuoted)
		}
		acc = append(acc, buf[:i]...)
		d.discard(i)
		if err := d.charge(0); err != nil {
			return "", err
		}
		if i == len(buf) {
			continue
		}
		// Peek first: an error must not consume a line end, so that the
		// caller can discard the rest of the line (SkipLine).
		c, err := d.peek(prod)
		if err != nil {
			return "", err
		}
		switch c {
		case 0:
			return "", d.syntax(prod, "NUL byte in quoted string", nil)
		case '\r', '\n':
			return "", d.syntax(prod, "CR or LF in quoted string", nil)
		}
		d.discard(1)
		switch c {
		case '"':
			d.scratch = acc[:0]
			return string(acc), nil
		case '\\':
			e, err := d.next(prod)
			if err != nil {
				return "", err
			}
			if e == 0 {
				return "", d.syntax(prod, "NUL byte in quoted string", nil)
			}
			if int64(len(acc)+1) > d.lim.MaxQuoted {
				return "", d.limit(LimitQuoted)
			}
			acc = append(acc, e)
		}
	}
}

// literal = "{" number ["+"] "}" CRLF *OCTET. The CRLF after "}" is strict
// (cyrus: getxstring 3.6.1). binary allows NUL bytes in the content (values);
// keys and file literal headers are not binary.
func (d *Decoder) literal(prod string, binary bool) (string, Form, error) {
	if _, err := d.next(prod); err != nil { // "{"
		return "", 0, err
	}
	n, err := d.number(prod, d.lim.MaxLiteral, LimitLiteral)
	if err != nil {
		return "", 0, err
	}
	form := FormLiteral
	if c, err := d.peek(prod); err != nil {
		return "", 0, err
	} else if c == '+' {
		form = FormLiteralPlus
		d.discard(1)
	}
	for _, want := range []byte{'}', '\r', '\n'} {
		if err := d.expect(prod, want); err != nil {
			return "", 0, err
		}
	}
	switch {
	case form == FormLiteral && d.policy == RejectSyncLiterals:
		return "", 0, d.syntax(prod, "{n} literal", ErrSyncLiteral)
	case form == FormLiteralPlus && d.policy == RejectNonSyncLiterals:
		return "", 0, d.syntax(prod, "{n+} literal", ErrNonSyncLiteral)
	}
	if err := d.charge(n); err != nil {
		return "", 0, err
	}
	var sb strings.Builder
	sb.Grow(int(min(n, 1<<20)))
	for remain := n; remain > 0; {
		if _, err := d.r.Peek(1); err != nil {
			return "", 0, d.readErr(prod, err)
		}
		buf, _ := d.r.Peek(int(min(remain, int64(d.r.Buffered()))))
		sb.Write(buf)
		d.r.Discard(len(buf))
		d.off += int64(len(buf))
		remain -= int64(len(buf))
	}
	s := sb.String()
	if !binary && strings.IndexByte(s, 0) >= 0 {
		return "", 0, d.syntax(prod, "NUL byte in literal", nil)
	}
	if form == FormLiteral {
		d.nSync++
	} else {
		d.nNonSync++
	}
	return s, form, nil
}

// number = 1*DIGIT, at most max (else a *LimitError for l). The byte after
// the digits is left unread.
func (d *Decoder) number(prod string, max int64, l Limit) (int64, error) {
	var n int64
	digits := 0
	for {
		c, err := d.peek(prod)
		if err != nil {
			return 0, err
		}
		if c < '0' || c > '9' {
			break
		}
		v := int64(c - '0')
		if n > (max-v)/10 {
			return 0, d.limit(l)
		}
		n = n*10 + v
		digits++
		if _, err := d.next(prod); err != nil {
			return 0, err
		}
	}
	if digits == 0 {
		c, _ := d.peek(prod)
		return 0, d.syntax(prod, "expected digits, got "+quoteByte(c), nil)
	}
	return n, nil
}
