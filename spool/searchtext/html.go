package searchtext

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The states of Cyrus's HTML stripper (named after the HTML5 tokenizer
// sections it follows).
type htmlState int

const (
	hData htmlState = iota
	hTagOpen
	hEndTagOpen
	hTagName
	hSelfClosing
	hTagParams
	hChar
	hChar2
	hCharHash
	hCharHex
	hCharDec
	hScriptData
	hScriptLT
	hStyleData
	hStyleLT
	hBogusComment
	hMarkupOpen
	hCommentStart
	hCommentStartDash
	hComment
	hCommentEndDash
	hCommentEnd
	hCommentEndBang
	// Cyrus 3.10's states: a tag name followed by '/', an angle-bracketed
	// URI, and the attributes it reads.
	hSelfClosingName
	hSelfClosingURI
	hBeforeAttrName
	hAttrName
	hAfterAttrName
	hBeforeAttrValue
	hAttrValue
)

// The attributes Cyrus 3.10 keeps: a link target (a or area href, img
// src) and an image's alt text.
const (
	attrHref = iota
	attrAlt
	attrNone
)

const (
	tagBegin = 1 << iota
	tagEnd
)

// stripHTML drops tags, comments, scripts and styles from HTML text,
// decodes character references, and writes a space for each tag that is
// not a phrasing tag.
//
// Cyrus 3.10's (v310) reads attributes too: at the next end tag the last
// link target is written as " <target>", followed by " (alt)" for an
// image; tag names may hold digits, ':', '-' and '_'; img and area are
// phrasing. With keepAngleURI (a text/plain part stripped as HTML) an
// angle-bracketed URI such as <http://host/> is kept as text.
//
// cyrus: lib/charset.c striphtml2uni, html_saw_tag, html_saw_character (3.6.1, 3.10.2)
type stripHTML struct {
	next         func(rune)
	stack        [2]htmlState
	depth        int
	name         []byte
	ends         int
	v310         bool
	keepAngleURI bool
	attrName     []byte
	attrQuot     rune
	attrTyp      int
	attrVals     [attrNone][]rune
}

func newStripHTML(next func(rune)) *stripHTML {
	return &stripHTML{next: next, depth: 1, attrTyp: attrNone}
}

// newStripHTML310 is Cyrus 3.10's stripper.
func newStripHTML310(next func(rune), keepAngleURI bool) *stripHTML {
	s := newStripHTML(next)
	s.v310, s.keepAngleURI = true, keepAngleURI
	return s
}

func (s *stripHTML) top() htmlState   { return s.stack[s.depth-1] }
func (s *stripHTML) goTo(h htmlState) { s.stack[s.depth-1] = h }
func (s *stripHTML) pop() {
	if s.depth > 1 {
		s.depth--
	}
}
func (s *stripHTML) push(h htmlState) {
	if s.depth < len(s.stack) {
		s.depth++
	}
	s.stack[s.depth-1] = h
}

func isAlpha(c rune) bool  { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c rune) bool  { return c >= '0' && c <= '9' }
func isXDigit(c rune) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isHTMLSpace(c rune) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

func (s *stripHTML) put(c rune) {
	for {
		if !s.step(c) {
			return
		}
	}
}

// step handles c in the current state; it reports whether c must be
// handled again in the new state.
func (s *stripHTML) step(c rune) (again bool) {
	switch s.top() {
	case hData:
		switch c {
		case '<':
			s.push(hTagOpen)
			s.name = s.name[:0]
		case '&':
			s.goTo(hChar)
			s.name = s.name[:0]
		default:
			s.next(c)
		}
	case hScriptData, hStyleData:
		if c == '<' {
			if s.top() == hScriptData {
				s.push(hScriptLT)
			} else {
				s.push(hStyleLT)
			}
		}
	case hScriptLT, hStyleLT:
		if c == '/' {
			s.ends = tagEnd
			s.goTo(hTagName)
			s.name = s.name[:0]
			return false
		}
		s.next(c)
		s.pop()
		return true
	case hChar:
		switch {
		case c == '#':
			s.name = append(s.name, '#')
			s.goTo(hCharHash)
		case isAlpha(c):
			s.name = append(s.name, byte(c))
			s.goTo(hChar2)
		default:
			s.next('&')
			s.goTo(hData)
			return true
		}
	case hCharHash:
		switch {
		case c == 'x' || c == 'X':
			s.name = append(s.name, byte(c))
			s.goTo(hCharHex)
		case isDigit(c):
			s.name = append(s.name, byte(c))
			s.goTo(hCharDec)
		default:
			s.next('&')
			s.next('#')
			s.goTo(hData)
			return true
		}
	case hChar2, hCharHex, hCharDec:
		var more bool
		switch s.top() {
		case hChar2:
			more = isAlpha(c)
		case hCharHex:
			more = isXDigit(c)
		default:
			more = isDigit(c)
		}
		if more {
			s.name = append(s.name, byte(c))
			return false
		}
		s.sawCharacter()
		s.goTo(hData)
		return c != ';'
	case hTagOpen:
		switch {
		case c == '!':
			s.pop()
			s.goTo(hMarkupOpen)
			s.name = s.name[:0]
		case c == '/':
			s.goTo(hEndTagOpen)
		case isAlpha(c):
			s.ends = tagBegin
			s.name = append(s.name, byte(c))
			s.goTo(hTagName)
		default:
			s.next('<')
			s.pop()
			return true
		}
	case hEndTagOpen:
		if isAlpha(c) {
			s.ends = tagEnd
			s.name = append(s.name, byte(c))
			s.goTo(hTagName)
		} else {
			s.pop()
		}
	case hTagName:
		switch {
		case isHTMLSpace(c) && s.v310:
			s.goTo(hBeforeAttrName)
		case isHTMLSpace(c):
			s.goTo(hTagParams)
		case c == '/' && s.v310:
			s.goTo(hSelfClosingName)
		case c == '/':
			s.goTo(hSelfClosing)
		case c == '>':
			s.pop()
			s.sawTag()
		case isAlpha(c), s.v310 && (isDigit(c) || c == ':' || c == '-' || c == '_'):
			s.name = append(s.name, byte(c))
		default:
			s.pop()
		}
	case hSelfClosing, hSelfClosingName:
		switch {
		case c == '>':
			s.ends = tagBegin | tagEnd
			s.pop()
			s.sawTag()
		case s.top() == hSelfClosingName && c == '/' && s.keepAngleURI && maybeURI(s.name):
			s.goTo(hSelfClosingURI)
		default:
			s.goTo(hTagParams)
		}
	case hSelfClosingURI:
		switch {
		case c == '>':
			s.ends = tagBegin | tagEnd
			s.pop()
			s.sawTag()
		case !isHTMLSpace(c):
			s.next('<')
			for _, b := range s.name {
				s.next(rune(b))
			}
			s.next('/')
			s.next('/')
			s.next(c)
			s.pop()
			s.goTo(hData)
		default:
			s.goTo(hTagParams)
		}
	case hTagParams:
		switch {
		case c == '>':
			s.pop()
			s.sawTag()
		case c == '/':
			s.goTo(hSelfClosing)
		case isHTMLSpace(c) && s.v310:
			s.goTo(hBeforeAttrName)
		}
	case hBeforeAttrName, hAttrName, hAfterAttrName, hBeforeAttrValue, hAttrValue:
		s.attrStep(c)
	case hBogusComment:
		if c == '>' {
			s.goTo(hData)
		}
	case hMarkupOpen:
		if c != '-' {
			s.goTo(hBogusComment)
			return true
		}
		s.name = append(s.name, '-')
		if len(s.name) == 2 {
			s.goTo(hCommentStart)
		}
	case hCommentStart, hCommentStartDash:
		switch {
		case c == '-' && s.top() == hCommentStart:
			s.goTo(hCommentStartDash)
		case c == '-':
			s.goTo(hCommentEnd)
		case c == '>':
			s.goTo(hData)
		default:
			s.goTo(hComment)
		}
	case hComment:
		if c == '-' {
			s.goTo(hCommentEndDash)
		}
	case hCommentEndDash:
		if c == '-' {
			s.goTo(hCommentEnd)
		} else {
			s.goTo(hComment)
		}
	case hCommentEnd:
		switch c {
		case '>':
			s.goTo(hData)
		case '!':
			s.goTo(hCommentEndBang)
		case '-':
		default:
			s.goTo(hComment)
		}
	case hCommentEndBang:
		switch c {
		case '-':
			s.goTo(hCommentEndDash)
		case '>':
			s.goTo(hData)
		default:
			s.goTo(hComment)
		}
	}
	return false
}

// phrasing are the tags that do not separate words.
var phrasing = map[string]bool{
	"a": true, "q": true, "cite": true, "em": true, "strong": true, "small": true,
	"mark": true, "dfn": true, "abbr": true, "time": true, "progress": true,
	"meter": true, "code": true, "var": true, "samp": true, "kbd": true,
	"sub": true, "sup": true, "span": true, "i": true, "b": true, "bdo": true,
	"ruby": true, "ins": true, "del": true,
}

// isPhrasing is phrasing, with Cyrus 3.10's img and area.
func (s *stripHTML) isPhrasing(tag string) bool {
	return phrasing[tag] || s.v310 && (tag == "img" || tag == "area")
}

func (s *stripHTML) sawTag() {
	tag := strings.ToLower(string(s.name))
	state := s.top()
	switch {
	case tag == "script":
		if state == hData && s.ends == tagBegin {
			s.goTo(hScriptData)
		} else if state == hScriptData && s.ends == tagEnd {
			s.goTo(hData)
		}
	case tag == "style":
		if state == hData && s.ends == tagBegin {
			s.goTo(hStyleData)
		} else if state == hStyleData && s.ends == tagEnd {
			s.goTo(hData)
		}
	default:
		if s.v310 && s.ends&tagEnd != 0 {
			if len(s.attrVals[attrHref]) > 0 {
				if s.ends == tagEnd {
					s.next(' ')
				}
				s.next('<')
				s.putAttr(attrHref)
				s.next('>')
				// An alt counts only beside a link target.
				if len(s.attrVals[attrAlt]) > 0 {
					s.next(' ')
					s.next('(')
					s.putAttr(attrAlt)
					s.next(')')
				}
			}
			s.resetAttrs()
		}
		if !s.isPhrasing(tag) {
			s.next(' ')
		}
	}
}

// compatChars maps the numeric references &#128;–&#159; as HTML5 does.
var compatChars = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// htmlParseError reports code points HTML5 forbids in numeric references.
func htmlParseError(c rune) bool {
	switch {
	case c >= 0x1 && c <= 0x8, c == 0xb, c >= 0xe && c <= 0x1f, c >= 0x7f && c <= 0x9f,
		c >= 0xfdd0 && c <= 0xfdef, c&0xffff >= 0xfffe:
		return true
	}
	return false
}

func (s *stripHTML) sawCharacter() {
	ent := string(s.name)
	if ent[0] == '#' {
		var v uint64
		if len(ent) > 1 && (ent[1] == 'x' || ent[1] == 'X') {
			v, _ = strconv.ParseUint(ent[2:], 16, 64)
		} else {
			v, _ = strconv.ParseUint(ent[1:], 10, 64)
		}
		// strtoul saturates; the result lands in a C int.
		c := rune(int32(uint32(v)))
		switch {
		case c == 0:
			c = utf8.RuneError
		case c >= 0x80 && c <= 0x9f:
			c = compatChars[c-0x80]
		case c < 0 || c > 0x10ffff || c >= 0xd800 && c <= 0xdfff:
			c = utf8.RuneError
		}
		if htmlParseError(c) {
			return
		}
		s.next(c)
		return
	}
	dec := html.UnescapeString("&" + ent + ";")
	if dec == "&"+ent+";" {
		s.next(utf8.RuneError)
		return
	}
	for _, r := range dec {
		s.next(r)
	}
}
