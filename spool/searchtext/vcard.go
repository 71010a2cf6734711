package searchtext

import "strings"

// vcardValues unescapes a vCard value (a backslash quotes the next
// character, \n and \N are newlines) and, with sep, splits it at
// unquoted separators.
//
// cyrus: lib/vparse.c _parse_entry_value, _parse_entry_multivalue (3.6.1)
func vcardValues(s string, sep byte) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 && c != '\t':
			// control characters are skipped
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] == 'n' || s[i] == 'N' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
		case sep != 0 && c == sep:
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(out, b.String())
}

// The vCard properties Cyrus indexes, single-valued then structured.
var (
	vcardSingle = []string{"FN", "EMAIL", "TEL", "URL", "IMPP", "X-SOCIAL-PROFILE", "X-FM-ONLINE-OTHER"}
	vcardMulti  = []string{"N", "ORG", "ADR"}
)

// vcard indexes a text/vcard part as one body document: the values of
// the first card's FN, EMAIL, TEL, URL, IMPP, X-SOCIAL-PROFILE,
// X-FM-ONLINE-OTHER, NOTE, N, ORG and ADR properties, joined by spaces.
// Cyrus also reads NICKNAME, but through the wrong member of a union
// (it is a list), so what it indexes for it is not reproduced: a card
// with a NICKNAME makes the result inexact.
//
// cyrus: imap/index.c extract_vcardbuf (3.6.1)
func (x *extractor) vcard(text []byte) {
	var props []icalLine
	depth := 0
	for _, l := range contentLines(cstr(text)) {
		if i := strings.IndexByte(l.name, '.'); i >= 0 {
			l.name = l.name[i+1:] // group prefix
		}
		switch l.name {
		case "BEGIN":
			depth++
		case "END":
			depth--
			if depth == 0 {
				goto done
			}
		default:
			if depth == 1 {
				props = append(props, l)
			}
		}
	}
done:
	var out []string
	add := func(v string) {
		if v != "" {
			out = append(out, v)
		}
	}
	for _, name := range append(vcardSingle, "NICKNAME", "NOTE") {
		for _, p := range props {
			if p.name != name {
				continue
			}
			if name == "NICKNAME" {
				x.exact = false
				continue
			}
			add(vcardValues(p.value, 0)[0])
		}
	}
	for _, name := range vcardMulti {
		for _, p := range props {
			if p.name == name {
				for _, v := range vcardValues(p.value, ';') {
					add(v)
				}
			}
		}
	}
	if len(out) > 0 {
		x.r.begin('m')
		x.r.append(x.utf8Search([]byte(strings.Join(out, " "))))
		x.r.end()
	}
}
