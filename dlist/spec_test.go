package dlist

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestSpecExamples checks one worked example per construct of the wire
// grammar (atoms, a quoted string with raw TABs, flags, an empty kvlist,
// both literal forms, file literals, a nested MAILBOX, NIL): each decodes
// and re-encodes to the same bytes, client examples with {n+}, server ones
// with {n}. Values are written as Cyrus' printer emits them: VALUE hi is
// an atom, not "hi".
//
// cyrus: imap/dlist.c dlist_print, dlist_parse; lib/prot.c
// prot_printastring (3.6.1)
func TestSpecExamples(t *testing.T) {
	m1 := "From: a\r\n\r\nhello\r\n"
	m2 := "From: b\r\n\r\nbye\r\n"
	tests := []struct {
		line   string
		client bool
	}{
		{"UNMAILBOX user.alice.Trash", true},
		{`MAILBOXES (user.alice "user.alice.Test Foo")`, true},
		{`FLAGS (\Seen $Forwarded)`, true},
		{"FORCE %()", true},
		{"ACL \"alice\tlrswipkxtecdan\tanyone\tp\t\"", true},
		{"VALUE {5+}\r\n\\Sent", true},
		{"VALUE {5}\r\n\\Sent", false},
		{"QUOTA %(ROOT user.alice LIMIT 102400 STORAGE 102400 MODSEQ 12)", false},
		{"MESSAGE (" + fileLit(m1) + " " + fileLit(m2) + ")", true},
		{"MAILBOX %(UNIQUEID 3f2b7c1e-8d4a-4e5b-9a6c-0b1d2e3f4a5b MBOXNAME user.alice RECORD (%(UID 1" +
			" MODSEQ 4 FLAGS (\\Seen) ANNOTATIONS (%(ENTRY /comment USERID \"\" MODSEQ 4 VALUE hi)" +
			" %(ENTRY /vendor/cmu/cyrus-imapd/createdmodseq USERID \"\" MODSEQ 0 VALUE 2)))))", true},
		{"MISSING (" + sha1hex(m1) + " " + sha1hex(m2) + ")", false},
		{"MESSAGE NIL", false},
	}
	for _, tc := range tests {
		files := map[string][]byte{}
		d := NewDecoder(bufio.NewReader(strings.NewReader(tc.line+"\r\n")), &DecodeOptions{
			File: func(part, guid string, size int64, r io.Reader) error {
				b, err := io.ReadAll(r)
				files[guid] = b
				return err
			},
		})
		key, v, err := d.ReadItem()
		if err == nil {
			err = d.ReadLineEnd()
		}
		if err != nil {
			t.Errorf("%.60q: %v", tc.line, err)
			continue
		}
		got := append(fuzzEncode(t, key, v, tc.client, files), "\r\n"...)
		if want := tc.line + "\r\n"; !bytes.Equal(got, []byte(want)) {
			t.Errorf("re-encoding:\n got %q\nwant %q", got, want)
		}
	}
}
