package cache

import (
	"errors"
	"fmt"
)

// Part is one part of a parsed message, as Cyrus's search indexer
// walks it (message_foreach_section): its header block, type, parameters,
// disposition, content, transfer encoding and charset.
type Part struct {
	Header          []byte // the part's header block, blank line included; nil if none
	Type, Subtype   string // upper case, as Cyrus stores them
	Params          []Param
	Disposition     string // upper case; "" without Content-Disposition
	DispParams      []Param
	Content         []byte
	Encoding        int      // EncNone, EncQP, EncBase64 or EncUnknown
	Charset         *Charset // the text charset (TEXT parts; us-ascii by default)
	Parts           []*Part
	EnclosedMessage bool // Parts holds the message of a message/rfc822 part
}

// Transfer encodings of a Part.
const (
	EncNone    = encNone
	EncQP      = encQP
	EncBase64  = encBase64
	EncUnknown = encUnknown
)

// Charset is a charset Cyrus knows, for decoding text to code points.
type Charset struct{ cs *charset }

// LookupCharset returns the charset Cyrus finds for name, or nil.
//
// cyrus: lib/charset.c charset_lookupname (3.6.1)
func LookupCharset(name string) *Charset {
	if cs := lookupCharset(name); cs != nil {
		return &Charset{cs}
	}
	return nil
}

// ByteDecoder turns bytes of a charset into code points.
type ByteDecoder struct {
	d     *toUni
	sink  *uniSink
	ascii func([]byte)
}

// NewDecoder decodes bytes of c, sending code points to emit; charsets
// without a table here go through mb (nil: each byte gives U+FFFD).
//
// cyrus: lib/charset.c table2uni, utf8_2uni, icu2uni (3.6.1)
func (c *Charset) NewDecoder(mb MultiByte, emit func(rune)) *ByteDecoder {
	sink := &uniSink{emit: emit}
	return &ByteDecoder{d: newToUni(c.cs, sink, mb), sink: sink}
}

// Put decodes one byte.
func (b *ByteDecoder) Put(c byte) { b.d.put(c) }

// SetASCII has Write hand runs of bytes 0x01-0x7f to fn whole instead of
// emitting them one by one, where the charset decodes each such byte to
// itself (us-ascii, UTF-8) and no multi-byte sequence is pending: fn must
// do what emit would do with each byte's code point.
func (b *ByteDecoder) SetASCII(fn func([]byte)) { b.ascii = fn }

// Write decodes p, as Put on each byte.
func (b *ByteDecoder) Write(p []byte) {
	d := b.d
	if b.ascii == nil || d.cs.kind != csASCII && d.cs.kind != csUTF8 {
		for _, c := range p {
			d.put(c)
		}
		return
	}
	for i := 0; i < len(p); {
		if d.bytesLeft == 0 {
			j := i
			for j < len(p) && p[j]-1 < 0x7f {
				j++
			}
			if j > i {
				b.ascii(p[i:j])
				i = j
				continue
			}
		}
		d.put(p[i])
		i++
	}
}

// PutReplacement passes U+FFFD through, ending any unfinished sequence.
func (b *ByteDecoder) PutReplacement() { b.d.replacement() }

// Flush ends the input: what a multi-byte decoder holds is emitted.
func (b *ByteDecoder) Flush() { b.d.flush() }

// Inexact reports whether some bytes could not be decoded as Cyrus's ICU does.
func (b *ByteDecoder) Inexact() bool { return b.sink.inexact }

// NewQPDecoder is Cyrus's lenient quoted-printable decoder sending bytes
// to emit (header: '_' is a space); call the returned flush at the end.
//
// cyrus: lib/charset.c qp2byte, qp_flushline (3.6.1)
func NewQPDecoder(header bool, emit func(byte)) (put func(byte), flush func()) {
	q := &qpDecoder{header: header, emit: emit}
	return q.put, func() { q.flush(false) }
}

// NewBase64Decoder is Cyrus's lenient base64 decoder sending bytes to emit.
//
// cyrus: lib/charset.c b64_2byte (3.6.1)
func NewBase64Decoder(emit func(byte)) (put func(byte)) {
	d := &b64Decoder{emit: emit}
	return d.put
}

// ParseMimeXValue decodes an RFC 2231 extended value (charset'lang'%XX…)
// to UTF-8; ok is false if Cyrus would not decode it.
//
// cyrus: lib/charset.c charset_parse_mimexvalue (3.6.1)
func ParseMimeXValue(s string) (string, bool) { return parseMimeXValue(s) }

// Parts parses msg as Cyrus 3.6.1 does on append and returns its part
// tree (the top part first) and the cache items the search text takes
// from its entry: FROM, TO, CC, BCC and SUBJECT, as Parse writes them
// (the other items are left nil), with encoded words in multi-byte
// charsets decoded by mb (nil: U+FFFD). It parses the message once and
// hashes nothing (no GUIDs are needed).
func Parts(msg []byte, mb MultiByte) (*Part, [NumItems][]byte, error) {
	var items [NumItems][]byte
	if len(msg) == 0 {
		return nil, items, errors.New("cache: parts: empty message")
	}
	if uint64(len(msg)) > 0xffffffff {
		return nil, items, fmt.Errorf("cache: parts: message of %d bytes exceeds Cyrus's 32-bit sizes", len(msg))
	}
	p := &parser{msg: msg, noGUID: true}
	top := &body{top: true}
	p.parseBody(top, defaultContentType)
	items = searchItems(top, p.inexact, mb).items
	return searchPart(msg, top), items, nil
}

func searchPart(msg []byte, b *body) *Part {
	s := &Part{Type: b.typ, Subtype: b.sub, Params: params(b.params), DispParams: params(b.dispParams)}
	if b.headerSize > 0 {
		s.Header = clip(msg, b.headerOffset, b.headerSize)
	}
	if b.disposition != nil {
		s.Disposition = *b.disposition
	}
	s.Content = clip(msg, b.contentOffset, b.contentSize)
	enc, cs := partCharset(b)
	s.Encoding = enc
	if cs != nil {
		s.Charset = &Charset{cs}
	}
	for i := range b.parts {
		s.Parts = append(s.Parts, searchPart(msg, &b.parts[i]))
	}
	if b.msg != nil {
		s.Parts = append(s.Parts, searchPart(msg, b.msg))
		s.EnclosedMessage = true
	}
	return s
}

func params(ps []param) []Param {
	var out []Param
	for _, p := range ps {
		out = append(out, Param{Name: p.attr, Value: p.value})
	}
	return out
}

// clip returns msg[off:off+n] bounded by msg.
func clip(msg []byte, off, n int) []byte {
	if off < 0 || off > len(msg) || n <= 0 {
		return nil
	}
	return msg[off:min(off+n, len(msg))]
}
