package spool

import (
	"bytes"
	"os"
	"strings"
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

// FuzzWriteFormats checks that what the writers encode, the readers decode
// back: seen records, annotation values, quota records (also re-encoding
// whatever quota file the decoder accepts).
func FuzzWriteFormats(f *testing.F) {
	f.Add(int64(1795445678), uint32(2), "1:3,5", []byte("shared note"), uint64(9), []byte("%(S (1 2) M (3) AS (0) NF (1) MODSEQ 4)\n"))
	f.Add(int64(-1), uint32(0), "", []byte{}, uint64(0), []byte("100 -1\n"))
	f.Fuzz(func(t *testing.T, when int64, uid uint32, set string, value []byte, modseq uint64, quota []byte) {
		if !strings.ContainsAny(set, " ") {
			sd := Seen{UniqueID: "u", LastRead: when, LastUID: uid, LastChange: when / 2, SeenUIDs: set}
			got, err := ParseSeen("u", FormatSeen(sd))
			if err != nil || got != sd {
				t.Errorf("seen %+v -> %+v %v", sd, got, err)
			}
		}
		for _, del := range []bool{false, true} {
			v, m, d, err := parseAnnotValue(EncodeAnnotValue(value, modseq, del))
			if err != nil || m != modseq || d != del || (!del && !bytes.Equal(v, value)) || (del && len(v) != 0) {
				t.Errorf("annotation %q %d %v -> %q %d %v %v", value, modseq, del, v, m, d, err)
			}
		}
		q, err := decodeQuotaRecord("r", quota)
		if err != nil {
			return
		}
		again, err := decodeQuotaRecord("r", q.encode())
		if err != nil || again.used != q.used || again.limit != q.limit || again.modseq != q.modseq {
			t.Errorf("quota %q -> %q: %+v %v", quota, q.encode(), again, err)
		}
	})
}
