package spool

import (
	"os"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

// FuzzParseEntry feeds mailboxes.db values (seeded with every value of the
// fixture) to the N and I record decoders: they must return an entry or an
// error wrapping errEntry, never panic.
func FuzzParseEntry(f *testing.F) {
	if db, err := twoskip.ReadFile("twoskip/testdata/mailboxes.db"); err == nil {
		db.ForEach(func(k, v []byte) error { f.Add(k[1:], k[0] == 'I', v); return nil })
	}
	f.Add([]byte("x"), true, []byte("%(T e N a H (%(N b T ed)))"))
	f.Fuzz(func(t *testing.T, key []byte, byID bool, value []byte) {
		e, err := parseEntry(string(key), byID, value)
		if err == nil && e == nil {
			t.Fatal("nil entry without error")
		}
		if err == nil {
			_ = e.Type.String()
		}
	})
}

// FuzzStores feeds the small per-user and per-mailbox formats.
func FuzzStores(f *testing.F) {
	f.Add([]byte("%(S (2693 100000) M (6 1000) AS (59) NF (4) MODSEQ 15)\n"))
	f.Add([]byte("1 1795445678 2 1795445529 1:3,5"))
	f.Add([]byte("\x00\x00\x00\x0b\x00\x00\x00\x00shared note\x00text/plain\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09\x00"))
	if b, err := os.ReadFile("index/testdata/user.user1.header"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseQuota("user.x", b)
		ParseSeen("id", string(b))
		parseAnnotValue(b)
		parseAnnotKey(b)
		parseSieveMessage(b)
	})
}
