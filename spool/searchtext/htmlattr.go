package searchtext

import "strings"

// attrStep is Cyrus 3.10's stripper in a tag's attributes: only quoted
// values are read, and a value cut short by '>' is forgotten.
//
// cyrus: lib/charset.c striphtml2uni (HBEFOREATTRNAME … HATTVAL) (3.10.2)
func (s *stripHTML) attrStep(c rune) {
	switch s.top() {
	case hBeforeAttrName:
		switch {
		case isAlpha(c):
			s.attrName = append(s.attrName, byte(c))
			s.goTo(hAttrName)
		case isHTMLSpace(c):
		default:
			s.attrStop(false)
			s.leaveAttr(c)
		}
	case hAttrName:
		switch {
		case isHTMLSpace(c):
			s.goTo(hAfterAttrName)
		case c == '=':
			s.goTo(hBeforeAttrValue)
		case isAlpha(c):
			s.attrName = append(s.attrName, byte(c))
		default:
			s.attrStop(false)
			s.leaveAttr(c)
		}
	case hAfterAttrName:
		switch {
		case isHTMLSpace(c):
		case c == '=':
			s.goTo(hBeforeAttrValue)
		default:
			s.attrStop(false)
			s.leaveAttr(c)
		}
	case hBeforeAttrValue:
		if c == '"' || c == '\'' {
			s.attrQuot = c
			s.attrStart()
			s.goTo(hAttrValue)
			return
		}
		s.attrStop(false)
		s.leaveAttr(c)
	case hAttrValue:
		switch {
		case c == s.attrQuot:
			s.attrStop(true)
			s.goTo(hTagParams)
		case c == '>':
			s.attrStop(false)
			s.pop()
			s.sawTag()
		case s.attrTyp != attrNone:
			s.attrVals[s.attrTyp] = append(s.attrVals[s.attrTyp], c)
		}
	}
}

// leaveAttr ends a tag at '>', goes to the self-closing state at '/' and
// skips the tag's parameters otherwise; c is consumed.
func (s *stripHTML) leaveAttr(c rune) {
	switch c {
	case '>':
		s.pop()
		s.sawTag()
	case '/':
		s.goTo(hSelfClosing)
	default:
		s.goTo(hTagParams)
	}
}

// attrStart begins a quoted value, kept if it is one Cyrus keeps; it
// replaces an earlier value of its kind.
//
// cyrus: lib/charset.c html_attr_start (3.10.2)
func (s *stripHTML) attrStart() {
	tag, attr := string(s.name), string(s.attrName)
	s.attrTyp = attrNone
	switch {
	case strings.EqualFold(tag, "a") || strings.EqualFold(tag, "area"):
		if strings.EqualFold(attr, "href") {
			s.attrTyp = attrHref
		}
	case strings.EqualFold(tag, "img"):
		if strings.EqualFold(attr, "src") {
			s.attrTyp = attrHref
		} else if strings.EqualFold(attr, "alt") {
			s.attrTyp = attrAlt
		}
	}
	if s.attrTyp != attrNone {
		s.attrVals[s.attrTyp] = s.attrVals[s.attrTyp][:0]
	}
}

// cyrus: lib/charset.c html_attr_stop (3.10.2)
func (s *stripHTML) attrStop(valid bool) {
	s.attrQuot = 0
	if !valid && s.attrTyp != attrNone {
		s.attrVals[s.attrTyp] = s.attrVals[s.attrTyp][:0]
	}
	s.attrTyp = attrNone
	s.attrName = s.attrName[:0]
}

// cyrus: lib/charset.c html_attr_reset (3.10.2)
func (s *stripHTML) resetAttrs() {
	s.attrTyp, s.attrQuot = attrNone, 0
	for i := range s.attrVals {
		s.attrVals[i] = s.attrVals[i][:0]
	}
	s.attrName = s.attrName[:0]
}

func (s *stripHTML) putAttr(typ int) {
	for _, c := range s.attrVals[typ] {
		s.next(c)
	}
}

// maybeURI reports whether a tag name is a URI scheme and its colon
// ("http:"): a letter or digit, then letters, digits, '+', '-' or '.'.
//
// cyrus: lib/charset.c html_maybeuri (3.10.2)
func maybeURI(name []byte) bool {
	n := len(name)
	if n == 0 || name[n-1] != ':' || !(isAlpha(rune(name[0])) || isDigit(rune(name[0]))) {
		return false
	}
	for _, b := range name[1 : n-1] {
		c := rune(b)
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}
