package cache

import (
	"bytes"
	"strings"
)

// Header values are parsed the way Cyrus parses them: from a position in
// the buffer holding all of a part's header lines (a C string: it ends at
// its first NUL), up to the end of the header field, which is a LF not
// followed by a space or a tab. The helpers below work on that buffer; a
// position of -1 stands for Cyrus's NULL ("end of header field").

// cstr returns the C string view of b: the bytes before the first NUL.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// at returns b[i], or 0 past the end (Cyrus reads the terminating NUL).
func at(b []byte, i int) byte {
	if i < 0 || i >= len(b) {
		return 0
	}
	return b[i]
}

// isspace is C's isspace in the C locale.
func isspace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isalpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isdigit(c byte) bool { return c >= '0' && c <= '9' }
func isalnum(c byte) bool { return isalpha(c) || isdigit(c) }

// ctlOrHigh is C's `*p < ' '` on a signed char: control characters and
// every byte with the high bit set.
func ctlOrHigh(c byte) bool { return c < ' ' || c >= 0x80 }

const tspecials = "()<>@,;:\\\"/[]?="

func istspecial(c byte) bool { return bytes.IndexByte([]byte(tspecials), c) >= 0 }

// upper upper-cases ASCII letters.
func upper(s []byte) string {
	b := []byte(string(s))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// lower lower-cases ASCII letters.
func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// fieldEnd returns the index of the LF ending the header field whose value
// starts at p (the search starts at p+1, as Cyrus's does), or len(h).
//
// cyrus: imap/message.c message_parse_string (3.6.1)
func fieldEnd(h []byte, p int) int {
	e := p
	for {
		if e+1 >= len(h) {
			return len(h)
		}
		i := bytes.IndexByte(h[e+1:], '\n')
		if i < 0 {
			return len(h)
		}
		e += 1 + i
		if c := at(h, e+1); c != ' ' && c != '\t' {
			return e
		}
	}
}

// parseString is an unstructured header value: leading blanks skipped,
// folding line breaks removed (the folding blank stays), nothing trimmed.
//
// cyrus: imap/message.c message_parse_string (3.6.1)
func parseString(h []byte, p int) *string {
	for at(h, p) == ' ' || at(h, p) == '\t' {
		p++
	}
	e := fieldEnd(h, p)
	if e < len(h) && e > p && h[e-1] == '\r' {
		e--
	}
	if p > len(h) {
		p = len(h)
	}
	if e < p {
		e = p
	}
	out := make([]byte, 0, e-p)
	for _, c := range h[p:e] {
		if c == '\n' {
			if n := len(out); n > 0 && out[n-1] == '\r' {
				out = out[:n-1]
			}
			continue
		}
		out = append(out, c)
	}
	s := string(out)
	return &s
}

// skipSpace skips blanks and comments; it returns -1 at the end of the
// header field (a LF without continuation, or the end of the buffer).
//
// cyrus: imap/message.c message_parse_rfc822space (3.6.1)
func skipSpace(h []byte, p int) int {
	if p < 0 {
		return -1
	}
	for c := at(h, p); c != 0 && (isspace(c) || c == '('); c = at(h, p) {
		switch c {
		case '\n':
			p++
			if n := at(h, p); n != ' ' && n != '\t' {
				return -1
			}
		case '(':
			p++
			for level := 1; level > 0; p++ {
				switch at(h, p) {
				case '\n':
					if n := at(h, p+1); n == ' ' || n == '\t' {
						p++
						continue
					}
					return -1
				case 0:
					return -1
				case '\\':
					p++
					if p >= len(h) {
						return -1
					}
				case '(':
					level++
				case ')':
					level--
				}
			}
		default:
			p++
		}
	}
	if at(h, p) == 0 {
		return -1
	}
	return p
}

type param struct {
	attr, value string
}

// parseEncoding is a Content-Transfer-Encoding value: one token,
// upper-cased, or nil if anything else is there.
//
// cyrus: imap/message.c message_parse_encoding (3.6.1)
func parseEncoding(h []byte, p int) *string {
	p = skipSpace(h, p)
	if p < 0 {
		return nil
	}
	q := p
	for ; ; q++ {
		c := at(h, q)
		if c == 0 || isspace(c) || c == '(' {
			break
		}
		if ctlOrHigh(c) || istspecial(c) {
			return nil
		}
	}
	if skipSpace(h, q) >= 0 {
		return nil
	}
	s := upper(h[p:q])
	return &s
}

// token scans a token from p ending at a blank, '(' or one of stops;
// ok is false if a control, 8-bit or tspecial byte comes first.
func token(h []byte, p int, stops string) (end int, ok bool) {
	for ; ; p++ {
		c := at(h, p)
		if c == 0 || isspace(c) || c == '(' || bytes.IndexByte([]byte(stops), c) >= 0 {
			return p, true
		}
		if ctlOrHigh(c) || istspecial(c) {
			return p, false
		}
	}
}

// contentType is a parsed Content-Type (upper-cased type and subtype).
type contentType struct {
	typ, sub string
	params   []param
	inexact  bool
}

// parseType parses a Content-Type value; ok is false if Cyrus ignores it.
//
// cyrus: imap/message.c message_parse_type (3.6.1)
func parseType(h []byte, p int) (ct contentType, ok bool) {
	p = skipSpace(h, p)
	if p < 0 {
		return ct, false
	}
	if at(h, p) == '=' && at(h, p+1) == '?' && at(h, p+2) != 0 {
		// Old Mail.app wrote the whole value as encoded words; Cyrus
		// decodes the rest of the header block then. Rare: decode this
		// field only and say the result may differ.
		e := fieldEnd(h, p)
		dec := decodeMimeHeader(h[p:e])
		if dec.s != string(h[p:e]) {
			nh := append([]byte(dec.s), h[e:]...)
			ct, ok = parseTypeAt(nh, 0)
			ct.inexact = dec.inexact
			for i := range ct.params {
				pr := &ct.params[i]
				if strings.HasSuffix(pr.attr, "*") || !hasHighBit(pr.value) {
					continue
				}
				var exact bool
				pr.value, exact = encodeMimeHeader(pr.value)
				ct.inexact = ct.inexact || !exact
			}
			return ct, ok
		}
	}
	return parseTypeAt(h, p)
}

func parseTypeAt(h []byte, p int) (ct contentType, ok bool) {
	t0 := p
	t1, good := token(h, p, "/")
	if !good {
		return ct, false
	}
	p = skipSpace(h, t1)
	if p < 0 || at(h, p) != '/' {
		return ct, false
	}
	p = skipSpace(h, p+1)
	if p < 0 {
		return ct, false
	}
	s0 := p
	s1, good := token(h, p, ";")
	if !good {
		return ct, false
	}
	p = skipSpace(h, s1)
	if p >= 0 && at(h, p) != ';' {
		return ct, false
	}
	ct.typ, ct.sub = upper(h[t0:t1]), upper(h[s0:s1])
	if p >= 0 {
		ct.params = foldParams(parseParams(h, p+1))
	}
	return ct, true
}

// parseDisposition parses a Content-Disposition value.
//
// cyrus: imap/message.c message_parse_disposition (3.6.1)
func parseDisposition(h []byte, p int) (disp *string, params []param) {
	p = skipSpace(h, p)
	if p < 0 {
		return nil, nil
	}
	d0 := p
	d1, good := token(h, p, ";")
	if !good {
		return nil, nil
	}
	p = skipSpace(h, d1)
	if p >= 0 && at(h, p) != ';' {
		return nil, nil
	}
	s := upper(h[d0:d1])
	if p >= 0 {
		params = foldParams(parseParams(h, p+1))
	}
	return &s, params
}

// parseParams parses "; attr=value" lists leniently; a malformed
// parameter is skipped up to the next ';' or line end.
//
// cyrus: imap/message.c message_parse_params (3.6.1)
func parseParams(h []byte, p int) []param {
	var out []param
	skip := func(p int) int {
		for c := at(h, p); c != 0 && c != ';' && c != '\r' && c != '\n'; c = at(h, p) {
			p++
		}
		if at(h, p) == ';' {
			p++
		}
		return p
	}
	for {
		p = skipSpace(h, p)
		if p < 0 {
			return out
		}
		a0 := p
		a1, good := token(h, p, "=")
		if !good {
			p = skip(a1)
			continue
		}
		p = skipSpace(h, a1)
		if p < 0 {
			return out
		}
		if at(h, p) != '=' {
			p = skip(p + 1)
			continue
		}
		p = skipSpace(h, p+1)
		if p < 0 {
			return out
		}
		v0 := p
		quoted := at(h, p) == '"'
		if quoted {
			p++
			for c := at(h, p); c != 0 && c != '"'; c = at(h, p) {
				if c == '\\' {
					p++
					if at(h, p) == 0 {
						return out
					}
				}
				if at(h, p) == '\r' {
					if at(h, p+1) == '\n' && (at(h, p+2) == ' ' || at(h, p+2) == '\t') {
						p += 2
					} else {
						return out
					}
				}
				p++
			}
			if at(h, p) == 0 {
				return out
			}
			p++
		} else {
			endval := p
			bad := false
			for c := at(h, p); c != 0 && c != ';' && c != '('; c = at(h, p) {
				if c == '\r' {
					if at(h, p+1) == '\n' && (at(h, p+2) == ' ' || at(h, p+2) == '\t') {
						p += 2
						continue
					}
					break
				}
				if c < 0x80 && c < ' ' && c != '\t' {
					bad = true
					break
				}
				if c != ' ' && c != '\t' {
					endval = p
				}
				p++
			}
			if bad {
				p = skip(p)
				continue
			}
			p = endval + 1
		}
		v1 := p
		p = skipSpace(h, p)
		if p >= 0 {
			if at(h, p) != ';' {
				p = skip(p + 1)
				continue
			}
			p++
		}
		var val []byte
		if quoted {
			for q := v0 + 1; q < len(h) && h[q] != '"'; q++ {
				switch h[q] {
				case '\\':
					q++
				case '\r':
					q += 2
				}
				if q >= len(h) {
					break
				}
				val = append(val, h[q])
			}
		} else {
			val = h[v0:min(v1, len(h))]
		}
		out = append(out, param{attr: upper(h[a0:a1]), value: string(cstr(val))})
		if p < 0 {
			return out
		}
	}
}

// foldParams joins RFC 2231 continuations (foo*0, foo*1*, …) into their
// first section, renamed foo or foo* (extended).
//
// cyrus: imap/message.c message_fold_params (3.6.1)
func foldParams(ps []param) []param {
	for i := 0; i < len(ps); i++ {
		a := ps[i].attr
		star := bytes.IndexByte([]byte(a), '*')
		if star < 0 || at([]byte(a), star+1) != '0' {
			continue
		}
		rest := a[star+2:]
		if rest != "" && rest != "*" {
			continue
		}
		ext := rest == "*"
		base := a[:star]
		val := ps[i].value
		for sec := 1; sec < 100; sec++ {
			name := base + "*" + itoa(sec)
			j := -1
			for k := range ps {
				if ps[k].attr == name || ps[k].attr == name+"*" {
					j = k
					break
				}
			}
			if j < 0 {
				break
			}
			cext := ps[j].attr == name+"*"
			switch {
			case !cext && ext:
				val += pctEncode(ps[j].value)
			case !cext:
				val += ps[j].value
			case ext:
				val += ps[j].value
			default:
				val = "''" + pctEncode(val) + ps[j].value
				ext = true
			}
			ps = append(ps[:j], ps[j+1:]...)
			if j < i {
				i--
			}
		}
		if ext {
			ps[i].attr = base + "*"
		} else {
			ps[i].attr = base
		}
		ps[i].value = val
	}
	return ps
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

// pctEncode is RFC 2231 percent-encoding as Cyrus applies it when folding.
func pctEncode(s string) string {
	const hexd = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '*' || c == '\'' || c == '%' || istspecial(c) {
			b = append(b, '%', hexd[c>>4], hexd[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

// parseLanguage parses a Content-Language list (upper-cased tags); it stops
// at the first malformed element, keeping those before it.
//
// cyrus: imap/message.c message_parse_language (3.6.1)
func parseLanguage(h []byte, p int) []string {
	var out []string
	for {
		p = skipSpace(h, p)
		if p < 0 {
			return out
		}
		v0 := p
		for c := at(h, p); c != 0 && !isspace(c) && c != ',' && c != '('; c = at(h, p) {
			if c != '-' && !isalpha(c) {
				return out
			}
			p++
		}
		v1 := p
		p = skipSpace(h, p)
		if p >= 0 {
			if at(h, p) != ',' {
				return out
			}
			p++
		}
		out = append(out, upper(h[v0:v1]))
		if p < 0 {
			return out
		}
	}
}

func hasHighBit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// encodeMimeHeader is Cyrus's Q encoding of an 8-bit (UTF-8) parameter
// value as encoded words of at most 72 bytes a line; exact is false for
// values Cyrus encodes another way (ones holding an address or CRLF).
//
// cyrus: lib/charset.c charset_encode_mimeheader, qp_encode (3.6.1)
func encodeMimeHeader(v string) (_ string, exact bool) {
	if i := strings.IndexByte(v, '@'); i > 0 || strings.Contains(v, "\r\n") {
		exact = false
	} else {
		exact = true
	}
	const hexd = "0123456789ABCDEF"
	b := []byte("=?UTF-8?Q?")
	cnt := 10
	for i := 0; i < len(v); i++ {
		c := v[i]
		need := 0
		switch {
		case c >= 0xf8 || c < 0xc0:
		case c < 0xe0:
			need = 3
		case c < 0xf0:
			need = 6
		default:
			need = 9
		}
		if cnt+need >= 72 {
			b = append(b, "?=\r\n =?UTF-8?Q?"...)
			cnt = 11
		}
		switch {
		case c > ' ' && c < 0x7f && c != '=' && c != '?' && c != '_':
			b = append(b, c)
			cnt++
		case c == ' ':
			b = append(b, '_')
			cnt++
		default:
			b = append(b, '=', hexd[c>>4], hexd[c&15])
			cnt += 3
		}
	}
	return string(append(b, "?="...)), exact
}
