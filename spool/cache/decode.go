package cache

import (
	"bytes"
	"unicode/utf8"
)

// uniSink collects Unicode code points as UTF-8.
//
// cyrus: lib/charset.c uni2utf8 (3.6.1)
// With emit set, code points go to emit instead (unchecked: the search
// form's own UTF-8 encoder checks them).
type uniSink struct {
	out     []byte
	inexact bool
	emit    func(rune)
}

func (u *uniSink) put(c rune) {
	if u.emit != nil {
		u.emit(c)
		return
	}
	if c < 0 || c > 0x10ffff || c >= 0xd800 && c <= 0xdfff {
		c = utf8.RuneError
	}
	u.out = utf8.AppendRune(u.out, c)
}

// toUni turns bytes of one charset into code points, keeping the state
// of an unfinished UTF-8 sequence between calls.
//
// cyrus: lib/charset.c table2uni, utf8_2uni (3.6.1)
type toUni struct {
	cs        *charset
	sink      *uniSink
	bytesLeft int
	cp        rune
	mb        MultiByteDecoder // for csOther when the caller has one
}

// MultiByteDecoder decodes a charset this package has no table for
// (ISO-2022-JP, Shift_JIS, UTF-16, …): Put takes bytes, Flush emits the
// code points of what it holds and resets, as ICU does when Cyrus
// flushes its converter.
type MultiByteDecoder interface {
	Put(c byte)
	Flush()
}

// MultiByte makes a MultiByteDecoder for an ICU converter name, sending
// code points to emit; ok is false for a converter it does not know.
type MultiByte func(icuName string, emit func(rune)) (d MultiByteDecoder, ok bool)

// newToUni is a decoder for cs into sink, using mb for charsets without a table.
func newToUni(cs *charset, sink *uniSink, mb MultiByte) *toUni {
	d := &toUni{cs: cs, sink: sink}
	if cs.kind == csOther && mb != nil {
		d.mb, _ = mb(cs.icu, sink.put)
	}
	return d
}

// flush ends what a multi-byte decoder holds.
func (d *toUni) flush() {
	if d.mb != nil {
		d.mb.Flush()
	}
}

// replacement passes U+FFFD down, ending any UTF-8 sequence.
func (d *toUni) replacement() {
	d.bytesLeft, d.cp = 0, 0
	d.sink.put(utf8.RuneError)
}

func (d *toUni) put(c byte) {
	switch d.cs.kind {
	case csASCII:
		switch {
		case c == 0:
		case c < 0x80:
			d.sink.put(rune(c))
		default:
			d.sink.put(utf8.RuneError)
		}
	case csTable:
		if v := d.cs.table[c]; v != 0 {
			d.sink.put(rune(v))
		}
	case csOther:
		if d.mb != nil {
			d.mb.Put(c)
			return
		}
		d.sink.inexact = true
		d.sink.put(utf8.RuneError)
	default:
		d.utf8(c)
	}
}

func (d *toUni) utf8(c byte) {
	start := func(n int, bits byte) {
		if d.bytesLeft > 0 {
			d.sink.put(utf8.RuneError)
		}
		d.bytesLeft, d.cp = n, rune(bits)
	}
	switch {
	case c&0xf8 == 0xf0:
		if c >= 0xf5 {
			if d.bytesLeft > 0 {
				d.sink.put(utf8.RuneError)
			}
			d.replacement()
			return
		}
		start(3, c&0x07)
	case c&0xf0 == 0xe0:
		start(2, c&0x0f)
	case c&0xe0 == 0xc0:
		if c == 0xc0 || c == 0xc1 {
			if d.bytesLeft > 0 {
				d.sink.put(utf8.RuneError)
			}
			d.replacement()
			return
		}
		start(1, c&0x1f)
	case c&0xc0 == 0x80:
		if d.bytesLeft == 0 {
			d.replacement()
			return
		}
		d.cp = d.cp<<6 + rune(c&0x3f)
		d.bytesLeft--
		if d.bytesLeft == 0 {
			d.sink.put(d.cp)
			d.cp = 0
		}
	case c >= 0xf8:
		d.replacement()
	default:
		if d.bytesLeft > 0 {
			d.sink.put(utf8.RuneError)
		}
		d.sink.put(rune(c))
		d.bytesLeft, d.cp = 0, 0
	}
}

// hexval decodes one hex digit (either case); ok is false otherwise.
func hexval(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// qpDecoder is Cyrus's lenient quoted-printable decoder: per line,
// trailing blanks dropped, =XX decoded, any other '=' kept, '=' at the
// end of a line a soft break, CR ignored, LF written as CRLF; in headers
// '_' is a space. Lines over 998 bytes are cut where they reach it.
//
// cyrus: lib/charset.c qp2byte, qp_flushline (3.6.1)
type qpDecoder struct {
	header bool
	line   []byte
	emit   func(byte)
}

func (q *qpDecoder) put(c byte) {
	switch c {
	case '\r':
	case '\n':
		q.flush(true)
	default:
		q.line = append(q.line, c)
		if len(q.line) > 998 {
			q.flush(false)
		}
	}
}

func (q *qpDecoder) flush(endline bool) {
	l := bytes.TrimRight(q.line, " \t")
	for i := 0; i < len(l); i++ {
		switch c := l[i]; {
		case c == '=':
			if i+1 >= len(l) {
				endline = false
				continue
			}
			if i+2 < len(l) {
				h, ok1 := hexval(l[i+1])
				lo, ok2 := hexval(l[i+2])
				if ok1 && ok2 {
					q.emit(h<<4 | lo)
					i += 2
					continue
				}
			}
			q.emit('=')
		case c == '_' && q.header:
			q.emit(' ')
		default:
			q.emit(c)
		}
	}
	if endline {
		q.emit('\r')
		q.emit('\n')
	}
	q.line = q.line[:0]
}

// b64val maps base64 characters to 0–63, '=' to 64; 0xff is skipped.
var b64val = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(a); i++ {
		t[a[i]] = byte(i)
	}
	t['='] = 64
	return
}()

// b64Decoder is Cyrus's lenient base64 decoder: other characters are
// skipped, '=' resets the state.
//
// cyrus: lib/charset.c b64_2byte (3.6.1)
type b64Decoder struct {
	acc  byte
	left int
	emit func(byte)
}

func (d *b64Decoder) put(c byte) {
	b := b64val[c]
	switch {
	case b == 0xff:
	case b == 64:
		d.acc, d.left = 0, 0
	case d.left == 0:
		d.acc, d.left = b, 3
	case d.left == 3:
		d.emit(d.acc<<2 | b>>4)
		d.acc, d.left = b, 2
	case d.left == 2:
		d.emit(d.acc<<4 | b>>2)
		d.acc, d.left = b, 1
	default:
		d.emit(d.acc<<6 | b)
		d.acc, d.left = 0, 0
	}
}

// decoded is a header value decoded to UTF-8; inexact means it held text
// in a charset this package cannot decode as Cyrus's ICU does.
type decoded struct {
	s       string
	inexact bool
}

// decodeMimeHeader decodes RFC 2047 encoded words to UTF-8 the way Cyrus
// 3.6.1 does for the cache (charset_parse_mimeheader with rfc2047_utf8
// off): text outside encoded words is US-ASCII (8-bit bytes become
// U+FFFD), blanks between two encoded words are dropped, adjacent words
// of the same charset and encoding share one decoder, an unknown charset
// gives one U+FFFD. The result ends at its first NUL.
//
// cyrus: lib/charset.c mimeheader_cat, charset_parse_mimeheader (3.6.1)
func decodeMimeHeader(in []byte) decoded { return decodeMimeHeaderWith(in, nil) }

// decodeMimeHeaderWith is decodeMimeHeader decoding multi-byte charsets with mb.
func decodeMimeHeaderWith(in []byte, mb MultiByte) decoded {
	sink := &uniSink{}
	mimeHeader(in, false, mb, sink)
	return decoded{s: string(cstr(sink.out)), inexact: sink.inexact}
}

// DecodeMimeHeaderRunes decodes RFC 2047 encoded words as Cyrus 3.6.1's
// mimeheader_cat does, sending each code point to emit: text outside
// encoded words is US-ASCII, or UTF-8 with mimeUTF8 (rfc2047_utf8);
// charsets without a table here go through mb (nil: U+FFFD). It reports
// whether some text could not be decoded as Cyrus would.
//
// cyrus: lib/charset.c mimeheader_cat (3.6.1)
func DecodeMimeHeaderRunes(in []byte, mimeUTF8 bool, mb MultiByte, emit func(rune)) (inexact bool) {
	sink := &uniSink{emit: emit}
	mimeHeader(in, mimeUTF8, mb, sink)
	return sink.inexact
}

func mimeHeader(in []byte, mimeUTF8 bool, mb MultiByte, sink *uniSink) {
	dflt := &charset{alias: "us-ascii", canon: "us-ascii", kind: csASCII}
	if mimeUTF8 {
		dflt = &charset{alias: "utf-8", canon: "utf-8", kind: csUTF8}
	}
	plain := &toUni{cs: dflt, sink: sink}
	unfoldState := 0
	feedPlain := func(b []byte) {
		plain.bytesLeft, plain.cp = 0, 0
		for _, c := range b {
			switch unfoldState {
			case 0:
				if c == '\r' {
					unfoldState = 1
				} else {
					plain.put(c)
				}
			case 1:
				if c == '\n' {
					unfoldState = 2
				} else {
					plain.put('\r')
					plain.put(c)
					unfoldState = 0
				}
			default:
				if c != ' ' && c != '\t' {
					plain.put('\r')
					plain.put('\n')
				}
				plain.put(c)
				unfoldState = 0
			}
		}
	}
	var (
		last    *charset
		lastEnc byte
		dec     *toUni
		qp      *qpDecoder
		b64     *b64Decoder
	)
	reset := func() { last, lastEnc, dec, qp, b64 = nil, 0, nil, nil, nil }

	s, start, eat := 0, 0, false
	for {
		i := bytes.IndexByte(in[start:], '=')
		if i < 0 {
			break
		}
		start += i + 1
		if at(in, start) != '?' {
			continue
		}
		endCS := -1
		p := start + 1
		for ; p < len(in) && in[p] != '=' && in[p] != '?'; p++ {
			if in[p] == '*' && endCS < 0 {
				endCS = p
			}
		}
		if at(in, p) != '?' {
			start = p
			continue
		}
		enc := p
		if endCS < 0 {
			endCS = p
		}
		e := at(in, enc+1) | 0x20
		if e != 'b' && e != 'q' || at(in, enc+2) != '?' {
			start = p
			continue
		}
		for p = enc + 3; p < len(in) && in[p] != '?'; p++ {
			if in[p] == '=' && at(in, p+1) == '?' && at(in, p+2) != '=' {
				break
			}
		}
		if at(in, p) != '?' || at(in, p+1) != '=' {
			start = p
			continue
		}
		end := p
		if eat {
			for _, c := range in[s : start-1] {
				if !isspace(c) {
					eat = false
					break
				}
			}
		}
		if !eat {
			feedPlain(in[s : start-1])
			reset()
		}
		cs := lookupCharset(string(in[start+1 : endCS]))
		text := in[enc+3 : end]
		switch {
		case cs == nil:
			sink.put(0xfffd)
			reset()
		case last != nil && cs.canon == last.canon && e == lastEnc:
		default:
			dec = newToUni(cs, sink, mb)
			qp, b64 = nil, nil
			if e == 'q' {
				qp = &qpDecoder{header: true, emit: dec.put}
			} else {
				b64 = &b64Decoder{emit: dec.put}
			}
			last, lastEnc = cs, e
		}
		if cs != nil {
			for _, c := range text {
				if qp != nil {
					qp.put(c)
				} else {
					b64.put(c)
				}
			}
			if qp != nil {
				qp.flush(false)
			}
			dec.flush()
		}
		s, start, eat = end+2, end+2, true
	}
	if s < len(in) {
		feedPlain(in[s:])
	}
}
