package spool

import (
	"context"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

const aliceID = "a1b2c3d4e5f6a7b8c9d0e1f2"

// checkCRCs asserts that the stored sync CRCs and annotation usage are
// what a recomputation from the records and cyrus.annotations gives.
func checkCRCs(t *testing.T, s *Spool, name string, wantAnnotUsed uint32) *Mailbox {
	t.Helper()
	m, err := s.Snapshot(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	basic, annot := m.ComputeSyncCRCs()
	if basic != m.SyncCRC || annot != m.SyncCRCAnnot {
		t.Errorf("stored CRCs %d/%d, recomputed %d/%d", m.SyncCRC, m.SyncCRCAnnot, basic, annot)
	}
	if m.IndexHeader.QuotaAnnotUsed != wantAnnotUsed {
		t.Errorf("quota_annot_used %d, want %d", m.IndexHeader.QuotaAnnotUsed, wantAnnotUsed)
	}
	return m
}

func quotaOf(t *testing.T, s *Spool, root string) *Quota {
	t.Helper()
	q, err := s.Quota(root)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestMessageAnnotations(t *testing.T) {
	s, _ := storesSpool(t)
	ctx := context.Background()
	fixtureQuota(t, s, "user.alice", "%(S (300 100) M (2) AS (0 1) NF (1) MODSEQ 4)\n")
	e := fixtureMailbox(t, s, "user.alice", aliceID, "user.alice", 100, 200)
	checkCRCs(t, s, "user.alice", 0)

	w, err := s.OpenMailboxWriter(ctx, "user.alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []AnnotationWrite{
		{UID: 1, Entry: "/comment", Value: []byte("note")},
		{UID: 2, Entry: "/comment", UserID: "alice", Value: []byte("mine")},
		{UID: 2, Entry: "/comment", UserID: "alice", Value: []byte("mine")}, // unchanged: nothing
		{UID: 2, Entry: AnnotSaveDate, Value: []byte("5")},                  // virtual: no CRC, counted
	} {
		if err := w.WriteAnnotation(a); err != nil {
			t.Fatal(err)
		}
	}
	if changed, err := w.Commit(); err != nil || !changed {
		t.Fatal(changed, err)
	}
	apath, _ := s.MetaPath(e, MetaAnnotations)
	got := dump(t, apath)
	for _, want := range []string{
		"1\x00/comment\x00\x00=" + string(EncodeAnnotValue([]byte("note"), 11, false)),
		"2\x00/comment\x00[.OwNeR.]\x00=" + string(EncodeAnnotValue([]byte("mine"), 12, false)),
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("cyrus.annotations lacks %q:\n%q", want, got)
		}
	}
	m := checkCRCs(t, s, "user.alice", 9)
	if m.HighestModseq != 13 || m.Records[1].Annotations[0].UserID != "alice" {
		t.Errorf("modseq %d, annotations %+v", m.HighestModseq, m.Records[1].Annotations)
	}
	if q := quotaOf(t, s, "user.alice"); q.Used[ResAnnotStorage] != 9 || q.Modseq != 5 || q.Used[ResStorage] != 300 {
		t.Errorf("quota %+v", q)
	}

	// delete: a tombstone; over quota: refused only when checked
	w, _ = s.OpenMailboxWriter(ctx, "user.alice")
	if err := w.WriteAnnotation(AnnotationWrite{UID: 1, Entry: "/comment"}); err != nil {
		t.Fatal(err)
	}
	big := []byte(strings.Repeat("x", 1100))
	if err := w.WriteAnnotation(AnnotationWrite{UID: 1, Entry: "/big", Value: big, CheckQuota: true}); !errors.Is(err, ErrOverQuota) {
		t.Errorf("over quota: %v", err)
	}
	w.WriteAnnotation(AnnotationWrite{UID: 1, Entry: "/big", Value: big})
	w.Commit()
	if got := dump(t, apath); !strings.Contains(got, "1\x00/comment\x00\x00="+string(EncodeAnnotValue(nil, 14, true))+"\n") {
		t.Errorf("no tombstone: %q", got)
	}
	checkCRCs(t, s, "user.alice", 5+1100)
	if q := quotaOf(t, s, "user.alice"); q.Used[ResAnnotStorage] != 1105 {
		t.Errorf("quota after delete %+v", q)
	}

	// expunging a record drops its annotations from CRC and usage; later
	// changes to it count for nothing
	w, _ = s.OpenMailboxWriter(ctx, "user.alice")
	r, _ := w.Record(2)
	r.InternalFlags |= index.FlagExpunged
	if err := w.Rewrite(r); err != nil {
		t.Fatal(err)
	}
	w.WriteAnnotation(AnnotationWrite{UID: 2, Entry: "/other", Value: []byte("zz")})
	w.Commit()
	checkCRCs(t, s, "user.alice", 1100)

	// silent, with the master's modseq kept
	w, _ = s.OpenMailboxWriter(ctx, "user.alice")
	w.SetSilent()
	before := w.Header().HighestModseq
	w.WriteAnnotation(AnnotationWrite{UID: 1, Entry: "/comment", Value: []byte("back"), KeepModseq: true, Modseq: 77})
	w.Commit()
	m = checkCRCs(t, s, "user.alice", 1104)
	if m.HighestModseq != before || m.Records[0].Annotations[1].Entry != "/comment" || m.Records[0].Annotations[1].Modseq != 77 {
		t.Errorf("silent: modseq %d (was %d), %+v", m.HighestModseq, before, m.Records[0].Annotations[1])
	}
	if q := quotaOf(t, s, "user.alice"); q.Modseq != 7 {
		t.Errorf("silent change moved the quota modseq: %+v", q)
	}
}

func TestMailboxAnnotations(t *testing.T) {
	s, dir := storesSpool(t)
	ctx := context.Background()
	fixtureMailbox(t, s, "user.alice", aliceID, "", 100)
	w, _ := s.OpenMailboxWriter(ctx, "user.alice")
	w.WriteAnnotation(AnnotationWrite{Entry: "/comment", UserID: "alice", Value: []byte("private")})
	w.WriteAnnotation(AnnotationWrite{Entry: "/comment", Value: []byte("shared")})
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.LookupName("user.alice"); e.FolderModseq != 12 {
		t.Errorf("foldermodseq %d", e.FolderModseq)
	}
	got := dump(t, filepath.Join(dir, "annotations.db"))
	want := aliceID + "\x00/comment\x00\x00=" + string(EncodeAnnotValue([]byte("shared"), 0, false)) + "\n" +
		aliceID + "\x00/comment\x00[.OwNeR.]\x00=" + string(EncodeAnnotValue([]byte("private"), 0, false)) + "\n"
	if got != want {
		t.Errorf("annotations.db\n got %q\nwant %q", got, want)
	}
	checkCRCs(t, s, "user.alice", 13)
	list, _ := s.MailboxAnnotations(aliceID, "alice")
	if len(list) != 2 || list[1].UserID != "alice" {
		t.Errorf("read back %+v", list)
	}
	w, _ = s.OpenMailboxWriter(ctx, "user.alice")
	w.WriteAnnotation(AnnotationWrite{Entry: "/comment", UserID: "alice"})
	if err := w.FlushMailboxAnnotations(); err != nil {
		t.Fatal(err)
	}
	w.Commit()
	if got := dump(t, filepath.Join(dir, "annotations.db")); strings.Contains(got, "OwNeR") {
		t.Errorf("not deleted: %q", got)
	}
	checkCRCs(t, s, "user.alice", 6)

	// an aborted writer leaves both databases as they were
	w, _ = s.OpenMailboxWriter(ctx, "user.alice")
	w.WriteAnnotation(AnnotationWrite{Entry: "/x", Value: []byte("1")})
	w.WriteAnnotation(AnnotationWrite{UID: 1, Entry: "/x", Value: []byte("1")})
	w.Abort()
	if got := dump(t, filepath.Join(dir, "annotations.db")); strings.Contains(got, "/x") {
		t.Errorf("abort kept %q", got)
	}
}

func TestAppendCopyAnnotations(t *testing.T) {
	s, _ := storesSpool(t)
	ctx := context.Background()
	fixtureMailbox(t, s, "user.alice", aliceID, "", 100, 200)
	w, _ := s.OpenMailboxWriter(ctx, "user.alice")
	w.WriteAnnotation(AnnotationWrite{UID: 1, Entry: "/comment", Value: []byte("a")})
	w.WriteAnnotation(AnnotationWrite{UID: 1, Entry: "/comment", UserID: "alice", Value: []byte("bb")})
	w.WriteAnnotation(AnnotationWrite{UID: 1, Entry: annotSnoozed, Value: []byte("{}")})
	w.Commit()
	w, _ = s.OpenMailboxWriter(ctx, "user.alice")
	uid, err := w.AppendCopy(1)
	if err != nil || uid != 3 {
		t.Fatal(uid, err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	m := checkCRCs(t, s, "user.alice", 3)
	if !m.Records[0].Expunged() || len(m.Records[2].Annotations) != 2 || m.Records[2].Annotations[1].UserID != "alice" {
		t.Errorf("copy: %+v", m.Records[2].Annotations)
	}
}

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

func TestEncodeAnnotValue(t *testing.T) {
	// The bytes Cyrus 3.6.1 stored (docs/stores.md).
	want := mustHex("0000000b00000000" + hexOf("shared note\x00text/plain\x00") + "0000000000000000" + "0000000000000009" + "00")
	if got := EncodeAnnotValue([]byte("shared note"), 9, false); string(got) != string(want) {
		t.Errorf("got %x", got)
	}
	v, m, del, err := parseAnnotValue(EncodeAnnotValue(nil, 12, true))
	if err != nil || len(v) != 0 || m != 12 || !del {
		t.Errorf("tombstone %q %d %v %v", v, m, del, err)
	}
	if k := string(annotKey("7", "/comment", "alice", "alice")); k != "7\x00/comment\x00[.OwNeR.]\x00" {
		t.Errorf("owner key %q", k)
	}
}

func TestWriteServerAnnotation(t *testing.T) {
	s, dir := storesSpool(t)
	path := filepath.Join(dir, "annotations.db")
	if ch, err := s.WriteServerAnnotation("/comment", "", []byte("hello")); err != nil || !ch {
		t.Fatal(ch, err)
	}
	if ch, _ := s.WriteServerAnnotation("/comment", "", []byte("hello")); ch {
		t.Error("same value changed")
	}
	s.WriteServerAnnotation("/motd", "bob", []byte("x"))
	got, _ := s.MailboxAnnotations("", "")
	if len(got) != 2 || got[0].Entry != "/comment" || string(got[0].Value) != "hello" || got[1].UserID != "bob" {
		t.Errorf("read back %+v", got)
	}
	if ch, err := s.WriteServerAnnotation("/comment", "", nil); err != nil || !ch {
		t.Fatal(ch, err)
	}
	if d := dump(t, path); strings.Contains(d, "/comment") {
		t.Errorf("deleted entry kept: %q", d)
	}
}
