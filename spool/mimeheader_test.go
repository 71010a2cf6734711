package spool

import (
	"strings"
	"testing"
)

// Vectors worked out from lib/charset.c (3.6.1); the integration test
// checks names against the Subject real Cyrus writes.
func TestEncodeMimeHeader(t *testing.T) {
	words := strings.Repeat("word ", 19) + "word"
	for _, tc := range []struct{ in, want string }{
		{"keepit", "keepit"},
		{"<sv@master.cyrepl.test>", "<sv@master.cyrepl.test>"},
		{"me@example.com", "me@example.com"},
		{"a b?_=", "a b?_="},
		{"n\xc3\xa4me", "=?UTF-8?Q?n=C3=A4me?="},
		{"tab\there", "tab\there"},
		{"bell\x07", "=?UTF-8?Q?bell=07?="},
		{"sp ace\xc3\xa4?_", "=?UTF-8?Q?sp_ace=C3=A4=3F=5F?="},
		{strings.Repeat("x", 80), "=?UTF-8?Q?" + strings.Repeat("x", 62) + "?=\r\n =?UTF-8?Q?" + strings.Repeat("x", 18) + "?="},
		{words, words[:74] + "\r\n" + words[74:]},
		{"Bob M\xc3\xbcller <bob@example.com>", "=?UTF-8?Q?Bob_M=C3=BCller?= <bob@example.com>"},
		// no ',' between an address and what follows: not an address
		{"<bob@example.com> tr\xc3\xa4iling", "=?UTF-8?Q?<bob@example.com>_tr=C3=A4iling?="},
		// a phrase after the last address is never encoded
		{"<bob@example.com>, tr\xc3\xa4iling", "<bob@example.com>, tr\xc3\xa4iling"},
	} {
		if got := encodeMimeHeader(tc.in); got != tc.want {
			t.Errorf("encodeMimeHeader(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestFindAddr(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" for none
	}{
		{"<a@b>", "<a@b>"},
		{"Name <a@b.c>, x", " <a@b.c>, "},
		{"a@b", "a@b"},
		{"@b", ""},
		{"a@", ""},
		{"a.@b", ""},
		{"a@b.", ""},
		{"a@[1.2.3.4]", "a@[1.2.3.4]"},
		{"\"q u\"@b", "\"q u\"@b"},
		{"x:a@b", ""},
		{"a@b c", ""},
	} {
		s, l, ok := findAddr(tc.in)
		got := ""
		if ok {
			got = tc.in[s : s+l]
		}
		if got != tc.want {
			t.Errorf("findAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
