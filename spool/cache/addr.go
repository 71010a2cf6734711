package cache

import "bytes"

// address is one element of a parsed address list: a mailbox (name,
// route, mailbox, domain), a group start (mailbox = group name, no
// domain) or a group end (neither). nil fields are NIL.
type address struct {
	name, route, mailbox, domain *string
}

func sptr(b []byte) *string { s := string(b); return &s }

// addrParser is Cyrus's address-list parser. Cyrus edits a copy of the
// header text in place; this one copies what it keeps.
//
// cyrus: lib/parseaddr.c parseaddr_list (3.6.1)
type addrParser struct {
	s   []byte
	pos int
}

func (a *addrParser) c(i int) byte { return at(a.s, i) }

// skipWS skips blanks and (nested) comments.
func (a *addrParser) skipWS() {
	for {
		c := a.c(a.pos)
		if c == 0 {
			return
		}
		if c == '(' {
			a.pos++
			for level := 1; level > 0; {
				d := a.c(a.pos)
				if d == 0 {
					break
				}
				a.pos++
				switch {
				case d == '\\' && a.c(a.pos) != 0:
					a.pos++
				case d == '(':
					level++
				case d == ')':
					level--
				}
			}
			continue
		}
		if !isspace(c) {
			return
		}
		a.pos++
	}
}

// phrase reads an RFC 822 phrase up to one of specials (or the end, 0).
// A broken quoted string makes it behave as the end of the input.
//
// cyrus: lib/parseaddr.c parseaddr_phrase (3.6.1)
func (a *addrParser) phrase(specials string) ([]byte, byte) {
	a.skipWS()
	var out []byte
	for {
		c := a.c(a.pos)
		a.pos++
		switch {
		case c == '"':
			closed := false
			for {
				c = a.c(a.pos)
				if c == 0 {
					break
				}
				a.pos++
				if c == '\\' && a.c(a.pos) == '\r' && a.c(a.pos+1) == '\n' {
					c = a.c(a.pos)
					a.pos++
				}
				if c == '\r' && a.c(a.pos) == '\n' {
					a.pos++
					if n := a.c(a.pos); n == ' ' || n == '\t' {
						continue
					}
					return nil, 0
				} else if c < 0x20 || c == 0x7f {
					if c == '\r' || c == '\n' {
						c = ' '
					} else if c != '\t' {
						continue
					}
				}
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' {
					c = a.c(a.pos)
					if c == 0 {
						return nil, 0
					}
					a.pos++
				}
				out = append(out, c)
			}
			if !closed {
				return nil, 0
			}
		case c != 0 && (isspace(c) || c == '('):
			a.pos--
			a.skipWS()
			out = append(out, ' ')
		case c == 0 || bytes.IndexByte([]byte(specials), c) >= 0:
			if n := len(out); n > 0 && out[n-1] == ' ' {
				out = out[:n-1]
			}
			if c == 0 {
				a.pos--
			}
			return out, c
		default:
			out = append(out, c)
		}
	}
}

// domain reads a domain; with wantComment, a comment after it is returned
// (Cyrus uses it as the display name of "addr (Name)").
//
// cyrus: lib/parseaddr.c parseaddr_domain (3.6.1)
func (a *addrParser) domain(wantComment bool) (dom []byte, comment *string, tok byte) {
	a.skipWS()
	dom = []byte{}
	for {
		c := a.c(a.pos)
		a.pos++
		switch {
		case isalnum(c) || c == '-' || c == '[' || c == ']' || c == ':' || c == '@':
			dom = append(dom, c)
			comment = nil
		case c == '.':
			if n := len(dom); n > 0 && dom[n-1] != '.' {
				dom = append(dom, c)
			}
			comment = nil
		case c == '(':
			if !wantComment {
				a.pos--
				a.skipWS()
				continue
			}
			var cm []byte
			for level := 1; level > 0; {
				d := a.c(a.pos)
				if d == 0 {
					break
				}
				a.pos++
				switch d {
				case '(':
					level++
				case ')':
					level--
				case '\\':
					if e := a.c(a.pos); e != 0 {
						d = e
						a.pos++
					}
				}
				if level > 0 {
					cm = append(cm, d)
				}
			}
			comment = sptr(cm)
		case c != 0 && isspace(c):
		default:
			if n := len(dom); n > 0 && dom[n-1] == '.' {
				dom = dom[:n-1]
			}
			if c == 0 {
				a.pos--
			}
			return dom, comment, c
		}
	}
}

// route reads a source route (at-domain-list) before a ':'.
//
// cyrus: lib/parseaddr.c parseaddr_route (3.6.1)
func (a *addrParser) route() ([]byte, byte) {
	a.skipWS()
	var r []byte
	for {
		c := a.c(a.pos)
		a.pos++
		switch {
		case isalnum(c) || c == '-' || c == '[' || c == ']' || c == ',' || c == '@':
			r = append(r, c)
		case c == '.':
			if n := len(r); n > 0 && r[n-1] != '.' {
				r = append(r, c)
			}
		case c != 0 && (isspace(c) || c == '('):
			a.pos--
			a.skipWS()
		default:
			for n := len(r); n > 0 && (r[n-1] == '.' || r[n-1] == ',' || r[n-1] == '@'); n = len(r) {
				r = r[:n-1]
			}
			if c == 0 {
				a.pos--
			}
			return r, c
		}
	}
}

// parseAddresses parses a header's address list (the text of the field,
// folding included).
//
// cyrus: lib/parseaddr.c parseaddr_list (3.6.1)
func parseAddresses(s []byte) []address {
	a := &addrParser{s: s}
	var out []address
	add := func(name, route, mbox, dom *string) {
		if name != nil && *name == "" {
			name = nil
		}
		if route != nil && *route == "" {
			route = nil
		}
		if dom != nil && *dom == "" {
			d := "unspecified-domain"
			dom = &d
		}
		out = append(out, address{name: name, route: route, mailbox: mbox, domain: dom})
	}
	empty := func() *string { return sptr(nil) }
	ingroup := false
	for tok := byte(' '); tok != 0; {
		specials := ",@<:"
		if ingroup {
			specials = ",@<;"
		}
		var ph []byte
		ph, tok = a.phrase(specials)
		switch tok {
		case ',', 0, ';':
			if len(ph) > 0 {
				add(nil, nil, sptr(ph), empty())
			}
			if tok == ';' {
				add(nil, nil, nil, nil)
				ingroup = false
			}
		case ':':
			add(nil, nil, sptr(ph), nil)
			ingroup = true
		case '@':
			var dom []byte
			var cm *string
			dom, cm, tok = a.domain(true)
			add(cm, nil, sptr(ph), sptr(dom))
			if tok == ';' {
				add(nil, nil, nil, nil)
				ingroup = false
			}
		case '<':
			var mbox []byte
			mbox, tok = a.phrase("@>")
			if tok != '@' {
				add(sptr(ph), nil, sptr(mbox), empty())
				continue
			}
			var rt []byte
			if len(mbox) == 0 {
				a.pos--
				rt, tok = a.route()
				if tok != ':' {
					add(sptr(ph), sptr(rt), empty(), empty())
					for tok != 0 && tok != '>' {
						tok = a.c(a.pos)
						a.pos++
					}
					continue
				}
				mbox, tok = a.phrase("@>")
				if tok != '@' {
					add(sptr(ph), sptr(rt), sptr(mbox), empty())
					continue
				}
			}
			var dom []byte
			dom, _, tok = a.domain(false)
			add(sptr(ph), sptr(rt), sptr(mbox), sptr(dom))
			for tok != 0 && tok != '>' {
				tok = a.c(a.pos)
				a.pos++
			}
		}
	}
	if ingroup {
		add(nil, nil, nil, nil)
	}
	return out
}
