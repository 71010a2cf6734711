package searchtext

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

func form(opt Options, s string) string {
	k := &canon{opt: opt}
	for _, r := range s {
		k.put(r)
	}
	return string(k.out)
}

// TestFold checks translations that follow from UnicodeData.txt and
// unifix.txt as mkchartable.pl reads them.
func TestFold(t *testing.T) {
	def := DefaultOptions()
	keep := Options{Whitespace: WhitespaceKeep}
	for _, c := range []struct {
		opt     Options
		in, out string
	}{
		{def, "abc XYZ", "ABC XYZ"}, // titlecase mapping
		{def, "é", "E"},             // 00E9 → 0045 0301, diacritic dropped
		{keep, "é", "E\u0301"},      // kept without search_skipdiacrit
		{def, "ß", "ss"},            // unifix.txt: 0073 0073, no titlecase
		{def, "æ", "Æ"},             // titlecase 00C6 wins over unifix's "ae"
		{def, "a\u00a0\tb", "A B"},  // Zs and unifix's tab: one space when merged
		{keep, "a\r\n\tb", "A   B"}, // each a space when kept
		{Options{Whitespace: WhitespaceSkip}, "a b\r\nc", "ABC"},
		{def, "x\x00y", "XY"},             // NUL has no output
		{def, "…", "..."},                 // 2026 → 002E 002E 002E
		{def, "ﬁ", "fi"},                  // compat decomposition, no titlecase
		{def, "\ufffd", "\ufffd"},         // passes
		{def, "日本", "日本"},                 // outside the table's blocks
		{def, "\U0010ffff", "\U0010ffff"}, // valid, untranslated
	} {
		if got := form(c.opt, c.in); got != c.out {
			t.Errorf("%+v %q: got %q, want %q", c.opt, c.in, got, c.out)
		}
	}
}

// TestFoldWhitespaceBlocks: characters in blocks without a translation
// table do not end a run of blanks, so a later blank is merged into it.
func TestFoldWhitespaceBlocks(t *testing.T) {
	if got := form(DefaultOptions(), "한국어 텍스트 검색 시험\r\n"); got != "한국어 텍스트검색 시험" {
		t.Errorf("got %q", got)
	}
	if got := form(DefaultOptions(), "a 日 b"); got != "A 日B" {
		t.Errorf("got %q", got)
	}
}

func TestReceiver(t *testing.T) {
	r := &receiver{uid: 3}
	r.append([]byte("orphan"))  // before any known class: the empty name
	r.stuff('f', []byte("abc")) // too short: dropped
	r.stuff('s', []byte("subject"))
	r.stuff(0, []byte("TEXT/PLAIN")) // unknown class: named after 's'
	r.begin('m')
	r.append([]byte("ab"))
	r.append([]byte("cd")) // reaches 4 bytes: the document opens with "ab"
	r.end()
	r.uid = 0x80000000
	r.stuff('m', []byte("high uid"))
	want := []Doc{{"", []byte("orphan")}, {"s3", []byte("subject")}, {"s3", []byte("TEXT/PLAIN")}, {"m3", []byte("abcd")}, {"m-2147483648", []byte("high uid")}}
	if len(r.docs) != len(want) {
		t.Fatalf("got %d documents %q", len(r.docs), r.docs)
	}
	for i, d := range r.docs {
		if d.Name != want[i].Name || string(d.Text) != string(want[i].Text) {
			t.Errorf("doc %d: got %s %q, want %s %q", i, d.Name, d.Text, want[i].Name, want[i].Text)
		}
	}
}

// Cyrus 3.10's receiver drops text while no class names a document:
// before the first, for an unknown class, after a part's end.
func TestReceiverDropClassless(t *testing.T) {
	r := &receiver{uid: 3, dropClassless: true}
	r.append([]byte("orphan"))
	r.stuff('s', []byte("subject"))
	r.stuff(0, []byte("TEXT/PLAIN"))
	r.append([]byte("after the end"))
	r.stuff('m', []byte("body"))
	want := []Doc{{"s3", []byte("subject")}, {"m3", []byte("body")}}
	if len(r.docs) != len(want) {
		t.Fatalf("got %d documents %q", len(r.docs), r.docs)
	}
	for i, d := range r.docs {
		if d.Name != want[i].Name || string(d.Text) != string(want[i].Text) {
			t.Errorf("doc %d: got %s %q, want %s %q", i, d.Name, d.Text, want[i].Name, want[i].Text)
		}
	}
}

func TestStripHTML(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"<p>a</p>b", " a b"},
		{"x<b>bold</b>y", "xboldy"},                 // phrasing tags join
		{"a<script>if (a<b) x();</script>b", "abb"}, // script dropped, but a '<' in it lets the next character through
		{"a<style>p{}</style>b", "ab"},
		{"a<!-- c -- d -->b", "ab"},
		{"a<!DOCTYPE html>b", "ab"},
		{"&amp;&lt;&eacute;&#233;&#x41;&#128;", "&<ééA€"},
		{"&unknown;x", "\ufffdx"},
		{"& x &# y", "& x &# y"},
		{"&#0;&#1;a", "\ufffda"}, // NUL: U+FFFD; control: dropped
		{"a < b", "a < b"},
		{"a<br/>b", "a b"},
	} {
		var out []rune
		s := newStripHTML(func(r rune) { out = append(out, r) })
		for _, r := range c.in {
			s.put(r)
		}
		if got := string(out); got != c.out {
			t.Errorf("%q: got %q, want %q", c.in, got, c.out)
		}
	}
}

// TestStripHTML310 pins Cyrus 3.10's stripper on constructs whose SQUAT
// words integration's TestSearchText checks against 3.10.2 (html-links,
// plain-angle-uri); 3.6's is given for contrast.
func TestStripHTML310(t *testing.T) {
	for _, c := range []struct {
		in, v36, v310 string
		angle         bool
	}{
		{`a <a href="u">t</a> b`, "a t b", "a t <u> b", false},
		{`x<img src="p.png" alt="Alt"/>y`, "x y", "x<p.png> (Alt)y", false},
		{`x<img src='p' alt='A'>y</p>`, "x y ", "xy <p> (A) ", false}, // kept until an end tag
		{`<a download href="h">d</a>`, "d", "d", false},
		{`<a href=h>u</a>`, "u", "u", false},
		{`<a href="h>c</a>`, "c", "c", false},
		{`<img alt="only"></b>`, " ", "", false},
		{`<o:p>w</o:p><h1>x</h1>`, "p>wp>>x>", " w  x ", false},
		{`<https://e/p> <b>b</b>`, "//e/p> b", "<https://e/p> b", true},
		{`<https://e/p>`, "//e/p>", " ", false},
		{`<http:// s> <ftp://>`, "// s> //>", "   ", true},
	} {
		for _, v310 := range []bool{false, true} {
			var out []rune
			put := func(r rune) { out = append(out, r) }
			s := newStripHTML(put)
			want := c.v36
			if v310 {
				s, want = newStripHTML310(put, c.angle), c.v310
			}
			for _, r := range c.in {
				s.put(r)
			}
			if got := string(out); got != want {
				t.Errorf("%q (3.10 %v): got %q, want %q", c.in, v310, got, want)
			}
		}
	}
}

func TestDocuments(t *testing.T) {
	msg := "From: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: =?ISO-8859-1?Q?Gr=FC=DFe?=\r\nList-Id: <l.example.org>\r\n" +
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n<i>plain</i> text\r\n" +
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Caf\xc3\xa9</p>\r\n--b--\r\n"
	docs, exact, err := Extract(9, []byte(msg), DefaultOptions())
	if err != nil || !exact {
		t.Fatalf("exact %v, err %v", exact, err)
	}
	want := []Doc{
		{"f9", []byte("ANN <ANN@EXAMPLE.ORG>")},
		{"t9", []byte("<BOB@EXAMPLE.ORG>")},
		{"s9", []byte("GRUssE")},
		{"s9", []byte(" <L.EXAMPLE.ORG>")},
		{"s9", []byte("TEXT/PLAIN")},
		{"s9", []byte("TEXT/HTML")},
		{"h9", nil},                  // checked below
		{"m9", []byte("PLAIN TEXT")}, // HTML stripped beside an HTML part; the CRLF belongs to the boundary
		{"m9", []byte(" CAFE ")},
	}
	if len(docs) != len(want) {
		t.Fatalf("got %d documents: %q", len(docs), docs)
	}
	for i, d := range docs {
		if d.Name != want[i].Name || want[i].Text != nil && string(d.Text) != string(want[i].Text) {
			t.Errorf("doc %d: got %s %q, want %s %q", i, d.Name, d.Text, want[i].Name, want[i].Text)
		}
	}
	if h := string(docs[6].Text); !strings.HasPrefix(h, "FROM: ANN <ANN@EXAMPLE.ORG> TO: BOB@EXAMPLE.ORG SUBJECT: GRUssE LIST-ID") {
		t.Errorf("h9: %q", h)
	}
	if _, err := Documents(1, nil, DefaultOptions()); err == nil {
		t.Error("empty message: no error")
	}
}

func TestOptionsFrom(t *testing.T) {
	load := func(lines string) Options {
		dir := t.TempDir()
		path := filepath.Join(dir, "imapd.conf")
		if err := os.WriteFile(path, []byte("configdirectory: "+dir+"\n"+lines), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := conf.Load(path, "squatter", 0)
		if err != nil {
			t.Fatal(err)
		}
		return OptionsFrom(c)
	}
	got := load("search_skipdiacrit: no\nsearch_whitespace: skip\nsearch_skiphtml: yes\nrfc2047_utf8: yes\nsearch_index_headers: no\n")
	if want := (Options{Whitespace: WhitespaceSkip, SkipHTML: true, MimeUTF8: true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := load("search_whitespace: keep\n"); got != (Options{SkipDiacrit: true, Whitespace: WhitespaceKeep, IndexHeaders: true}) {
		t.Errorf("keep: got %+v", got)
	}
	if d := load(""); d != DefaultOptions() {
		t.Errorf("defaults: got %+v, want %+v", d, DefaultOptions())
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "imapd.conf")
	os.WriteFile(path, []byte("configdirectory: "+dir+"\n"), 0o644)
	c, err := conf.LoadVersion(path, "squatter", 0, conf.V3_10)
	if err != nil {
		t.Fatal(err)
	}
	if o := OptionsFrom(c); !o.DropClassless {
		t.Errorf("3.10: got %+v", o)
	}
}

func TestUTF7(t *testing.T) {
	for in, want := range map[string]string{
		"Hi Mom -+Jjo--!": "Hi Mom -☺-!",
		"A+ImIDkQ.":       "A≢Α.",
		"+ZeVnLIqe-":      "日本語",
		"1 +- 1":          "1 + 1",
		"+2D3cAQ-":        "\U0001f401", // D83D DC01
		"+AGEAYgBj plain": "abc plain",
	} {
		var out []rune
		d := &utf7Decoder{emit: func(r rune) { out = append(out, r) }}
		for i := 0; i < len(in); i++ {
			d.Put(in[i])
		}
		d.Flush()
		if string(out) != want {
			t.Errorf("%q: got %q, want %q", in, string(out), want)
		}
	}
}

func TestCalendarAndVCard(t *testing.T) {
	cal := "Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nSUMMARY:a\\, b\r\nEND:VTODO\r\nBEGIN:VEVENT\r\nSUMMARY:not indexed\r\nEND:VEVENT\r\n" +
		"BEGIN:VTODO\r\nDESCRIPTION:de\r\n scribed\\nhere\r\nORGANIZER;CN=\"O, P\":MAILTO:o@x\r\nATTENDEE:mailto:a@x\r\nATTENDEE;CN=B:b@x\r\nLOCATION:Hall 9\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
	docs, exact, err := Extract(2, []byte(cal), DefaultOptions())
	if err != nil || exact {
		t.Fatalf("exact %v, err %v", exact, err)
	}
	var got []string
	for _, d := range docs {
		got = append(got, d.Name+"="+string(d.Text))
	}
	want := "h2=CONTENT-TYPE: TEXT/CALENDAR |s2=a, b|m2=DESCRIBED HERE|f2=\"O, P\" <o@x>|t2=a@x, \"B\" <b@x>|t2=Hall 9"
	if strings.Join(got, "|") != "=TEXT/CALENDAR|"+want { // no known class yet: nameless
		t.Errorf("got %q", strings.Join(got, "|"))
	}
	if v := vcardValues(`a\;b;c\nd\\;`, ';'); strings.Join(v, "|") != "a;b|c\nd\\|" {
		t.Errorf("vcardValues: %q", v)
	}
}

func TestWantsAttachExtract(t *testing.T) {
	for msg, want := range map[string]bool{
		"Content-Type: text/plain\r\n\r\nhi\r\n":                   false,
		"Content-Type: application/pdf\r\n\r\n%PDF\r\n":            true,
		"Content-Type: application/pgp-signature\r\n\r\nx\r\n":     false,
		"Content-Type: text/rtf\r\n\r\n{\\rtf}\r\n":                true,
		"Content-Type: application/ics\r\n\r\nBEGIN:VCALENDAR\r\n": false,
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\ny\r\n--b--\r\n": true,
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: application/zip\r\n\r\nz\r\n--b--\r\n":                  true,
	} {
		got, err := WantsAttachExtract([]byte("From: a@b\r\n" + msg))
		if err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", msg, got, err, want)
		}
	}
}
