package cache

import (
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// TestParseTopLevelSieveMessage: a #sieve message as timsieved stores it.
func TestParseTopLevelSieveMessage(t *testing.T) {
	hdr := "From: <alice@mail.example>\r\n" +
		"Subject: my filter\r\n" +
		"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n" +
		"Message-ID: <0123@mail.example>\r\n" +
		"Content-Type: application/sieve; charset=utf-8\r\n" +
		"Content-Length: 25\r\n" +
		"Content-Disposition: attachment;\r\n\tfilename=\"ocfjavf4tgsxe0mqdjvjum5e.sieve\"\r\n" +
		"MIME-Version: 1.0\r\n\r\n"
	script := "keep;\r\nfileinto \"Trash\";\r\n"
	tl, err := ParseTopLevel([]byte(hdr + script))
	if err != nil {
		t.Fatal(err)
	}
	if tl.Subject == nil || *tl.Subject != "my filter" {
		t.Errorf("subject %v", tl.Subject)
	}
	if len(tl.DispositionParams) != 1 || tl.DispositionParams[0] != (Param{"FILENAME", "ocfjavf4tgsxe0mqdjvjum5e.sieve"}) {
		t.Errorf("disposition params %v", tl.DispositionParams)
	}
	if tl.ContentGUID != guid.Sum([]byte(script)) {
		t.Errorf("content GUID %s, want SHA-1 of the script", tl.ContentGUID)
	}
	if tl.HeaderSize != len(hdr) {
		t.Errorf("header size %d, want %d", tl.HeaderSize, len(hdr))
	}
	if _, err := ParseTopLevel(nil); err == nil {
		t.Error("empty message parsed")
	}
	tl, _ = ParseTopLevel([]byte("X: y\r\n\r\nbody"))
	if tl.Subject != nil || tl.DispositionParams != nil {
		t.Errorf("no Subject, no Content-Disposition: %+v", tl)
	}
}
