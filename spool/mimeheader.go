package spool

import (
	"fmt"
	"strings"
)

// encodeMimeHeader is Cyrus's charset_encode_mimeheader without forced
// quoting: a header value holding an address is written as an address
// header (display names with 8-bit bytes as encoded words, folding before
// an item that would pass 72 columns); anything else is left alone,
// folded at white space when a line would pass 78 bytes, or, when it
// holds a byte unsafe in a header or a run too long to fold, written as
// "Q" encoded words of at most 72 columns. The #sieve messages Cyrus
// stores take their From and Subject from it.
//
// cyrus: lib/charset.c charset_encode_mimeheader, qp_encode,
// encode_addrheader, encode_mimephrase, find_addr (3.6.1)
func encodeMimeHeader(h string) string {
	if _, _, ok := findAddr(h); ok {
		return encodeAddrHeader(h)
	}
	return qpEncodeHeader(h)
}

// encodedMaxLineLen is ENCODED_MAX_LINE_LEN.
const encodedMaxLineLen = 72

// qpSafe are the bytes a quoted-printable text may carry as themselves
// (QPSAFECHAR): printable ASCII but '='.
func qpSafe(c byte) bool { return c > ' ' && c < 0x7f && c != '=' }

// phraseSafe are the bytes an encoded word in a phrase may carry as
// themselves (QPMIMEPHRASESAFECHAR).
func phraseSafe(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!*+-/", c) >= 0
}

// utf8Room is how many columns the encoded form of the UTF-8 sequence
// led by c takes, so that an encoded word is never split inside it.
func utf8Room(c byte) int {
	switch {
	case c < 0xc0:
		return 0
	case c < 0xe0:
		return 3
	case c < 0xf0:
		return 6
	case c < 0xf8:
		return 9
	}
	return 0
}

func qpEncodeHeader(data string) string {
	needQuote, needFold := false, false
	lastSP := 0
	for n := 0; n < len(data); n++ {
		c := data[n]
		if qpSafe(c) || c == '=' || c == ' ' || c == '\t' {
			if c == ' ' || c == '\t' {
				lastSP = n
			}
			if n <= 74 {
				continue
			}
			if n-lastSP > 74 {
				needQuote = true
			} else {
				needFold = true
			}
			continue
		}
		needQuote = true
		break
	}
	var b strings.Builder
	switch {
	case needQuote:
		b.WriteString("=?UTF-8?Q?")
		cnt := 10
		for n := 0; n < len(data); n++ {
			c := data[n]
			if cnt+utf8Room(c) >= encodedMaxLineLen {
				b.WriteString("?=\r\n =?UTF-8?Q?")
				cnt = 11
			}
			switch {
			case qpSafe(c) && c != '?' && c != '_':
				b.WriteByte(c)
				cnt++
			case c == ' ':
				b.WriteByte('_')
				cnt++
			case c == '\r' && n+1 < len(data) && data[n+1] == '\n':
				// a folded header: the encoded word is split there
				if n+2 < len(data) {
					if data[n+2] == ' ' || data[n+2] == '\t' {
						n++
					}
					b.WriteString("?=\r\n =?UTF-8?Q?")
					cnt = 12
				}
				n++
			default:
				fmt.Fprintf(&b, "=%02X", c)
				cnt += 3
			}
		}
		b.WriteString("?=")
	case needFold:
		i, j, lastWSP := 0, 0, 0
		for len(data)-i > 78 && j < len(data) {
			k := strings.IndexAny(data[j:], " \t")
			if k < 0 {
				k = len(data) - j
			}
			j += k
			if lastWSP != 0 && j-i > 78 {
				b.WriteString(data[i:lastWSP])
				b.WriteString("\r\n")
				i = lastWSP
			}
			lastWSP = j
			j++
		}
		b.WriteString(data[i:])
	default:
		return data
	}
	return b.String()
}

func encodeAddrHeader(h string) string {
	var b strings.Builder
	n, cnt := 0, 0
	s, l, ok := findAddr(h)
	for {
		phraseLen := len(h) - n
		if ok {
			phraseLen = s
		}
		if phraseLen > 0 {
			phrase := h[n : n+phraseLen]
			need, needBytes := false, phraseLen
			// Cyrus looks for 8-bit bytes only before an address: a
			// trailing phrase is never encoded.
			if ok && strings.IndexFunc(phrase, func(r rune) bool { return r >= 0x80 }) >= 0 {
				need, needBytes = true, 3*phraseLen+12
			}
			if cnt+needBytes >= encodedMaxLineLen {
				b.WriteString("\r\n ")
				cnt = 1
			}
			if need {
				cnt = encodeMimePhrase(&b, phrase, cnt)
			} else {
				b.WriteString(phrase)
				cnt += phraseLen
			}
		}
		if ok {
			if cnt+l >= encodedMaxLineLen {
				b.WriteString("\r\n ")
				cnt = 1
			}
			b.WriteString(h[n+s : n+s+l])
			cnt += l
		} else {
			l = 0
		}
		n += phraseLen + l
		s, l, ok = findAddr(h[n:])
		if !ok && n >= len(h) {
			return b.String()
		}
	}
}

func encodeMimePhrase(b *strings.Builder, data string, cnt int) int {
	b.WriteString("=?UTF-8?Q?")
	cnt += 10
	for i := 0; i < len(data); i++ {
		c := data[i]
		if cnt+utf8Room(c) >= encodedMaxLineLen {
			b.WriteString("?=\r\n =?UTF-8?Q?")
			cnt = 11
		}
		switch {
		case phraseSafe(c):
			b.WriteByte(c)
			cnt++
		case c == ' ':
			b.WriteByte('_')
			cnt++
		default:
			fmt.Fprintf(b, "=%02X", c)
			cnt += 3
		}
	}
	b.WriteString("?=")
	return cnt
}

// atomSpecials are ATOM_SPECIALS; Cyrus's strchr also matches the
// terminating NUL.
const atomSpecials = "()<>[]:;@\\,.\" \t\x00"

func isSpecial(c byte) bool { return strings.IndexByte(atomSpecials, c) >= 0 }

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// findAddr finds the first addr-spec in data: its start and length.
//
// cyrus: lib/charset.c find_addr (3.6.1)
func findAddr(data string) (start, length int, ok bool) {
	end := len(data)
	if end < 3 {
		return 0, 0, false
	}
	at := strings.IndexByte(data[1:], '@')
	if at < 0 {
		return 0, 0, false
	}
	at++
	if at >= end-1 {
		return 0, 0, false
	}
	get := func(i int) byte {
		if i < 0 || i >= end {
			return 0
		}
		return data[i]
	}
	e := at + 1
	switch c := get(e); {
	case c == '[':
		for e++; e < end && get(e) != '[' && get(e) != ']' && get(e) != '\\'; e++ {
		}
		if get(e) != ']' {
			return 0, 0, false
		}
		e++
	case !isSpace(c) && !isSpecial(c):
		for e++; e < end && (get(e) == '.' || !isSpecial(get(e))); e++ {
		}
		if get(e-1) == '.' {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	angle := false
	if e < end {
		if get(e) == '>' {
			angle = true
			e++
		}
		for e < end && isSpace(get(e)) {
			e++
		}
		if e < end {
			if get(e) != ',' {
				return 0, 0, false
			}
			e++
		}
		for e < end && isSpace(get(e)) {
			e++
		}
	}
	s := at - 1
	switch c := get(s); {
	case c == '"':
		for {
			s--
			if s < 0 {
				break
			}
			if get(s) != '"' {
				continue
			}
			s--
			if s < 0 || get(s) != '\\' {
				break
			}
		}
		if get(s+1) != '"' {
			return 0, 0, false
		}
	case !isSpace(c) && !isSpecial(c):
		for s--; s >= 0 && (get(s) == '.' || !isSpecial(get(s))); s-- {
		}
		if get(s+1) == '.' {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	switch {
	case s < 0:
		s = 0
	case angle:
		if get(s) != '<' {
			return 0, 0, false
		}
		for s > 0 && isSpace(get(s-1)) {
			s--
		}
	case !isSpace(get(s)) && get(s) != ',':
		return 0, 0, false
	}
	return s, e - s, true
}
