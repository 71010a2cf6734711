package cache

import (
	"strings"
	"time"
)

// dateScanner walks a Date: value the way Cyrus's RFC 5322 date parser
// does: reading one byte past the end yields a NUL, two bytes past is
// "end of buffer".
type dateScanner struct {
	s   string
	off int
}

const eob = -1

func (d *dateScanner) cur() int {
	if d.off < len(d.s) {
		return int(d.s[d.off])
	}
	return eob
}

func (d *dateScanner) next() int {
	if d.off < len(d.s) {
		d.off++
		if d.off < len(d.s) {
			return int(d.s[d.off])
		}
		return 0
	}
	return eob
}

func dateSpace(c int) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func dateSep(c int) bool { return c == ' ' || c == ',' || c == '-' || c == '+' || c == ':' }

func dateAlnum(c int) bool { return c >= 0 && c < 0x80 && isalnum(byte(c)) }

func (d *dateScanner) skipWS() {
	for c := d.cur(); c != eob && dateSpace(c); c = d.next() {
	}
}

// token reads letters and digits (at most 32); ok is false at the end of
// the buffer.
func (d *dateScanner) token() (string, bool) {
	c := d.cur()
	if c == eob {
		return "", false
	}
	var t []byte
	for !dateSpace(c) && !dateSep(c) && dateAlnum(c) && len(t) < 32 {
		t = append(t, byte(c))
		if c = d.next(); c == eob {
			return string(t), false
		}
	}
	return string(t), true
}

// atoi is Cyrus's to_int: digits only, else -9999; C int arithmetic.
func atoi(s string) int32 {
	var n int32
	for i := 0; i < len(s); i++ {
		if !isdigit(s[i]) {
			return -9999
		}
		n = n*10 + int32(s[i]-'0')
	}
	return n
}

var months = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
var wdays = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// tzOffset is Cyrus's compute_tzoffset, in minutes east of UTC.
func tzOffset(s string, sign int) int {
	up := func(c byte) byte {
		if c >= 'a' && c <= 'z' {
			return c - 32
		}
		return c
	}
	switch len(s) {
	case 1:
		c := up(s[0])
		switch {
		case c < 'J':
			return (int(s[0]) - 'A' + 1) * 60
		case c == 'J':
			return 0
		case c <= 'M':
			return (int(s[0]) - 'A') * 60
		case c < 'Z':
			return ('M' - int(s[0])) * 60
		}
		return 0
	case 2:
		if up(s[0]) == 'U' && up(s[1]) == 'T' {
			return 0
		}
	case 3:
		if up(s[2]) != 'T' {
			return 0
		}
		i := strings.IndexByte("AECMPYHB", up(s[0]))
		if i < 0 {
			return 0
		}
		off := (len("AECMPYHB") - i - 12) * 60
		switch up(s[1]) {
		case 'D':
			return off + 60
		case 'S':
			return off
		}
	case 4:
		for i := 0; i < 4; i++ {
			if !isdigit(s[i]) {
				return 0
			}
		}
		off := (int(s[0]-'0')*10+int(s[1]-'0'))*60 + int(s[2]-'0')*10 + int(s[3]-'0')
		if sign == '+' {
			return off
		}
		return -off
	}
	return 0
}

// parseDate parses a Date: value as Cyrus 3.6.1 does. With dateOnly it
// returns the day at 00:00 in the local time zone (sentdate), else the
// full time in UTC (gmtime). ok is false where Cyrus stores 0.
//
// cyrus: lib/times.c time_from_rfc5322, tokenise_str_and_create_tm (3.6.1)
func parseDate(s *string, dateOnly bool) (int64, bool) {
	if s == nil {
		return 0, false
	}
	d := &dateScanner{s: *s}
	if i := strings.IndexByte(d.s, 0); i >= 0 {
		d.s = d.s[:i]
	}
	d.skipWS()
	c := d.cur()
	if c == eob {
		return 0, false
	}
	if c < 0x80 && isalpha(byte(c)) {
		t, ok := d.token()
		if !ok || len(t) != 3 {
			return 0, false
		}
		_ = wdays // the weekday is not checked
		if d.cur() != ',' {
			return 0, false
		}
		d.next()
		d.skipWS()
	}
	t, ok := d.token()
	if !ok || len(t) < 1 || len(t) > 2 || !isdigit(t[0]) {
		return 0, false
	}
	mday := atoi(t)
	if mday == -9999 {
		return 0, false
	}
	if dateSpace(d.next()) {
		d.skipWS()
	}
	t, ok = d.token()
	if !ok || len(t) != 3 || !isalpha(t[0]) {
		return 0, false
	}
	mon := -1
	for i, m := range months {
		if strings.EqualFold(m, t) {
			mon = i
			break
		}
	}
	if mon < 0 {
		return 0, false
	}
	if dateSpace(d.next()) {
		d.skipWS()
	}
	t, ok = d.token()
	if !ok {
		return 0, false
	}
	year := atoi(t)
	if year == -9999 {
		return 0, false
	}
	if len(t) == 2 {
		if year < 70 {
			year += 100
		}
	} else {
		if year < 1900 {
			return 0, false
		}
		year -= 1900
	}
	if dateOnly {
		tm := time.Date(int(year)+1900, time.Month(mon+1), int(mday), 0, 0, 0, 0, time.Local)
		if tm.Unix() < 0 {
			return 0, false
		}
		return tm.Unix(), true
	}
	d.skipWS()
	num := func() (int32, bool) {
		t, ok := d.token()
		if !ok || len(t) < 1 || len(t) > 2 || !isdigit(t[0]) {
			return 0, false
		}
		n := atoi(t)
		return n, n != -9999
	}
	hour, ok := num()
	if !ok {
		return 0, false
	}
	if c := d.cur(); c != ':' && c != '.' {
		return 0, false
	}
	d.next()
	min, ok := num()
	if !ok {
		return 0, false
	}
	var sec int32
	if c := d.cur(); c == ':' || c == '.' {
		d.next()
		if sec, ok = num(); !ok {
			return 0, false
		}
	}
	d.skipWS()
	sign := d.cur()
	if sign == '+' || sign == '-' {
		d.next()
	}
	off := 0
	if t, ok := d.token(); ok {
		off = tzOffset(t, sign)
	}
	tm := time.Date(int(year)+1900, time.Month(mon+1), int(mday), int(hour), int(min), int(sec), 0, time.UTC)
	if tm.Unix() < 0 {
		return 0, false
	}
	return tm.Unix() - int64(off)*60, true
}
