package searchtext

import (
	"bytes"
	"strings"
)

// icalLine is one unfolded content line of an iCalendar or vCard object.
type icalLine struct {
	name   string // upper case
	params map[string]string
	value  string
}

// contentLines unfolds text (CRLF or LF, then a blank continues a line)
// and splits it into content lines; lines without a colon are skipped.
func contentLines(text []byte) []icalLine {
	text = bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n"))
	var out []icalLine
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			if l, ok := parseContentLine(string(cur)); ok {
				out = append(out, l)
			}
		}
		cur = cur[:0]
	}
	for _, l := range bytes.Split(text, []byte("\n")) {
		if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') {
			cur = append(cur, l[1:]...)
			continue
		}
		flush()
		cur = append(cur, l...)
	}
	flush()
	return out
}

// parseContentLine splits name *(";" param) ":" value; parameter
// values may be quoted.
func parseContentLine(s string) (icalLine, bool) {
	l := icalLine{params: map[string]string{}}
	i := strings.IndexAny(s, ";:")
	if i < 0 {
		return l, false
	}
	l.name = strings.ToUpper(s[:i])
	for s[i] == ';' {
		s = s[i+1:]
		j := strings.IndexAny(s, "=;:")
		if j < 0 {
			return l, false
		}
		pname := strings.ToUpper(s[:j])
		if s[j] != '=' {
			i = j
			continue
		}
		s = s[j+1:]
		var v string
		if strings.HasPrefix(s, `"`) {
			k := strings.IndexByte(s[1:], '"')
			if k < 0 {
				return l, false
			}
			v, s = s[1:k+1], s[k+2:]
			i = strings.IndexAny(s, ";:")
			if i != 0 {
				return l, false
			}
		} else {
			i = strings.IndexAny(s, ";:")
			if i < 0 {
				return l, false
			}
			v = s[:i]
		}
		if _, dup := l.params[pname]; !dup {
			l.params[pname] = v
		}
	}
	l.value = s[i+1:]
	return l, true
}

// unescapeText decodes an iCalendar TEXT value (\n, \N, \, \; \\).
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// realComponents are the component kinds libical's
// icalcomponent_get_first_real_component looks for.
var realComponents = map[string]bool{
	"VEVENT": true, "VTODO": true, "VJOURNAL": true, "VFREEBUSY": true,
	"VAVAILABILITY": true, "VPOLL": true, "VQUERY": true, "VAGENDA": true,
}

// icalComponent is the properties of one top-level component.
type icalComponent struct {
	kind  string
	props []icalLine
}

// icalComponents returns the direct children of the object's
// VCALENDAR, with their own properties (nested components skipped).
func icalComponents(lines []icalLine) []icalComponent {
	var out []icalComponent
	depth := 0
	for _, l := range lines {
		switch l.name {
		case "BEGIN":
			depth++
			if depth == 2 {
				out = append(out, icalComponent{kind: strings.ToUpper(l.value)})
			}
		case "END":
			depth--
		default:
			if depth == 2 {
				c := &out[len(out)-1]
				c.props = append(c.props, l)
			}
		}
	}
	return out
}

func (c *icalComponent) first(name string) (icalLine, bool) {
	for _, p := range c.props {
		if p.name == name {
			return p, true
		}
	}
	return icalLine{}, false
}

// calAddress is an ORGANIZER or ATTENDEE as Cyrus indexes it:
// "CN" <address>, without a mailto: prefix.
func calAddress(p icalLine) string {
	s := p.value
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	if cn, ok := p.params["CN"]; ok {
		return `"` + cn + `" <` + s + `>`
	}
	return s
}

// calendar indexes a text/calendar part as Cyrus does through libical:
// for each component of the kind of the first real one, DESCRIPTION as a
// body, SUMMARY as subject, ORGANIZER as from, the ATTENDEEs as to and
// LOCATION in a document of no class of its own.
//
// cyrus: imap/index.c extract_icalbuf (3.6.1)
func (x *extractor) calendar(text []byte) {
	comps := icalComponents(contentLines(cstr(text)))
	kind := ""
	for _, c := range comps {
		if realComponents[c.kind] {
			kind = c.kind
			break
		}
	}
	for _, c := range comps {
		if kind == "" || c.kind != kind {
			continue
		}
		if p, ok := c.first("DESCRIPTION"); ok {
			x.r.begin('m')
			x.r.append(x.utf8Search([]byte(unescapeText(p.value))))
			x.r.end()
		}
		if p, ok := c.first("SUMMARY"); ok {
			x.r.stuff('s', []byte(unescapeText(p.value)))
		}
		if p, ok := c.first("ORGANIZER"); ok {
			x.r.stuff('f', []byte(calAddress(p)))
		}
		var to []string
		for _, p := range c.props {
			if p.name == "ATTENDEE" {
				to = append(to, calAddress(p))
			}
		}
		x.r.stuff('t', []byte(strings.Join(to, ", ")))
		if p, ok := c.first("LOCATION"); ok {
			x.r.stuff(0, []byte(unescapeText(p.value)))
		}
	}
}
