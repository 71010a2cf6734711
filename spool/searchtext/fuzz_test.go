package searchtext

import (
	"testing"
)

// FuzzDocuments: any message gives documents without panicking, each
// named <class><uid>, and their text stays within a fixed multiple of
// the message (the largest expansions are folding, up to 18 code points
// for one, and header text indexed in several documents).
func FuzzDocuments(f *testing.F) {
	for _, s := range []string{
		"From: a@b\r\nSubject: s\r\n\r\nbody\r\n",
		"Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\nFrom: =?shift_jis?B?g2WDWINn?= <s@example.jp>\r\n\r\nx\r\n",
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n<i>x</i>\r\n--b\r\nContent-Type: text/html; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n\r\n/v8APABwAD4AeAA8AC8AcAA+\r\n--b--\r\n",
		"Content-Type: text/html\r\n\r\n<script>a<b</script>&#xffffffffff;&#99999999999999999999;&amp&unknown;<!-- x --!><style>",
		"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: text/plain; charset=euc-kr\r\nContent-Disposition: attachment; filename*=utf-8''%ff%fe; filename==?x?q?y?=\r\n\r\n\xc7\xd1\xff\r\n--x--\r\n",
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=EF=B7=BA\xf4\x90\x80\x80\xed\xa0\x80=\r\n",
		"\r\n",
		"x",
	} {
		f.Add(uint32(1), []byte(s))
	}
	f.Fuzz(func(t *testing.T, uid uint32, msg []byte) {
		for _, opt := range []Options{DefaultOptions(), {Whitespace: WhitespaceKeep, MimeUTF8: true, IndexHeaders: true}} {
			docs, err := Documents(uid, msg, opt)
			if err != nil {
				if len(msg) != 0 {
					t.Fatalf("error for a non-empty message: %v", err)
				}
				continue
			}
			total := 0
			for _, d := range docs {
				if len(d.Text) < wordSize {
					t.Fatalf("document %s of %d bytes", d.Name, len(d.Text))
				}
				total += len(d.Text)
			}
			if limit := 200*len(msg) + 1024; total > limit {
				t.Fatalf("%d bytes of text from a %d-byte message", total, len(msg))
			}
		}
	})
}
