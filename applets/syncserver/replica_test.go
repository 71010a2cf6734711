package syncserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// These tests need neither root nor Cyrus: our replica runs on a copy of a
// spool real Cyrus made, driven by our own client. The integration tests
// check the same paths against Cyrus's sync_client and sync_server.

func message(n int) []byte {
	return []byte(fmt.Sprintf("From: a@example.org\r\nTo: cb@example.org\r\nSubject: test %d\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nbody %d\r\n", n, n))
}

// upload reserves then sends msgs, as a client does before APPLY MAILBOX.
func uploadMessages(t *testing.T, c *protocol.Client, mailboxes []string, msgs ...[]byte) []guid.GUID {
	t.Helper()
	ctx := context.Background()
	var gs []guid.GUID
	byGUID := map[string][]byte{}
	for _, m := range msgs {
		g := guid.Sum(m)
		gs = append(gs, g)
		byGUID[g.String()] = m
	}
	missing, err := c.Reserve(ctx, &protocol.ApplyReserve{Partition: "default", MboxNames: mailboxes, GUIDs: gs})
	if err != nil {
		t.Fatalf("RESERVE: %v", err)
	}
	if len(missing) == 0 {
		return gs
	}
	a := &protocol.ApplyMessage{}
	for _, g := range missing {
		a.Files = append(a.Files, protocol.Message{Partition: "default", GUID: g, Size: int64(len(byGUID[g.String()]))})
	}
	err = c.ApplyMessage(ctx, a, func(_, g string, _ int64) (io.Reader, error) { return bytes.NewReader(byGUID[g]), nil })
	if err != nil {
		t.Fatalf("MESSAGE: %v", err)
	}
	return gs
}

// newMailbox is a MAILBOX as a master sends it for a mailbox of n records.
func newMailbox(name, uniqueid string, gs []guid.GUID, sizes []int) *protocol.Mailbox {
	m := &protocol.Mailbox{UniqueID: uniqueid, Name: name, LastUID: uint32(len(gs)), HighestModseq: uint64(10 + len(gs)),
		RecentUID: uint32(len(gs)), RecentTime: 1796000000, LastAppendDate: 1796000000, UIDValidity: 1796000000,
		Partition: "default", ACL: "cb\tlrswipkxtecdan\t", Options: "P", CreatedModseq: 1, FolderModseq: 1,
		Records: []protocol.Record{}}
	for i, g := range gs {
		m.Records = append(m.Records, protocol.Record{UID: uint32(i + 1), Modseq: uint64(10 + i + 1), LastUpdated: 1796000000,
			Flags: []string{}, InternalDate: 1796000000, Size: uint32(sizes[i]), GUID: g})
	}
	m.SetCyrusKeys()
	return m
}

func apply(c *protocol.Client, req protocol.Request) error {
	_, err := c.Do(context.Background(), req)
	return err
}

func isNo(err error, code protocol.Code) bool { return errors.Is(err, protocol.ErrCode(code)) }

// readIndex parses a mailbox's cyrus.index as written.
func readIndex(t *testing.T, srv *server, name string) *spool.Mailbox {
	t.Helper()
	m, err := srv.spool.Snapshot(context.Background(), name)
	if err != nil {
		t.Fatalf("snapshot %s: %v", name, err)
	}
	return m
}

// TestApplyMailboxCreateAndUpdate: a new mailbox is created with the
// master's records (files from the upload, modseqs and flags kept, CRCs
// right); a flag change is applied silently; a replica that is ahead or
// holds another message at a UID is refused with CHECKSUM; a stale delta
// base with CHANGED; a uniqueid in use elsewhere with MOVED.
func TestApplyMailboxCreateAndUpdate(t *testing.T) {
	tr := startTestReplica(t)
	c := tr.dial(t)
	msgs := [][]byte{message(1), message(2), message(3)}
	gs := uploadMessages(t, c, []string{"user.cb.New"}, msgs...)
	m := newMailbox("user.cb.New", "newmailboxuniqueid000001", gs, []int{len(msgs[0]), len(msgs[1]), len(msgs[2])})
	m.Records[1].Flags = []string{`\Seen`, "$Label1"}
	if err := apply(c, &protocol.ApplyMailbox{Mailbox: m}); err != nil {
		t.Fatalf("APPLY MAILBOX (create): %v", err)
	}
	got := readIndex(t, tr.srv, "user.cb.New")
	if got.UniqueID != m.UniqueID || got.LastUID != 3 || got.HighestModseq != m.HighestModseq || len(got.Records) != 3 {
		t.Fatalf("created %+v", got)
	}
	if r := got.Records[1]; r.Modseq != 12 || r.System&index.FlagSeen == 0 || len(r.UserFlags) != 1 || r.UserFlags[0] != "$Label1" {
		t.Errorf("record 2: %+v", r)
	}
	basic, annot := got.ComputeSyncCRCs()
	if basic != got.SyncCRC || annot != got.SyncCRCAnnot {
		t.Errorf("stored CRCs %d/%d, computed %d/%d", got.SyncCRC, got.SyncCRCAnnot, basic, annot)
	}
	for i := range got.Records {
		p, _ := tr.srv.spool.RecordPath(got, &got.Records[i])
		if g, err := guid.File(p); err != nil || g != gs[i] {
			t.Errorf("message file %d: %v %v", i+1, g, err)
		}
	}

	// A flag change: silent, the master's modseq kept.
	m.SinceModseq, m.SinceCRC, m.SinceCRCAnnot = m.HighestModseq, got.SyncCRC, got.SyncCRCAnnot
	m.HighestModseq++
	m.Records[0].Flags, m.Records[0].Modseq = []string{`\Flagged`}, m.HighestModseq
	m.SetCyrusKeys()
	if err := apply(c, &protocol.ApplyMailbox{Mailbox: m}); err != nil {
		t.Fatalf("APPLY MAILBOX (flags): %v", err)
	}
	got = readIndex(t, tr.srv, "user.cb.New")
	if r := got.Records[0]; r.Modseq != m.HighestModseq || r.System&index.FlagFlagged == 0 || got.HighestModseq != m.HighestModseq {
		t.Errorf("after flag change: %+v, hms %d", r, got.HighestModseq)
	}

	// The same delta again: its base is gone.
	if err := apply(c, &protocol.ApplyMailbox{Mailbox: m}); !isNo(err, protocol.CodeSyncChanged) {
		t.Errorf("stale delta base: %v", err)
	}
	m.SinceModseq, m.SinceCRC, m.SinceCRCAnnot = 0, 0, 0
	m.SetCyrusKeys()
	older := *m
	older.HighestModseq--
	older.SetCyrusKeys()
	if err := apply(c, &protocol.ApplyMailbox{Mailbox: &older}); !isNo(err, protocol.CodeSyncChecksum) {
		t.Errorf("replica ahead: %v", err)
	}
	split := *m
	split.Records = append([]protocol.Record(nil), m.Records...)
	split.Records[2].GUID = guid.Sum([]byte("another message"))
	if err := apply(c, &protocol.ApplyMailbox{Mailbox: &split}); !isNo(err, protocol.CodeSyncChecksum) {
		t.Errorf("two messages at one UID: %v", err)
	}
	moved := newMailbox("user.cb.Other", m.UniqueID, nil, nil)
	if err := apply(c, &protocol.ApplyMailbox{Mailbox: moved}); !isNo(err, protocol.CodeMailboxMoved) {
		t.Errorf("uniqueid in use: %v", err)
	}
	if after := readIndex(t, tr.srv, "user.cb.New"); after.HighestModseq != m.HighestModseq || len(after.Records) != 3 {
		t.Errorf("a refused APPLY changed the mailbox: %+v", after)
	}
}

// TestApplyOthers: EXPUNGE, RENAME, UNMAILBOX, SEEN, SUB, QUOTA,
// ANNOTATION, UNUSER, each leaving what Cyrus's library writes, and names
// that would escape the spool refused.
func TestApplyOthers(t *testing.T) {
	tr := startTestReplica(t)
	c := tr.dial(t)
	ctx := context.Background()
	inbox := readIndex(t, tr.srv, "user.cb")
	if err := apply(c, &protocol.ApplyExpunge{MboxName: "user.cb", UniqueID: "wrong", UIDs: []uint32{1}}); !isNo(err, protocol.CodeMailboxMoved) {
		t.Errorf("EXPUNGE with another uniqueid: %v", err)
	}
	if err := apply(c, &protocol.ApplyExpunge{MboxName: "user.cb", UniqueID: inbox.UniqueID, UIDs: []uint32{1, 99}}); err != nil {
		t.Fatalf("EXPUNGE: %v", err)
	}
	after := readIndex(t, tr.srv, "user.cb")
	if !after.Records[0].Expunged() || after.HighestModseq != inbox.HighestModseq {
		t.Errorf("EXPUNGE: %+v hms %d (was %d)", after.Records[0], after.HighestModseq, inbox.HighestModseq)
	}
	if err := apply(c, &protocol.ApplyRename{OldName: "user.cb.Reversed", NewName: "user.cb.Renamed", Partition: "default"}); err != nil {
		t.Fatalf("RENAME: %v", err)
	}
	if _, err := tr.srv.spool.LookupName("user.cb.Renamed"); err != nil {
		t.Errorf("renamed mailbox: %v", err)
	}
	if err := apply(c, &protocol.ApplyUnmailbox{Name: "user.cb.Renamed"}); err != nil {
		t.Fatalf("UNMAILBOX: %v", err)
	}
	// A tombstone is OK (as real Cyrus 3.6.1 answers); a name never seen is not.
	if err := apply(c, &protocol.ApplyUnmailbox{Name: "user.cb.Renamed"}); err != nil {
		t.Errorf("UNMAILBOX of a tombstone: %v", err)
	}
	if err := apply(c, &protocol.ApplyUnmailbox{Name: "user.cb.NeverWas"}); !isNo(err, protocol.CodeMailboxNonexistent) {
		t.Errorf("UNMAILBOX of nothing: %v", err)
	}
	if err := apply(c, &protocol.ApplySeen{Seen: &protocol.Seen{UserID: "other", UniqueID: inbox.UniqueID, LastRead: 5, LastUID: 2, LastChange: 6, SeenUIDs: "1:2"}}); err != nil {
		t.Fatalf("SEEN: %v", err)
	}
	if sd, err := tr.srv.spool.SeenState("other"); err != nil || len(sd) != 1 || sd[0].SeenUIDs != "1:2" {
		t.Errorf("seen: %+v %v", sd, err)
	}
	for _, sub := range []*protocol.ApplySub{{UserID: "cb", MboxName: "user.cb.SplitBrain"}, {UserID: "cb", MboxName: "user.cb"}, {Unsub: true, UserID: "cb", MboxName: "user.cb"}} {
		if err := apply(c, sub); err != nil {
			t.Fatalf("%s: %v", sub.Key(), err)
		}
	}
	if s, err := tr.srv.spool.Subscriptions("cb"); err != nil || len(s.Names) != 1 || s.Names[0] != "user.cb.SplitBrain" {
		t.Errorf("subscriptions: %+v %v", s, err)
	}
	q := &protocol.Quota{Root: "user.cb", Limits: [4]int64{5000, -1, -1, -1}, Modseq: 7, HasModseq: true}
	if err := apply(c, &protocol.ApplyQuota{Quota: q}); err != nil {
		t.Fatalf("QUOTA: %v", err)
	}
	if got, err := tr.srv.spool.Quota("user.cb"); err != nil || got.Limit[spool.ResStorage] != 5000 || got.Modseq != 7 {
		t.Errorf("quota: %+v %v", got, err)
	}
	note := &protocol.MailboxAnnotation{MboxName: "user.cb", Entry: "/comment", Data: "a note"}
	if err := apply(c, &protocol.ApplyAnnotation{Annotation: note}); err != nil {
		t.Fatalf("ANNOTATION: %v", err)
	}
	if as, err := tr.srv.spool.MailboxAnnotations(inbox.UniqueID, "cb"); err != nil || len(as) != 1 || string(as[0].Value) != "a note" {
		t.Errorf("annotations: %+v %v", as, err)
	}
	for _, bad := range []protocol.Request{
		&protocol.ApplyMailbox{Mailbox: newMailbox("user.cb.x/../../y", "uid1", nil, nil)},
		&protocol.ApplyMailbox{Mailbox: newMailbox("user.cb.Escape", "../../../etc", nil, nil)},
		&protocol.ApplySub{UserID: "../../x", MboxName: "user.cb"},
	} {
		if err := apply(c, bad); !isNo(err, protocol.CodeBadParameters) {
			t.Errorf("%s %s with an unsafe name: %v", bad.Verb(), bad.Key(), err)
		}
	}
	if err := apply(c, &protocol.ApplyUnuser{UserID: "cb"}); err != nil {
		t.Fatalf("UNUSER: %v", err)
	}
	if st, err := c.GetUser(ctx, "cb"); err != nil || len(st.Mailboxes) != 0 {
		t.Errorf("after UNUSER: %+v %v", st, err)
	}
}

// TestStagingCleanup: RESTART and the end of a session remove what was
// staged; an upload whose content does not match its GUID is refused and
// leaves nothing.
func TestStagingCleanup(t *testing.T) {
	tr := startTestReplica(t)
	c := tr.dial(t)
	uploadMessages(t, c, []string{"user.cb"}, message(7))
	stage := filepath.Join(tr.dir, "spool", "sync.")
	if n := countFiles(t, stage); n != 1 {
		t.Errorf("staged files after upload: %d", n)
	}
	if err := c.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countFiles(t, stage); n != 0 {
		t.Errorf("staged files after RESTART: %d", n)
	}
	// RESERVE finds a message the replica has: linked, not uploaded.
	in := readIndex(t, tr.srv, "user.cb")
	missing, err := c.Reserve(context.Background(), &protocol.ApplyReserve{Partition: "default", MboxNames: []string{"user.cb"}, GUIDs: []guid.GUID{in.Records[0].GUID}})
	if err != nil || len(missing) != 0 {
		t.Errorf("RESERVE of a local message: missing %v, %v", missing, err)
	}
	bad := &protocol.ApplyMessage{Files: []protocol.Message{{Partition: "default", GUID: guid.Sum([]byte("x")), Size: 3}}}
	err = c.ApplyMessage(context.Background(), bad, func(string, string, int64) (io.Reader, error) { return bytes.NewReader([]byte("abc")), nil })
	if err == nil {
		t.Error("an upload not matching its GUID was accepted")
	}
	c.Close()
	waitFor(t, func() bool { return countFiles(t, stage) == 0 })
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Error("condition not met within 5 s")
}

// TestCreateCrashWindow: a mailbox created for an APPLY whose records never
// get in (the server killed in between) has HIGHESTMODSEQ 0 on disk, so
// the next sync sends every record, instead of the master's HIGHESTMODSEQ
// with no records, which a client would take as in step.
func TestCreateCrashWindow(t *testing.T) {
	srv, _ := newTestServer(t)
	r := newReplica(srv, "crash")
	m := newMailbox("user.cb.Crash", "crashuniqueid000000000001", nil, nil)
	m.HighestModseq = 121
	w, err := r.createForApply(context.Background(), m, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Abort() // the kill
	got := readIndex(t, srv, "user.cb.Crash")
	if got.HighestModseq != 0 || got.CreatedModseq != m.CreatedModseq {
		t.Errorf("after a crash: HIGHESTMODSEQ %d, CREATEDMODSEQ %d", got.HighestModseq, got.CreatedModseq)
	}
}
