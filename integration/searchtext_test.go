package integration

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/searchtext"
	"github.com/cyrus-replication/cyrus-replication/spool/squat"
)

// enc encodes s in e (the test's own bytes for a charset; Cyrus decodes
// them with ICU, we with golang.org/x/text).
func enc(t *testing.T, e encoding.Encoding, s string) string {
	b, err := e.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

// searchTextCorpus is the differential corpus; "\n" becomes CRLF.
func searchTextCorpus(t *testing.T) []struct{ name, msg string } {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	part := func(cs, cte, body string) string {
		return "From: Sender <sender@example.org>\nTo: rcpt@example.org\nSubject: " + cs + " body\nMIME-Version: 1.0\nContent-Type: text/plain; charset=" + cs + "\nContent-Transfer-Encoding: " + cte + "\n\n" + body + "\n"
	}
	ja := "日本語のテキスト、カタカナとひらがな。漢字検索"
	ko := "한국어 텍스트 검색 시험"
	zhs := "简体中文文本搜索测试"
	zht := "繁體中文文本搜尋測試"
	return []struct{ name, msg string }{
		{"ascii", "From: Ann Example <ann@example.org>\nTo: Bob <bob@example.org>, carol@example.org\nCc: Dave <dave@example.org>\nBcc: eve@example.org\nSubject: Plain ASCII subject line\nDate: Mon, 7 Dec 2026 10:00:00 +0000\nMessage-ID: <ascii@example.org>\n\nHello world.\tTabs\tand  double  spaces.\nSecond line, MiXeD CaSe.\n"},
		{"latin1", part("iso-8859-1", "quoted-printable", "Gr=FC=DFe aus K=F6ln, d=E9j=E0 vu, =C5ngstr=F6m =A9 =BD")},
		{"windows-1252", part("windows-1252", "8bit", "Euro \x80 quotes \x93smart\x94 dash \x96 ellipsis\x85 \xe9t\xe9")},
		{"utf8-accents", part("utf-8", "8bit", "Café Straße Ångström naïve façade Øre Œuvre ﬁne ½ ① Ⅻ")},
		{"utf8-base64", part("utf-8", "base64", b64("Base64 encoded UTF-8: élève, Übermaß, ÅÄÖ\r\n"))},
		{"html", "From: h@example.org\nSubject: html\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p {color:red}</style><script>var x = 1 < 2;</script></head><body><p>Para&nbsp;one &amp; <b>bold</b>text &eacute;t&#233; &#x41;&#66; &unknown; a<br/>b<!-- comment --> end</p><div>div</div></body></html>\n"},
		{"alternative", "From: a@example.org\nSubject: alternative\nContent-Type: multipart/alternative; boundary=alt\n\n--alt\nContent-Type: text/plain; charset=us-ascii\n\nplain <b>version</b> &amp; more\n--alt\nContent-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n<p>caf=E9 <i>html</i> version</p>\n--alt--\n"},
		{"attachments", "From: a@example.org\nTo: b@example.org\nSubject: attachments\nContent-Type: multipart/mixed; boundary=\"XyZ\"\n\npreamble\n--XyZ\nContent-Type: text/plain; charset=utf-8\n\nSee the attachments.\n--XyZ\nContent-Type: text/plain; name=\"notes.txt\"\nContent-Disposition: attachment; filename=\"notes.txt\"\n\nattached text file contents\n--XyZ\nContent-Type: application/octet-stream; name=\"blob.bin\"\nContent-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.bin\nContent-Transfer-Encoding: base64\n\n" + b64("\x00\x01\x02binary\xff\xfe") + "\n--XyZ--\nepilogue\n"},
		{"rfc2047", "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\nTo: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>\nSubject: =?UTF-8?B?Q2Fmw6kgbXVsdGlwYXJ0?= =?UTF-8?Q?_and_more?= plain =?iso-8859-15?q?=A4uro?=\n\nbody text\n"},
		{"rfc2231-filename", "From: a@example.org\nSubject: 2231\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Disposition: attachment; filename*0*=UTF-8''na%C3%AFve; filename*1=\" file.txt\"\n\nnaive file body\n--b--\n"},
		{"list-headers", "From: l@example.org\nSubject: list\nList-Id: Example List <list.example.org>\nMailing-List: contact list@example.org\nX-Delivered-To: someone@example.org\nX-Priority: 1\n\nlist body\n"},
		{"long-lines", "From: a@example.org\nSubject: " + strings.Repeat("long subject ", 120) + "\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n" + strings.Repeat("a", 3000) + "=\n" + strings.Repeat("b ", 700) + "\n" + strings.Repeat("word ", 2000) + "\n"},
		{"empty-body", "From: a@example.org\nSubject: empty body\n\n"},
		{"nested-rfc822", "From: a@example.org\nSubject: fwd\nContent-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: text/plain\n\nsee attached\n--outer\nContent-Type: message/rfc822; name=\"fwd.eml\"\nContent-Disposition: attachment; filename=\"=?utf-8?q?W=C3=BCrze?=.eml\"\n\nFrom: Inner <inner@example.com>\nTo: x@example.com\nSubject: inner subject\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\nContent-Type: text/plain; charset=us-ascii\n\ninner <em>text</em>\n--inner\nContent-Type: text/html\n\n<b>inner</b> html\n--inner--\n--outer--\n"},
		{"pgp", "From: a@example.org\nSubject: pgp\nContent-Type: multipart/mixed; boundary=p\n\n--p\nContent-Type: text/plain\n\n-----BEGIN PGP MESSAGE-----\nhQEMA0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij\n-----END PGP MESSAGE-----\n--p\nContent-Type: application/pgp-signature\n\nsig\n--p\nContent-Type: text/rtf\n\n{\\rtf1 rich}\n--p\nContent-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nunknown encoding\n--p--\n"},
		{"calendar", "From: a@example.org\nSubject: invitation\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\n\nBEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\nUID:1@example.org\nDTSTAMP:20261207T100000Z\nDTSTART:20261208T100000Z\nSUMMARY:Team meeting\nDESCRIPTION:Discuss the agenda\nORGANIZER;CN=Ann:mailto:ann@example.org\nATTENDEE;CN=Bob:mailto:bob@example.org\nLOCATION:Room 1\nEND:VEVENT\nEND:VCALENDAR\n"},
		{"vcard", "From: a@example.org\nSubject: card\nContent-Type: text/vcard; charset=utf-8\n\nBEGIN:VCARD\nVERSION:3.0\nFN:Jöns Jacob\nN:Jacob;Jöns;;Dr.;\nORG:Example\\, Inc.;R&D\nEMAIL;TYPE=work:jj@example.org\nitem1.TEL:+1 555 0100\nADR;TYPE=home:;;1 Main St;Springfield;;12345;US\nNOTE:Long note\\nsecond line\n  folded\nEND:VCARD\n"},
		{"calendar-2", "From: a@example.org\nSubject: two events\nContent-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: text/plain\n\nsee invite\n--c\nContent-Type: text/calendar; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nBEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:2@example.org\nSUMMARY:Caf=E9 planning\\, round 2\nDESCRIPTION:Line one\\nLine two\\; with a long \n folded continuation\nORGANIZER:MAILTO:org@example.org\nATTENDEE;CN=\"Doe, Jane\";ROLE=REQ-PARTICIPANT:mailto:jane@example.org\nATTENDEE:mailto:joe@example.org\nEND:VEVENT\nBEGIN:VEVENT\nUID:3@example.org\nSUMMARY:Second\nLOCATION:Hall\nEND:VEVENT\nEND:VCALENDAR\n--c--\n"},
		{"tiny", "From: a@b\nSubject: ab\n\nxyz\n"},
		// No From/To/Cc/Bcc/Subject: Cyrus names the first document "".
		{"no-address-headers", "X-Note: nothing a receiver sorts by name\nMessage-ID: <nameless@example.org>\n\nbody of a nameless message\n"},
		{"eightbit-headers", "From: J\xc3\xb6rg <j@example.org>\nSubject: Caf\xc3\xa9 8bit \xff here\nTo: \"\xe9t\xe9\" <e@example.org>\nX-Note: Stra\xc3\x9fe\n\nbody\n"},
		{"iso-2022-jp", part("iso-2022-jp", "7bit", enc(t, japanese.ISO2022JP, ja))},
		{"iso-2022-jp-subject", "From: a@example.org\nSubject: =?ISO-2022-JP?B?" + b64(enc(t, japanese.ISO2022JP, "テスト件名")) + "?=\n\nx\n"},
		{"shift_jis", part("shift_jis", "8bit", enc(t, japanese.ShiftJIS, ja))},
		{"euc-jp", part("euc-jp", "8bit", enc(t, japanese.EUCJP, ja))},
		{"euc-kr", part("euc-kr", "8bit", enc(t, korean.EUCKR, ko))},
		{"gb2312", part("gb2312", "8bit", enc(t, simplifiedchinese.GBK, zhs))},
		{"gbk", part("gbk", "base64", b64(enc(t, simplifiedchinese.GBK, zhs)))},
		{"big5", part("big5", "8bit", enc(t, traditionalchinese.Big5, zht))},
		{"utf-16", part("utf-16", "base64", b64(enc(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), "UTF-16 text: Grüße "+ja)))},
		{"koi8-r", part("koi8-r", "8bit", "\xf0\xd2\xc9\xd7\xc5\xd4 \xed\xc9\xd2")},
		{"iso-8859-2", part("iso-8859-2", "quoted-printable", "=A3=F3d=BC =B1=E6=EA")},
		{"windows-1251", part("windows-1251", "8bit", "\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0")},
		{"gb18030", part("gb18030", "base64", b64(enc(t, simplifiedchinese.GB18030, zhs)))},
		{"utf-7", part("utf-7", "7bit", "Hi Mom -+Jjo--! A+ImIDkQ. +ZeVnLIqe-")},
		{"utf-16le", part("utf-16le", "base64", b64(enc(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "UTF-16LE text: Grüße")))},
		// Cyrus 3.10 keeps link targets and image alt text (3.6 drops
		// them), reads tag names with digits, ':', '-', '_', and takes img
		// and area as phrasing.
		{"html-links", "From: l@example.org\nSubject: links\nContent-Type: text/html; charset=utf-8\n\n<p>Visit <a class=\"x\" href=\"https://Example.COM/linkpath?q=1&amp;r=2\">the site</a> now</p><p>Logo<img src=\"cid:logo123@example\" alt=\"Company Logo\"/>after<img src='pic.png' alt='second picture'>text</p><a download href=\"lost.example\">dl</a> <a href=unquoted.example>uq</a> <a href=\"cut.example>cut</a><area href=\"map.example\"><img alt=\"alt only\"></span><o:p>outlook</o:p><h1>Head</h1><my-tag>dash</my-tag> &lt;tag&gt; end</p>\n"},
		// A text/plain part beside an HTML part is stripped as HTML; 3.10
		// keeps its angle-bracketed URIs.
		{"plain-angle-uri", "From: u@example.org\nSubject: uris\nContent-Type: multipart/alternative; boundary=au\n\n--au\nContent-Type: text/plain; charset=us-ascii\n\nSee <https://example.org/plainpath> and <mailto:someone@example.org> or <a+b.c-d://x> or <x_y://z> and <http:// spaced> and <ftp://> and <b>bold</b> <news:/ok> done\n--au\nContent-Type: text/html\n\n<p>html <a href=\"https://example.org/twin\">twin</a></p>\n--au--\n"},
		// A part for an attachment extractor: Cyrus 3.10 indexes the
		// message in a second pass (none is configured: only its text).
		{"attachment", "From: r@example.org\nSubject: report attached\nContent-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nplease find the quarterly report\n--m\nContent-Type: application/pdf; name=report.pdf\nContent-Disposition: attachment; filename=report.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--m--\n"},
	}
}

// appendCorpus appends msgs (LF line ends, made CRLF) to user's mailbox
// over IMAP, in order.
func appendCorpus(t *testing.T, in *Instance, user, mailbox string, msgs []struct{ name, msg string }) {
	t.Helper()
	c := in.IMAP(t, user, UserPassword)
	defer c.Close()
	for _, m := range msgs {
		msg := strings.ReplaceAll(m.msg, "\n", "\r\n")
		cmd := c.Append(mailbox, int64(len(msg)), nil)
		if _, err := cmd.Write([]byte(msg)); err != nil {
			t.Fatalf("APPEND %s: %v", m.name, err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatalf("APPEND %s: %v", m.name, err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("APPEND %s: %v", m.name, err)
		}
	}
}

// gramSet is a document as SQUAT keeps it: its length and its 4-byte words.
type gramSet struct {
	name  string
	len   int64
	words map[squat.Word]bool
}

func textGrams(name string, text []byte) gramSet {
	g := gramSet{name: name, len: int64(len(text)), words: map[squat.Word]bool{}}
	for i := 0; i+squat.WordSize <= len(text); i++ {
		g.words[squat.Word(text[i:i+squat.WordSize])] = true
	}
	return g
}

// searchTextConfs are the imapd.conf settings the corpus is indexed
// under, one squatter run each.
var searchTextConfs = [][]string{
	nil, // Cyrus's defaults: skipdiacrit, whitespace merge, headers indexed
	{"search_skipdiacrit: no", "search_whitespace: keep"},
	{"search_whitespace: skip", "search_skiphtml: yes", "search_index_headers: no"},
	{"rfc2047_utf8: yes"},
}

// TestSearchText compares, document by document, the text Documents
// derives with what Cyrus's squatter indexes for the same messages: the
// doc list (names, lengths) and every document's set of 4-byte words,
// under each of searchTextConfs.
func TestSearchText(t *testing.T) {
	RequireCyrus(t)
	base := []string{"search_engine: squat", "munge8bit: no"}
	in := NewInstance(t, TempDir(t), "master", base...)
	in.Start(t)
	in.CreateUser(t, "fred")
	corpus := searchTextCorpus(t)
	appendCorpus(t, in, "fred", "INBOX", corpus)
	sp := openSpool(t, in)
	e, err := sp.LookupName("user.fred")
	if err != nil {
		t.Fatal(err)
	}
	qpath, _ := sp.MetaPath(e, spool.MetaSquat)

	for _, extra := range searchTextConfs {
		in.Extra = append(append([]string(nil), base...), extra...)
		in.WriteConfigs(t)
		opt := searchtext.OptionsFrom(in.LoadConf(t, "squatter", 0))
		// squatter (without -i) leaves an index whose UIDs are all
		// indexed as it is: remove it so that each run builds afresh.
		if err := os.Remove(qpath); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		// 3.10 indexes the messages with parts for an attachment
		// extractor in a second pass, which replaces the index unless
		// incremental: -i (from no index) keeps both passes, the second
		// one's messages after the first one's.
		// cyrus: imap/search_engines.c search_update_mailbox (3.10.2)
		args := []string{"user/fred"}
		if in.Cyrus.Version == V310 {
			args = []string{"-i", "user/fred"}
		}
		if res := in.Tool(t, "squatter", args...); res.Code != 0 {
			t.Fatalf("%v: squatter: exit %d: %s", extra, res.Code, res.Stderr)
		}
		cyrus := cyrusSquatDocs(t, qpath)
		if in.Cyrus.Version == V310 {
			docUID := func(g *gramSet) int {
				n, err := strconv.Atoi(strings.TrimLeft(g.name, "ftcbshm"))
				if err != nil {
					t.Fatalf("%v: Cyrus 3.10's document %q names no UID", extra, g.name)
				}
				return n
			}
			sort.SliceStable(cyrus, func(i, j int) bool { return docUID(cyrus[i]) < docUID(cyrus[j]) })
		}
		compared := 0
		for i, m := range corpus {
			uid := uint32(i + 1)
			mpath, _ := sp.MessagePath(e, uid, false)
			file, err := os.ReadFile(mpath)
			if err != nil {
				t.Fatal(err)
			}
			docs, exact, err := searchtext.Extract(uid, file, opt)
			if err != nil {
				t.Fatalf("%s: %v", m.name, err)
			}
			// Cyrus's documents for this message: the run of those
			// named after its UID, after a nameless first one (text
			// before any known class: the part letter is NUL).
			var want []*gramSet
			if compared < len(cyrus) && cyrus[compared].name == "" {
				want = append(want, cyrus[compared])
				compared++
			}
			for compared < len(cyrus) && strings.TrimLeft(cyrus[compared].name, "ftcbshm") == fmt.Sprint(uid) {
				want = append(want, cyrus[compared])
				compared++
			}
			diff := compareDocs(docs, want)
			known, isKnown := searchTextKnown[m.name]
			switch {
			case isKnown && diff == "":
				t.Errorf("%v: %s (uid %d): documented as differing, but equal", extra, m.name, uid)
			case isKnown:
				if bad := known(uid, docs, want); bad != "" {
					t.Errorf("%v: %s (uid %d): not the documented difference: %s (%s)", extra, m.name, uid, bad, diff)
				}
			case diff != "":
				t.Errorf("%v: %s (uid %d, exact %v): %s", extra, m.name, uid, exact, diff)
			}
			if isKnown && exact {
				t.Errorf("%v: %s: a known difference, yet Extract says exact", extra, m.name)
			}
			if diff != "" && testing.Verbose() {
				logDocs(t, m.name, docs, want)
			}
		}
		total := len(cyrus)
		if compared != total || total < 3*len(corpus) {
			t.Errorf("%v: compared %d of Cyrus's %d documents for %d messages", extra, compared, total, len(corpus))
		}
	}
}

// cyrusSquatDocs reads a cyrus.squat and returns its documents (without
// the validity one) in index order.
func cyrusSquatDocs(t *testing.T, path string) []*gramSet {
	t.Helper()
	ix, err := squat.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[int]*gramSet{}
	var order []int
	for _, d := range ix.Docs() {
		if strings.HasPrefix(d.Name, "validity.") {
			continue
		}
		docs[d.ID] = &gramSet{name: d.Name, len: d.Length, words: map[squat.Word]bool{}}
		order = append(order, d.ID)
	}
	for w, ids := range ix.Words() {
		for _, id := range ids {
			if g := docs[id]; g != nil {
				g.words[w] = true
			}
		}
	}
	var out []*gramSet
	for _, id := range order {
		out = append(out, docs[id])
	}
	return out
}

// searchTextKnown are the corpus messages whose documents differ from
// Cyrus's, each with a check that the difference is the documented one
// ("" if so). None at present.
var searchTextKnown = map[string]func(uid uint32, ours []searchtext.Doc, cyrus []*gramSet) string{}

func logDocs(t *testing.T, name string, docs []searchtext.Doc, want []*gramSet) {
	for _, d := range docs {
		t.Logf("%s: ours %s %q", name, d.Name, d.Text)
	}
	for _, g := range want {
		var ws []string
		for w := range g.words {
			ws = append(ws, string(w[:]))
		}
		slices.Sort(ws)
		t.Logf("%s: Cyrus %s %d %q", name, g.name, g.len, ws)
	}
}

// compareDocs reports the first difference between our documents and
// Cyrus's ("" if none).
func compareDocs(ours []searchtext.Doc, cyrus []*gramSet) string {
	var names, cnames []string
	for _, d := range ours {
		names = append(names, d.Name)
	}
	for _, g := range cyrus {
		cnames = append(cnames, g.name)
	}
	if !slices.Equal(names, cnames) {
		return fmt.Sprintf("documents %v, Cyrus %v", names, cnames)
	}
	for i, d := range ours {
		g := textGrams(d.Name, d.Text)
		c := cyrus[i]
		if g.len != c.len {
			return fmt.Sprintf("%s (#%d): length %d, Cyrus %d", d.Name, i, g.len, c.len)
		}
		var extra, missing []string
		for w := range g.words {
			if !c.words[w] {
				extra = append(extra, fmt.Sprintf("%q", w[:]))
			}
		}
		for w := range c.words {
			if !g.words[w] {
				missing = append(missing, fmt.Sprintf("%q", w[:]))
			}
		}
		if len(extra)+len(missing) > 0 {
			slices.Sort(extra)
			slices.Sort(missing)
			return fmt.Sprintf("%s (#%d): words only ours %v, only Cyrus's %v", d.Name, i, head(extra), head(missing))
		}
	}
	return ""
}

func head(s []string) []string {
	if len(s) > 8 {
		return append(s[:8:8], "…")
	}
	return s
}

// TestSquatNamelessFirst: a mailbox whose first message has no From, To,
// Cc, Bcc or Subject. Cyrus's begin_message empties the document name
// (the validity document's, "validity.N", until then) by its first byte
// only: 3.6.1 opens the message's first classless text as a document
// named "", 3.10.2 drops it (its append_text wants a name); neither
// writes a second "validity.N". Our documents are Cyrus's, in order.
//
// cyrus: imap/search_squat.c begin_mailbox, begin_message, append_text
// (3.6.1, 3.10.2)
func TestSquatNamelessFirst(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "master", "search_engine: squat", "munge8bit: no")
	in.Start(t)
	in.CreateUser(t, "fred")
	msgs := []struct{ name, msg string }{
		{"nameless", "List-Id: Nameless list <nameless.example.org>\nMessage-ID: <first@example.org>\n\nthe first message has no address headers\n"},
		{"named", "From: a@example.org\nSubject: second\n\nsecond body\n"},
	}
	appendCorpus(t, in, "fred", "INBOX", msgs)
	if res := in.Tool(t, "squatter", "user/fred"); res.Code != 0 {
		t.Fatalf("squatter: exit %d: %s", res.Code, res.Stderr)
	}
	sp := openSpool(t, in)
	e, err := sp.LookupName("user.fred")
	if err != nil {
		t.Fatal(err)
	}
	qpath, _ := sp.MetaPath(e, spool.MetaSquat)
	ix, err := squat.ReadFile(qpath)
	if err != nil {
		t.Fatal(err)
	}
	var cyrus []string
	for _, d := range ix.Docs() {
		cyrus = append(cyrus, fmt.Sprintf("%q:%d", d.Name, d.Length))
	}
	m, err := sp.Snapshot(context.Background(), "user.fred")
	if err != nil {
		t.Fatal(err)
	}
	ours := []string{fmt.Sprintf("%q:0", fmt.Sprintf("validity.%d", m.UIDValidity))}
	opt := searchtext.OptionsFrom(in.LoadConf(t, "squatter", 0))
	for i := range msgs {
		uid := uint32(i + 1)
		mpath, _ := sp.MessagePath(e, uid, false)
		file, err := os.ReadFile(mpath)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := searchtext.Documents(uid, file, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if len(d.Text) >= squat.WordSize {
				ours = append(ours, fmt.Sprintf("%q:%d", d.Name, len(d.Text)))
			}
		}
	}
	t.Logf("Cyrus %s: %v", in.Cyrus.Version, cyrus)
	if !slices.Equal(ours, cyrus) {
		t.Errorf("documents (name:length): ours %v, Cyrus's %v", ours, cyrus)
	}
}
