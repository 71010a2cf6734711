package cache

import (
	"encoding/binary"
	"strconv"
)

// nstring appends s as an IMAP nstring: NIL, a quoted string, or a
// literal if s is 1024 bytes or more or holds NUL, 8-bit, CR, LF, '"',
// '%' or '\'.
//
// cyrus: imap/message.c message_write_nstring_map (3.6.1)
func nstring(buf []byte, s *string) []byte {
	if s == nil {
		return append(buf, "NIL"...)
	}
	lit := len(*s) >= 1024
	for i := 0; i < len(*s) && !lit; i++ {
		switch c := (*s)[i]; {
		case c == 0, c >= 0x80, c == '\r', c == '\n', c == '"', c == '%', c == '\\':
			lit = true
		}
	}
	if lit {
		buf = append(buf, '{')
		buf = strconv.AppendUint(buf, uint64(len(*s)), 10)
		buf = append(buf, "}\r\n"...)
		return append(buf, *s...)
	}
	buf = append(buf, '"')
	buf = append(buf, *s...)
	return append(buf, '"')
}

func str(s string) *string { return &s }

// envelope appends the IMAP ENVELOPE of a message.
//
// cyrus: imap/message.c message_write_envelope (3.6.1)
func envelope(buf []byte, b *body) []byte {
	or := func(a, d []address) []address {
		if a != nil {
			return a
		}
		return d
	}
	buf = append(buf, '(')
	buf = nstring(buf, b.date)
	buf = append(buf, ' ')
	buf = nstring(buf, b.subject)
	for _, l := range [][]address{b.from, or(b.sender, b.from), or(b.replyTo, b.from), b.to, b.cc, b.bcc} {
		buf = append(buf, ' ')
		buf = addrList(buf, l)
	}
	buf = append(buf, ' ')
	buf = nstring(buf, b.inReplyTo)
	buf = append(buf, ' ')
	buf = nstring(buf, b.msgID)
	return append(buf, ')')
}

// addrList appends an ENVELOPE address list.
//
// cyrus: imap/message.c message_write_address (3.6.1)
func addrList(buf []byte, l []address) []byte {
	if len(l) == 0 {
		return append(buf, "NIL"...)
	}
	buf = append(buf, '(')
	for _, a := range l {
		buf = append(buf, '(')
		buf = nstring(buf, a.name)
		buf = append(buf, ' ')
		buf = nstring(buf, a.route)
		buf = append(buf, ' ')
		buf = nstring(buf, a.mailbox)
		buf = append(buf, ' ')
		buf = nstring(buf, a.domain)
		buf = append(buf, ')')
	}
	return append(buf, ')')
}

func paramList(buf []byte, ps []param) []byte {
	if len(ps) == 0 {
		return append(buf, "NIL"...)
	}
	buf = append(buf, '(')
	for i, p := range ps {
		if i > 0 {
			buf = append(buf, ' ')
		}
		buf = nstring(buf, str(p.attr))
		buf = append(buf, ' ')
		buf = nstring(buf, str(p.value))
	}
	return append(buf, ')')
}

// extension appends BODYSTRUCTURE's disposition, language and location.
func extension(buf []byte, b *body) []byte {
	if b.disposition != nil {
		buf = append(buf, '(')
		buf = nstring(buf, b.disposition)
		buf = append(buf, ' ')
		buf = paramList(buf, b.dispParams)
		buf = append(buf, ')')
	} else {
		buf = append(buf, "NIL"...)
	}
	buf = append(buf, ' ')
	if len(b.language) > 0 {
		buf = append(buf, '(')
		for i, l := range b.language {
			if i > 0 {
				buf = append(buf, ' ')
			}
			buf = nstring(buf, str(l))
		}
		buf = append(buf, ')')
	} else {
		buf = append(buf, "NIL"...)
	}
	buf = append(buf, ' ')
	return nstring(buf, b.location)
}

// zeroText is what a multipart without parts is written as.
var zeroText = body{typ: "TEXT", sub: "PLAIN", params: []param{{"CHARSET", "us-ascii"}}}

// bodyStructure appends BODYSTRUCTURE (ext) or BODY (!ext).
//
// cyrus: imap/message.c message_write_body (3.6.1)
func bodyStructure(buf []byte, b *body, ext bool) []byte {
	if b.typ == "MULTIPART" {
		if len(b.parts) == 0 {
			return bodyStructure(buf, &zeroText, ext)
		}
		buf = append(buf, '(')
		for i := range b.parts {
			buf = bodyStructure(buf, &b.parts[i], ext)
		}
		buf = append(buf, ' ')
		buf = nstring(buf, str(b.sub))
		if ext {
			buf = append(buf, ' ')
			buf = paramList(buf, b.params)
			buf = append(buf, ' ')
			buf = extension(buf, b)
		}
		return append(buf, ')')
	}
	buf = append(buf, '(')
	buf = nstring(buf, str(b.typ))
	buf = append(buf, ' ')
	buf = nstring(buf, str(b.sub))
	buf = append(buf, ' ')
	buf = paramList(buf, b.params)
	buf = append(buf, ' ')
	buf = nstring(buf, b.id)
	buf = append(buf, ' ')
	buf = nstring(buf, b.desc)
	buf = append(buf, ' ')
	enc := b.enc
	if enc == nil {
		enc = str("7BIT")
	}
	buf = nstring(buf, enc)
	buf = append(buf, ' ')
	buf = strconv.AppendUint(buf, uint64(uint32(b.contentSize)), 10)
	switch {
	case b.typ == "TEXT":
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, uint64(uint32(b.contentLines)), 10)
	case b.typ == "MESSAGE" && b.sub == "RFC822":
		buf = append(buf, ' ')
		buf = envelope(buf, b.msg)
		buf = append(buf, ' ')
		buf = bodyStructure(buf, b.msg, ext)
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, uint64(uint32(b.contentLines)), 10)
	}
	if ext {
		buf = append(buf, ' ')
		buf = nstring(buf, b.md5)
		buf = append(buf, ' ')
		buf = extension(buf, b)
	}
	return append(buf, ')')
}

func be32(buf []byte, v int) []byte { return binary.BigEndian.AppendUint32(buf, uint32(v)) }

// offsets appends a part's header offset, header size, content offset and
// the given content size.
func offsets(buf []byte, b *body, size int) []byte {
	buf = be32(buf, b.headerOffset)
	buf = be32(buf, b.headerSize)
	buf = be32(buf, b.contentOffset)
	return be32(buf, size)
}

// noCharset appends the 0xFFFF marker, content GUID, decoded size and
// lines of b (zeros for nil).
//
// cyrus: imap/message.c message_write_nocharset (3.6.1)
func noCharset(buf []byte, b *body) []byte {
	buf = be32(buf, 0xffff)
	return guidSizeLines(buf, b)
}

func guidSizeLines(buf []byte, b *body) []byte {
	if b == nil {
		buf = append(buf, make([]byte, 20+8)...)
		return buf
	}
	if b.hasGUID {
		buf = append(buf, b.guid[:]...)
	} else {
		buf = append(buf, make([]byte, 20)...)
	}
	buf = be32(buf, b.decoded)
	return be32(buf, b.contentLines)
}

// withCharset appends the encoding/charset word, the charset name padded
// to 4 bytes (none if unknown), then GUID, decoded size and lines.
//
// cyrus: imap/message.c message_write_charset (3.6.1)
func withCharset(buf []byte, b *body) []byte {
	enc, cs := partCharset(b)
	n := 0
	if cs != nil {
		n = (len(cs.alias)/4 + 1) * 4
		if n > 0xffff {
			n = 0
		}
	}
	buf = be32(buf, (n&0xffff)<<16|enc&0xff)
	if n > 0 {
		name := make([]byte, n)
		copy(name, cs.alias)
		buf = append(buf, name...)
	}
	return guidSizeLines(buf, b)
}

// section appends the SECTION item for b (the virtual top-level
// MESSAGE/RFC822 when msg is set).
//
// cyrus: imap/message.c message_write_section (3.6.1)
func section(buf []byte, b *body) []byte {
	switch {
	case b.typ == "MESSAGE" && b.sub == "RFC822":
		m := b.msg
		if len(m.parts) > 0 {
			buf = be32(buf, len(m.parts)+1)
			buf = offsets(buf, m, m.contentSize)
			buf = noCharset(buf, m)
			for i := range m.parts {
				sp := &m.parts[i]
				size := sp.contentSize
				if len(sp.parts) == 0 && sp.typ == "MULTIPART" {
					size = 0
				}
				buf = offsets(buf, sp, size)
				buf = withCharset(buf, sp)
			}
			for i := range m.parts {
				buf = section(buf, &m.parts[i])
			}
			return buf
		}
		buf = be32(buf, 2)
		buf = offsets(buf, m, m.contentSize)
		buf = noCharset(buf, m)
		if m.typ == "MULTIPART" {
			buf = offsets(buf, m, 0)
			buf = noCharset(buf, nil)
		} else {
			buf = offsets(buf, m, m.contentSize)
			buf = withCharset(buf, m)
		}
		return section(buf, m)
	case len(b.parts) > 0:
		buf = be32(buf, len(b.parts)+1)
		buf = be32(buf, 0)
		buf = be32(buf, -1)
		buf = be32(buf, 0)
		buf = be32(buf, -1)
		buf = noCharset(buf, nil)
		for i := range b.parts {
			sp := &b.parts[i]
			if len(sp.parts) == 0 && sp.typ == "MULTIPART" {
				buf = offsets(buf, sp, 0)
				buf = noCharset(buf, sp)
			} else {
				buf = offsets(buf, sp, sp.contentSize)
				buf = withCharset(buf, sp)
			}
		}
		for i := range b.parts {
			buf = section(buf, &b.parts[i])
		}
		return buf
	default:
		return be32(buf, 0)
	}
}

// searchAddrs appends the FROM/TO/CC/BCC search form of an address list.
//
// cyrus: imap/message.c message_write_searchaddr (3.6.1)
func searchAddrs(buf []byte, l []address, inexact *bool, mb MultiByte) []byte {
	prev := false
	for _, a := range l {
		if a.domain == nil {
			if a.mailbox != nil {
				if prev {
					buf = append(buf, ',')
				}
				d := decodeMimeHeaderWith([]byte(*a.mailbox), mb)
				*inexact = *inexact || d.inexact
				buf = append(buf, d.s...)
				buf = append(buf, ':')
				prev = false
			} else {
				buf = append(buf, ';')
				prev = true
			}
			continue
		}
		if prev {
			buf = append(buf, ',')
		}
		if a.name != nil {
			d := decodeMimeHeaderWith([]byte(*a.name), mb)
			*inexact = *inexact || d.inexact
			quote := false
			for i := 0; i < len(d.s); i++ {
				c := d.s[i]
				if !isalnum(c) && !isspace(c) && !istext(c) {
					quote = true
					break
				}
			}
			if quote {
				buf = append(buf, '"')
				for i := 0; i < len(d.s); i++ {
					if c := d.s[i]; c == '\\' || c == '"' {
						buf = append(buf, '\\')
					}
					buf = append(buf, d.s[i])
				}
				buf = append(buf, '"')
			} else {
				buf = append(buf, d.s...)
			}
			buf = append(buf, ' ')
		}
		buf = append(buf, '<')
		if a.route != nil {
			buf = append(buf, lower(*a.route)...)
			buf = append(buf, ':')
		}
		if a.mailbox != nil {
			buf = append(buf, lower(*a.mailbox)...)
		}
		buf = append(buf, '@')
		buf = append(buf, lower(*a.domain)...)
		buf = append(buf, '>')
		prev = true
	}
	return buf
}

// istext reports the atext specials Cyrus leaves unquoted in names.
func istext(c byte) bool {
	for _, s := range []byte("!#$%&'*+-/=?^_`{|}~") {
		if c == s {
			return true
		}
	}
	return false
}
