package cache

import (
	"bytes"
	"crypto/sha1"
	"hash"
)

// Cyrus's defaults for the options that shape parsing.
const (
	maxHeaderLines = 1000 // maxheaderlines
	boundaryLimit  = 1000 // boundary_limit

	// maxDepth bounds nested message/rfc822 parts, which Cyrus does not
	// bound (its stack does, and each level hashes all it encloses); deeper parts
	// are parsed as text.
	maxDepth = 100
)

// body is one parsed body part (Cyrus's struct body).
type body struct {
	typ, sub                           string
	params                             []param
	id, desc, enc                      *string
	md5, location                      *string
	disposition                        *string
	dispParams                         []param
	language                           []string
	date, subject                      *string
	inReplyTo, msgID                   *string
	from, sender, replyTo, to, cc, bcc []address

	headerOffset, headerSize    int
	contentOffset, contentSize  int
	headerLines, contentLines   int
	boundarySize, boundaryLines int

	parts   []body // multipart children
	msg     *body  // message/rfc822 enclosed message
	hasGUID bool   // content GUID computed (else null)
	guid    [20]byte
	decoded int // decoded content size

	cacheHeaders []byte // top level only
	top          bool
}

// parser holds the message being parsed and the open boundaries.
type parser struct {
	msg        []byte
	off        int
	boundaries []string
	inexact    bool
	depth      int
	noGUID     bool // content GUIDs not wanted (search text)
}

// line returns the next line (through LF) and advances.
func (p *parser) line() []byte {
	if p.off >= len(p.msg) {
		return nil
	}
	l := p.msg[p.off:]
	if i := bytes.IndexByte(l, '\n'); i >= 0 {
		l = l[:i+1]
	}
	p.off += len(l)
	return l
}

// pendingBoundary reports whether line (C-string length n) is a delimiter
// of an open multipart; a closing delimiter closes that multipart and the
// ones inside it.
//
// cyrus: imap/message.c message_pendingboundary (3.6.1)
func (p *parser) pendingBoundary(line []byte) bool {
	if len(line) < 2 || line[0] != '-' || line[1] != '-' {
		return false
	}
	b := line[2:]
	for i, bd := range p.boundaries {
		n := len(bd)
		if len(b) < n || !bytes.HasPrefix(b, []byte(bd)) {
			continue
		}
		if len(b) >= n+2 && b[n] == '-' && b[n+1] == '-' {
			p.boundaries = p.boundaries[:i]
			return true
		}
		if len(b) > n+1 && b[n] != 0 && !isspace(b[n]) {
			continue
		}
		return true
	}
	return false
}

// parseBody parses a part: its headers, then its content by type.
//
// cyrus: imap/message.c message_parse_body (3.6.1)
func (p *parser) parseBody(b *body, defaultType string) {
	sawBoundary := p.parseHeaders(b, defaultType)
	switch {
	case b.typ == "MULTIPART":
		if !sawBoundary {
			p.parseMultipart(b)
		}
	case b.typ == "MESSAGE" && b.sub == "RFC822" && p.depth >= maxDepth:
		p.inexact = true
		b.typ, b.sub = "TEXT", "PLAIN"
		if !sawBoundary {
			p.parseContent(b)
		}
	case b.typ == "MESSAGE" && b.sub == "RFC822":
		start := p.off
		b.msg = &body{}
		if sawBoundary {
			p.setType(b.msg, defaultContentType)
			return
		}
		p.depth++
		p.parseBody(b.msg, defaultContentType)
		p.depth--
		b.contentSize = b.msg.headerSize + b.msg.contentSize
		b.contentLines = b.msg.headerLines + b.msg.contentLines
		b.boundarySize = b.msg.boundarySize
		b.boundaryLines = b.msg.boundaryLines
		p.contentGUID(b, start)
	default:
		if !sawBoundary {
			p.parseContent(b)
		}
	}
}

const defaultContentType = "TEXT/PLAIN; CHARSET=us-ascii"

func (p *parser) setType(b *body, v string) {
	ct, ok := parseType([]byte(v), 0)
	b.typ, b.sub, b.params = "", "", nil
	if ok {
		b.typ, b.sub, b.params = ct.typ, ct.sub, ct.params
	}
}

// parseHeaders reads a part's header block and the fields Cyrus uses;
// it reports whether a boundary line ended the block.
//
// cyrus: imap/message.c message_parse_headers (3.6.1)
func (p *parser) parseHeaders(b *body, defaultType string) (sawBoundary bool) {
	b.headerOffset = p.off
	h := []byte{'\n'}
	for {
		start := len(h)
		l := p.line()
		if l == nil {
			break
		}
		h = append(h, l...)
		if l[0] == '\r' && len(l) > 1 && l[1] == '\n' {
			break
		}
		cl := cstr(l)
		if len(cl) > 0 && cl[0] == '-' && p.pendingBoundary(cl) {
			b.boundarySize = len(cl)
			b.boundaryLines++
			if start-1 > 0 {
				b.boundarySize += 2
				b.boundaryLines++
				h = h[:start-2]
			} else {
				h = h[:start]
			}
			sawBoundary = true
			break
		}
	}
	b.contentOffset = p.off
	h = cstr(h)
	b.headerSize = len(h) - 1

	b.headerLines = -1
	haveMax := false
	for i := 0; i < len(h); i++ {
		if h[i] != '\n' {
			continue
		}
		b.headerLines++
		if haveMax {
			continue
		}
		if b.headerLines > maxHeaderLines {
			haveMax = true
			continue
		}
		ls := i + 1
		if b.top && at(h, ls) != ' ' && at(h, ls) != '\t' && cachedHeader(h[ls:]) {
			e := fieldEnd(h, ls)
			if e < len(h) && e > ls && h[e-1] == '\r' {
				e--
			}
			b.cacheHeaders = append(b.cacheHeaders, h[ls:max(e, ls)]...)
			b.cacheHeaders = append(b.cacheHeaders, '\r', '\n')
		}
		p.headerField(b, h, ls)
	}
	if b.typ == "" {
		p.setType(b, defaultType)
	}
	return sawBoundary
}

// headerField handles the header line starting at ls, if Cyrus knows it.
func (p *parser) headerField(b *body, h []byte, ls int) {
	n := ls
	for n < len(h) && h[n] != ':' && h[n] != '\r' && h[n] != '\n' {
		n++
	}
	if at(h, n) != ':' {
		return
	}
	v := n + 1
	switch lower(string(h[ls:n])) {
	case "bcc":
		b.bcc = addrField(h, v)
	case "cc":
		b.cc = addrField(h, v)
	case "content-description":
		b.desc = parseString(h, v)
	case "content-disposition":
		b.disposition, b.dispParams = parseDisposition(h, v)
	case "content-id":
		b.id = parseString(h, v)
	case "content-language":
		b.language = parseLanguage(h, v)
	case "content-location":
		b.location = parseString(h, v)
	case "content-md5":
		b.md5 = parseString(h, v)
	case "content-transfer-encoding":
		b.enc = parseEncoding(h, v)
	case "content-type":
		ct, ok := parseType(h, v)
		b.typ, b.sub, b.params = "", "", nil
		if ok {
			b.typ, b.sub, b.params = ct.typ, ct.sub, ct.params
		}
		p.inexact = p.inexact || ct.inexact
	case "date":
		b.date = parseString(h, v)
	case "from":
		b.from = addrField(h, v)
	case "in-reply-to":
		b.inReplyTo = parseString(h, v)
	case "message-id":
		b.msgID = parseString(h, v)
	case "reply-to":
		b.replyTo = addrField(h, v)
	case "subject":
		b.subject = parseString(h, v)
	case "sender":
		b.sender = addrField(h, v)
	case "to":
		b.to = addrField(h, v)
	}
}

// addrField parses the address list of the field whose value starts at v.
//
// cyrus: imap/message.c message_parse_address (3.6.1)
func addrField(h []byte, v int) []address {
	e := fieldEnd(h, v)
	if e < len(h) && e > v && h[e-1] == '\r' {
		e--
	}
	if v > len(h) {
		v = len(h)
	}
	return parseAddresses(h[v:max(e, v)])
}

// parseMultipart parses preamble, parts and epilogue of a multipart.
//
// cyrus: imap/message.c message_parse_multipart (3.6.1)
func (p *parser) parseMultipart(b *body) {
	defType := defaultContentType
	if b.sub == "DIGEST" {
		defType = "MESSAGE/RFC822"
	}
	var bd *param
	for i := range b.params {
		if a := b.params[i].attr; a == "BOUNDARY" || a == "BOUNDARY*" {
			bd = &b.params[i]
			break
		}
	}
	if bd == nil {
		p.parseContent(b)
		return
	}
	id, ok := "", false
	if bd.attr == "BOUNDARY*" {
		id, ok = parseMimeXValue(bd.value)
	}
	if !ok {
		id = bd.value
	}
	p.boundaries = append(p.boundaries, id)
	depth := len(p.boundaries)

	var pre, epi body
	p.parseContent(&pre)
	for len(p.boundaries) == depth && len(p.boundaries) < boundaryLimit {
		b.parts = append(b.parts, body{})
		sp := &b.parts[len(b.parts)-1]
		p.depth++
		p.parseBody(sp, defType)
		p.depth--
		if p.off == len(p.msg) && sp.boundarySize == 0 {
			p.boundaries = p.boundaries[:0]
		}
	}
	switch {
	case len(p.boundaries) == depth-1:
		p.parseContent(&epi)
	case len(b.parts) > 0:
		last := &b.parts[len(b.parts)-1]
		b.boundarySize, b.boundaryLines = last.boundarySize, last.boundaryLines
		last.boundarySize, last.boundaryLines = 0, 0
	default:
		b.boundarySize, b.boundaryLines = pre.boundarySize, pre.boundaryLines
		pre.boundarySize, pre.boundaryLines = 0, 0
	}
	b.contentSize = pre.contentSize + pre.boundarySize
	b.contentLines = pre.contentLines + pre.boundaryLines
	for i := range b.parts {
		sp := &b.parts[i]
		b.contentSize += sp.headerSize + sp.contentSize + sp.boundarySize
		b.contentLines += sp.headerLines + sp.contentLines + sp.boundaryLines
	}
	b.contentSize += epi.contentSize
	b.contentLines += epi.contentLines
	b.boundarySize += epi.boundarySize
	b.boundaryLines += epi.boundaryLines
}

// parseContent reads a leaf's content up to the next open boundary.
//
// cyrus: imap/message.c message_parse_content (3.6.1)
func (p *parser) parseContent(b *body) {
	start := p.off
	for {
		l := p.line()
		if l == nil {
			break
		}
		if len(l) >= 2 && l[0] == '-' && l[1] == '-' && p.pendingBoundary(l) {
			b.boundarySize = len(l)
			b.boundaryLines++
			if b.contentLines > 0 {
				b.contentLines--
				b.boundaryLines++
			}
			if b.contentSize > 1 {
				b.contentSize -= 2
				b.boundarySize += 2
			}
			break
		}
		b.contentSize += len(l)
		if l[len(l)-1] == '\n' {
			b.contentLines++
		}
	}
	p.contentGUID(b, start)
}

// contentGUID sets the SHA-1 of the part's content after transfer
// decoding, and its decoded size; an unknown encoding leaves it null.
//
// cyrus: imap/message.c body_add_content_guid (3.6.1)
func (p *parser) contentGUID(b *body, start int) {
	if p.noGUID {
		return
	}
	enc, _ := partCharset(b)
	end := min(start+b.contentSize, len(p.msg))
	if start > end {
		start = end
	}
	src := p.msg[start:end]
	var h hash.Hash = sha1.New()
	n := 0
	switch enc {
	case encNone:
		h.Write(src)
		n = len(src)
	case encQP, encBase64:
		var buf []byte
		emit := func(c byte) {
			buf = append(buf, c)
			if len(buf) == 4096 {
				h.Write(buf)
				n += len(buf)
				buf = buf[:0]
			}
		}
		if enc == encQP {
			q := &qpDecoder{emit: emit}
			for _, c := range src {
				q.put(c)
			}
			q.flush(false)
		} else {
			d := &b64Decoder{emit: emit}
			for _, c := range src {
				d.put(c)
			}
		}
		h.Write(buf)
		n += len(buf)
	default:
		b.hasGUID, b.decoded = false, 0
		return
	}
	h.Sum(b.guid[:0])
	b.hasGUID, b.decoded = true, n
}

// Transfer encodings as Cyrus numbers them in the SECTION item.
const (
	encNone    = 0
	encQP      = 1
	encBase64  = 2
	encUnknown = 255
)

// partCharset returns the part's transfer encoding and charset as Cyrus
// uses them for content GUIDs and the SECTION item (nil: no charset).
//
// cyrus: imap/message.c message_parse_charset (3.6.1)
func partCharset(b *body) (int, *charset) {
	enc := encNone
	if b.enc != nil {
		switch e := *b.enc; e {
		case "7BIT", "8BIT", "BINARY":
		case "BASE64":
			enc = encBase64
		case "QUOTED-PRINTABLE":
			enc = encQP
		default:
			enc = encUnknown
		}
	}
	cs := lookupCharset("us-ascii")
	switch b.typ {
	case "", "TEXT":
		for _, pr := range b.params {
			if lower(pr.attr) == "charset" && pr.value != "" {
				if c := lookupCharset(pr.value); c != nil {
					cs = c
				}
			}
		}
	case "MESSAGE":
		if b.sub == "RFC822" {
			cs = nil
		}
		enc = encNone
	default:
		cs = nil
	}
	return enc, cs
}

// parseMimeXValue decodes an RFC 2231 extended value (charset'lang'%XX…)
// to UTF-8; ok is false if Cyrus would not decode it.
//
// cyrus: lib/charset.c charset_parse_mimexvalue (3.6.1)
func parseMimeXValue(s string) (string, bool) {
	i := bytes.IndexByte([]byte(s), '\'')
	if i < 0 {
		return "", false
	}
	cs := lookupCharset(s[:i])
	if cs == nil {
		return "", false
	}
	rest := s[i+1:]
	j := bytes.IndexByte([]byte(rest), '\'')
	if j < 0 {
		return "", false
	}
	rest = rest[j+1:]
	var raw []byte
	for k := 0; k < len(rest); k++ {
		if rest[k] != '%' {
			raw = append(raw, rest[k])
			continue
		}
		if k+2 >= len(rest) {
			return "", false
		}
		hi, ok1 := hexval(rest[k+1])
		lo, ok2 := hexval(rest[k+2])
		if !ok1 || !ok2 {
			return "", false
		}
		raw = append(raw, hi<<4|lo)
		k += 2
	}
	sink := &uniSink{}
	d := &toUni{cs: cs, sink: sink}
	for _, c := range raw {
		d.put(c)
	}
	return string(cstr(sink.out)), true
}
