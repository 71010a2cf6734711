package spool

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseAnnotValue(t *testing.T) {
	// Observed on Cyrus 3.6.1 (docs/stores.md): alice INBOX uid 1, shared
	// /comment = "shared note".
	raw, _ := hex.DecodeString("0000000b00000000" + hex.EncodeToString([]byte("shared note\x00text/plain\x00")) +
		"0000000000000000" + "0000000000000009" + "00")
	v, modseq, del, err := parseAnnotValue(raw)
	if err != nil || string(v) != "shared note" || modseq != 9 || del {
		t.Errorf("%q %d %v %v", v, modseq, del, err)
	}
	raw[len(raw)-1] = 1
	if v, _, del, _ := parseAnnotValue(raw); v != nil || !del {
		t.Errorf("tombstone %q %v", v, del)
	}
	if _, _, _, err := parseAnnotValue(raw[:5]); !errors.Is(err, ErrAnnotation) {
		t.Errorf("short: %v", err)
	}
	a, err := decodeAnnotation([]byte("1\x00/comment\x00[.OwNeR.]\x00"), raw, "alice")
	if err != nil || a.first != "1" || a.UserID != "alice" || a.Entry != "/comment" {
		t.Errorf("%+v %v", a, err)
	}
}

func TestParseQuota(t *testing.T) {
	q, err := ParseQuota("user.alice", []byte("%(S (2693 100000) M (6 1000) AS (59) NF (4) MODSEQ 15)\n"))
	if err != nil {
		t.Fatal(err)
	}
	if q.Used[ResStorage] != 2693 || q.Limit[ResStorage] != 100000 || q.Used[ResMessage] != 6 || q.Limit[ResMessage] != 1000 ||
		q.Used[ResAnnotStorage] != 59 || len(q.Limit) != 2 || q.Used[ResNumFolders] != 4 || q.Modseq != 15 {
		t.Errorf("%+v", q)
	}
	q, err = ParseQuota("x", []byte("100 -1\n"))
	if err != nil || q.Used[ResStorage] != 100 || len(q.Limit) != 0 {
		t.Errorf("old: %+v %v", q, err)
	}
	if _, err := ParseQuota("x", []byte("%(S (a))")); !errors.Is(err, ErrQuotaFormat) {
		t.Errorf("bad: %v", err)
	}
}

func TestParseSeen(t *testing.T) {
	sd, err := ParseSeen("eaak", "1 1795445678 2 1795445529 1")
	if err != nil || sd.LastRead != 1795445678 || sd.LastUID != 2 || sd.LastChange != 1795445529 || sd.SeenUIDs != "1" {
		t.Errorf("%+v %v", sd, err)
	}
	sd, err = ParseSeen("x", "1 5 0 6 ")
	if err != nil || sd.SeenUIDs != "" {
		t.Errorf("empty set: %+v %v", sd, err)
	}
	if _, err := ParseSeen("x", "garbage"); err == nil || !strings.Contains(err.Error(), "x") {
		t.Errorf("bad: %v", err)
	}
}

func TestSyncCRCExample(t *testing.T) {
	// Worked by hand from Cyrus's formulas. Basic: one record with \Seen,
	// the CRC32 of "1 4 1700000100 (3201761491) 1699999990 <guid>", where
	// 3201761491 is the CRC32 of `\seen`. Annot: 12345678 XOR the CRC32 of
	// "<uid> /vendor/cmu/cyrus-imapd/savedate  <savedate>" and of the same
	// for createdmodseq, for two records.
	// cyrus: imap/mailbox.c crc_basic, crc_virtannot, crc_annot (3.6.1)
	r := Record{UID: 1, Modseq: 4, LastUpdated: 1700000100, InternalDate: 1699999990, System: 1 << 4}
	copy(r.GUID[:], mustHex("0f3a256c1e4d8be4e9d743127ef0922c5b79b4a3"))
	if got := RecordCRCBasic(&r); got != 1067028402 {
		t.Errorf("basic %d", got)
	}
	m := &Mailbox{IndexVersion: 17, Records: []Record{{UID: 1, SaveDate: 1700000000, CreatedModseq: 2}, {UID: 2, SaveDate: 1700000050, CreatedModseq: 3}}}
	if _, annot := m.ComputeSyncCRCs(); annot != 2997715547 {
		t.Errorf("annot %d", annot)
	}
}

func mustHex(s string) []byte { b, _ := hex.DecodeString(s); return b }

// TestSubscriptionsInboxPrefix checks the expansion of the INBOX
// abbreviation, including 3.6.1's plain prefix test (user matt
// subscribed to user.matthew.x is stored as "NINBOXhew\x1Fx").
func TestSubscriptionsInboxPrefix(t *testing.T) {
	s, dir := testSpool(t, "")
	os.WriteFile(filepath.Join(dir, "mailboxes.db"), nil, 0o600)
	p := filepath.Join(dir, "user", "m")
	os.MkdirAll(p, 0o755)
	os.WriteFile(filepath.Join(p, "matt.sub"), []byte("\x1FVER\x1F\t2\nNINBOX\t\nNINBOX\x1FSent\t\nNINBOXhew\x1Fx\t\nNshared\x1Ff.x\t\n"), 0o600)
	subs, err := s.Subscriptions("matt")
	if err != nil {
		t.Fatal(err)
	}
	want := "user.matt user.matt.Sent user.matthew.x shared.f^x"
	if got := strings.Join(subs.Names, " "); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
