package searchtext

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/cyrus-replication/cyrus-replication/spool/cache"
)

// Documents returns the SQUAT documents Cyrus 3.6.1's squatter indexes
// for the message msg with the given UID, in the order it adds them.
func Documents(uid uint32, msg []byte, opt Options) ([]Doc, error) {
	docs, _, err := Extract(uid, msg, opt)
	return docs, err
}

// Extract is Documents that also reports whether the text is exactly
// Cyrus's: exact is false when the message holds parts or charsets this
// package cannot reproduce (text/calendar, text/vcard, a charset without
// a decoder here).
//
// cyrus: imap/index.c index_getsearchtext (3.6.1)
func Extract(uid uint32, msg []byte, opt Options) (docs []Doc, exact bool, err error) {
	top, items, err := cache.Parts(msg, newMultiByte)
	if err != nil {
		return nil, false, fmt.Errorf("searchtext: uid %d: %w", uid, err)
	}
	x := &extractor{opt: opt, r: &receiver{uid: uid, dropClassless: opt.DropClassless}, exact: true}

	// From, To, Cc, Bcc and Subject come from the cache entry, already UTF-8.
	for _, f := range []struct {
		c    byte
		item cache.Item
	}{{'f', cache.From}, {'t', cache.To}, {'c', cache.Cc}, {'b', cache.Bcc}} {
		v := items[f.item]
		if string(v) == "NIL" {
			v = nil
		}
		x.r.stuff(f.c, x.utf8Search(v))
	}
	x.r.stuff('s', x.utf8Search(deNString(items[cache.Subject])))

	// Fields SQUAT has no class for: their text joins a document named
	// after the last class begun. List-Id, then Mailing-List (twice, as
	// Cyrus asks for it twice), decoded; the delivered-to address raw.
	hdr := cstr(top.Header)
	x.r.stuff(0, x.mimeHeader(fieldValues(hdr, "List-Id"), opt.MimeUTF8))
	for range 2 {
		x.r.stuff(0, x.mimeHeader(fieldValues(hdr, "Mailing-List"), opt.MimeUTF8))
	}
	dt := fieldValues(hdr, "X-Original-Delivered-To")
	if len(dt) == 0 {
		dt = fieldValues(hdr, "X-Delivered-To")
	}
	x.r.stuff(0, dt)
	// X-Priority/Importance give at most "1", too short to index.

	leafTypes(top, func(t string) {
		x.r.begin(0)
		x.r.append([]byte(t))
		x.r.end()
	})

	x.strip = stripHTMLParts(top)
	x.section(top)
	return x.r.docs, x.exact, nil
}

type extractor struct {
	opt       Options
	r         *receiver
	exact     bool
	headersOK bool // the top header block was indexed
	strip     map[*cache.Part]bool
}

// utf8Search converts UTF-8 text to search form.
//
// cyrus: lib/charset.c charset_convert (3.6.1)
func (x *extractor) utf8Search(v []byte) []byte {
	v = cstr(v)
	if len(v) == 0 {
		return nil
	}
	k := &canon{opt: x.opt}
	d := cache.LookupCharset("utf-8").NewDecoder(nil, k.put)
	for _, c := range v {
		d.Put(c)
	}
	return k.out
}

// mimeHeader decodes a header value to search form.
//
// cyrus: lib/charset.c charset_decode_mimeheader (3.6.1)
func (x *extractor) mimeHeader(v []byte, mimeUTF8 bool) []byte {
	v = cstr(v)
	if len(v) == 0 {
		return nil
	}
	k := &canon{opt: x.opt}
	if cache.DecodeMimeHeaderRunes(v, mimeUTF8, newMultiByte, k.put) {
		x.exact = false
	}
	return k.out
}

// section handles one part and then its subparts, in Cyrus's order.
//
// cyrus: imap/message.c body_foreach_section; imap/index.c getsearchtext_cb (3.6.1)
func (x *extractor) section(p *cache.Part) {
	if p.Header != nil {
		x.header(p)
	}
	switch {
	case len(p.Content) > 50 && bytes.HasPrefix(p.Content, []byte("-----BEGIN PGP MESSAGE-----")):
		// encrypted: not indexed
	case p.Type == "TEXT" && p.Subtype != "RTF":
		switch p.Subtype {
		case "CALENDAR":
			// libical's parser is approximated, not reproduced.
			x.exact = false
			x.calendar(x.utf8Text(p))
		case "VCARD":
			x.vcard(x.utf8Text(p))
		default:
			x.r.begin('m')
			x.r.append(x.body(p))
			x.r.end()
		}
	}
	for _, c := range p.Parts {
		x.section(c)
	}
}

// header indexes the top header block, and any part's attachment names.
func (x *extractor) header(p *cache.Part) {
	if !x.headersOK {
		if x.opt.IndexHeaders {
			x.r.stuff('h', x.mimeHeader(p.Header, x.opt.MimeUTF8))
		}
		x.headersOK = true
	}
	if p.Disposition == "ATTACHMENT" {
		for _, pr := range p.DispParams {
			switch pr.Name {
			case "FILENAME":
				x.r.stuff(0, x.mimeHeader([]byte(pr.Value), x.opt.MimeUTF8))
			case "FILENAME*":
				v, ok := cache.ParseMimeXValue(pr.Value)
				if !ok {
					v = pr.Value
				}
				x.r.stuff(0, x.mimeHeader([]byte(v), true))
			}
		}
	}
	for _, pr := range p.Params {
		if pr.Name == "NAME" {
			x.r.stuff(0, x.mimeHeader([]byte(pr.Value), x.opt.MimeUTF8))
		}
	}
}

// body decodes a text part to search form.
//
// cyrus: lib/charset.c charset_extract (3.6.1)
func (x *extractor) body(p *cache.Part) []byte {
	html := p.Subtype == "HTML"
	opt := x.opt
	plainHTML := p.Subtype == "PLAIN" && x.strip[p]
	if plainHTML {
		html, opt.SkipHTML = true, false
	}
	if html && opt.SkipHTML {
		return nil
	}
	k := &canon{opt: opt, out: make([]byte, 0, len(p.Content))}
	emit, ascii := k.put, k.putASCII
	switch {
	case html && opt.HTML310:
		// cyrus: imap/index.c getsearchtext_cb (CHARSET_KEEP_ANGLEURI) (3.10.2)
		emit, ascii = newStripHTML310(k.put, plainHTML).put, nil
	case html:
		emit, ascii = newStripHTML(k.put).put, nil
	}
	if !x.decode(p, emit, ascii) {
		return nil
	}
	return k.out
}

// decode undoes a part's transfer encoding and charset, sending code
// points to emit, and runs of ASCII to ascii if it is set (emit's work on
// each byte); it is false for an unknown transfer encoding.
func (x *extractor) decode(p *cache.Part, emit func(rune), ascii func([]byte)) bool {
	cs := p.Charset
	if cs == nil {
		cs = cache.LookupCharset("us-ascii")
	}
	d := cs.NewDecoder(newMultiByte, emit)
	if ascii != nil {
		d.SetASCII(ascii)
	}
	switch p.Encoding {
	case cache.EncNone:
		d.Write(p.Content)
	case cache.EncQP:
		// Decoded whole, then written: runs of ASCII reach ascii whole.
		buf := make([]byte, 0, len(p.Content))
		put, flush := cache.NewQPDecoder(false, func(c byte) { buf = append(buf, c) })
		for _, c := range p.Content {
			put(c)
		}
		flush()
		d.Write(buf)
	case cache.EncBase64:
		buf := make([]byte, 0, len(p.Content)/4*3+3)
		put := cache.NewBase64Decoder(func(c byte) { buf = append(buf, c) })
		for _, c := range p.Content {
			put(c)
		}
		d.Write(buf)
	default:
		return false
	}
	d.Flush()
	if d.Inexact() {
		x.exact = false
	}
	return true
}

// utf8Text decodes a part's content to UTF-8 without changing it
// further.
//
// cyrus: lib/charset.c charset_to_utf8 (3.6.1)
func (x *extractor) utf8Text(p *cache.Part) []byte {
	var out []byte
	emit := func(c rune) {
		if c < 0 || c > 0x10ffff || c >= 0xd800 && c <= 0xdfff {
			c = utf8.RuneError
		}
		out = utf8.AppendRune(out, c)
	}
	if !x.decode(p, emit, nil) {
		return nil
	}
	return out
}

// leafTypes calls fn with TYPE/SUBTYPE of each part that is neither
// multipart nor message, in order.
//
// cyrus: imap/message.c body_get_types (3.6.1)
func leafTypes(p *cache.Part, fn func(string)) {
	if p.Type != "MULTIPART" && p.Type != "MESSAGE" {
		fn(p.Type + "/" + p.Subtype)
	}
	for _, c := range p.Parts {
		leafTypes(c, fn)
	}
}

// stripHTMLParts finds the text/plain parts that share a message (the
// top one or an enclosed one) with an inline text/html part: Cyrus strips
// HTML from those too.
//
// cyrus: imap/index.c find_striphtml_parts (3.6.1)
func stripHTMLParts(top *cache.Part) map[*cache.Part]bool {
	out := map[*cache.Part]bool{}
	msgs := []*cache.Part{top}
	var all func(p *cache.Part)
	all = func(p *cache.Part) {
		if p.Type == "MESSAGE" && p.Subtype == "RFC822" {
			msgs = append(msgs, p)
		}
		for _, c := range p.Parts {
			all(c)
		}
	}
	all(top)
	// within visits the parts below root, not entering enclosed messages.
	within := func(root *cache.Part, fn func(*cache.Part) bool) {
		work := append([]*cache.Part(nil), root.Parts...)
		for len(work) > 0 {
			p := work[len(work)-1]
			work = work[:len(work)-1]
			if fn(p) {
				return
			}
			if p.Type == "MESSAGE" && p.Subtype == "RFC822" {
				continue
			}
			work = append(work, p.Parts...)
		}
	}
	for _, root := range msgs {
		hasHTML := false
		within(root, func(p *cache.Part) bool {
			hasHTML = p.Type == "TEXT" && p.Subtype == "HTML" && (p.Disposition == "" || p.Disposition == "INLINE")
			return hasHTML
		})
		if !hasHTML {
			continue
		}
		within(root, func(p *cache.Part) bool {
			if p.Type == "TEXT" && p.Subtype == "PLAIN" {
				out[p] = true
			}
			return false
		})
	}
	return out
}

// fieldValues returns the named header fields of a header block, joined
// as Cyrus prunes them, with the first field's name and colon removed.
//
// cyrus: imap/message.c message_pruneheader, extract_one (3.6.1)
func fieldValues(hdr []byte, name string) []byte {
	var out []byte
	p := 0
	for lines := 0; p < len(hdr) && hdr[p] != '\r'; lines++ {
		colon := bytes.IndexByte(hdr[p:], ':')
		next := p
		for {
			i := bytes.IndexByte(hdr[next:], '\n')
			if i < 0 {
				next = len(hdr)
			} else {
				next += i + 1
			}
			if next >= len(hdr) || hdr[next] != ' ' && hdr[next] != '\t' {
				break
			}
		}
		if colon == len(name) && bytes.EqualFold(hdr[p:p+colon], []byte(name)) {
			out = append(out, hdr[p:next]...)
		}
		p = next
		if lines+1 > 1000 { // maxheaderlines
			break
		}
	}
	if len(out) == 0 {
		return nil
	}
	i := bytes.IndexByte(out, ':')
	return out[i+1:]
}

// deNString decodes the SUBJECT cache item (an IMAP nstring).
//
// cyrus: imap/message.c de_nstring_buf (3.6.1)
func deNString(v []byte) []byte {
	switch {
	case len(v) == 0 || string(v) == "NIL":
		return nil
	case v[0] == '"':
		var out []byte
		for i := 1; i < len(v) && v[i] != '"'; i++ {
			if v[i] == '\\' && i+1 < len(v) {
				i++
			}
			out = append(out, v[i])
		}
		return out
	case v[0] == '{':
		if i := bytes.Index(v, []byte("}\r\n")); i >= 0 {
			return v[i+3:]
		}
	}
	return nil
}

// cstr is b up to its first NUL, as C reads it.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}
