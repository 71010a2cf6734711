package squatindex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/squat"
	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

func testSpool(t testing.TB) *spool.Spool {
	t.Helper()
	dir := t.TempDir()
	lines := []string{"configdirectory: " + dir, "partition-default: " + filepath.Join(dir, "spool"),
		"sievedir: " + filepath.Join(dir, "sieve"), "defaultpartition: default", "search_engine: squat"}
	cf := filepath.Join(dir, "imapd.conf")
	if err := os.WriteFile(cf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(cf, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := twoskip.Begin(sp.MailboxListPath(), twoskip.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.CreateMailbox(context.Background(), spool.CreateParams{Name: "user.alice", Partition: "default", UIDValidity: 1234}); err != nil {
		t.Fatal(err)
	}
	return sp
}

func message(uid uint32) []byte {
	return []byte(fmt.Sprintf("Subject: s%d\r\n\r\nbody of message %d\r\n", uid, uid))
}

func appendMessages(t testing.TB, sp *spool.Spool, uids ...uint32) {
	t.Helper()
	w, err := sp.OpenMailboxWriter(context.Background(), "user.alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, uid := range uids {
		m := message(uid)
		rec := index.Record{UID: uid, Size: uint64(len(m)), GUID: guid.Sum(m)}
		if err := w.AppendMessage(rec, bytes.NewReader(m), spool.CacheEntry{Bytes: make([]byte, 8)}); err != nil {
			w.Abort()
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

// fakeExtract makes an m and an s document; uid 99 fails.
func fakeExtract(uid uint32, msg []byte) ([]squat.Document, error) {
	if uid == 99 {
		return nil, errors.New("bad message")
	}
	return []squat.Document{{Name: fmt.Sprintf("m%d", uid), Text: bytes.ToUpper(msg)}, {Name: fmt.Sprintf("s%d", uid), Text: []byte("S")}}, nil
}

func want(t *testing.T, uids ...uint32) []byte {
	t.Helper()
	var docs []squat.Document
	for _, uid := range uids {
		d, _ := fakeExtract(uid, message(uid))
		docs = append(docs, d...)
	}
	var buf bytes.Buffer
	if err := squat.Build(&buf, 1234, docs); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestIndexMailbox(t *testing.T) {
	ctx := context.Background()
	sp := testSpool(t)
	e, err := sp.LookupName("user.alice")
	if err != nil {
		t.Fatal(err)
	}
	path, _ := sp.MetaPath(e, spool.MetaSquat)
	check := func(what string, uids ...uint32) {
		t.Helper()
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want(t, uids...)) {
			t.Fatalf("%s: index differs from a full build of %v", what, uids)
		}
	}

	// Empty mailbox: the validity document alone.
	if res, err := IndexMailbox(ctx, sp, "user.alice", Options{Extract: fakeExtract}); err != nil || res != Done {
		t.Fatalf("empty: %v %v", res, err)
	}
	check("empty")

	appendMessages(t, sp, 1, 2, 3)
	if res, err := IndexMailbox(ctx, sp, "user.alice", Options{Extract: fakeExtract}); err != nil || res != Done {
		t.Fatalf("full: %v %v", res, err)
	}
	check("full", 1, 2, 3)

	// Incremental in batches of one: the same file as a full build.
	appendMessages(t, sp, 4, 5)
	opt := Options{Incremental: true, BatchSize: 1, Extract: fakeExtract}
	if res, err := IndexMailbox(ctx, sp, "user.alice", opt); err != nil || res != Again {
		t.Fatalf("batch 1: %v %v", res, err)
	}
	if res, err := IndexMailbox(ctx, sp, "user.alice", opt); err != nil || res != Done {
		t.Fatalf("batch 2: %v %v", res, err)
	}
	check("incremental", 1, 2, 3, 4, 5)

	// A failing message: those before it are still written.
	appendMessages(t, sp, 6, 99, 100)
	if _, err := IndexMailbox(ctx, sp, "user.alice", Options{Incremental: true, Extract: fakeExtract}); err == nil || !strings.Contains(err.Error(), "uid 99") {
		t.Fatalf("failing extractor: %v", err)
	}
	check("partial", 1, 2, 3, 4, 5, 6)

	// An index of another UIDVALIDITY: Cyrus's forced full update, which
	// keeps the old documents and re-indexes every message.
	var stale bytes.Buffer
	if err := squat.Build(&stale, 999, []squat.Document{{Name: "m1", Text: []byte("OLD TEXT")}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, stale.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	if _, err := IndexMailbox(ctx, sp, "user.alice", Options{Incremental: true, Extract: fakeExtract, Log: log}); err == nil {
		t.Fatal("uid 99 extracted")
	}
	if !strings.Contains(logged.String(), "squat: mailbox user.alice uidvalidity changed from 1234 to 999, forcing full update") {
		t.Fatalf("logged %q", logged.String())
	}
	old, err := squat.Parse("stale", stale.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var docs []squat.Document
	for _, uid := range []uint32{1, 2, 3, 4, 5, 6} {
		d, _ := fakeExtract(uid, message(uid))
		docs = append(docs, d...)
	}
	var wantStale bytes.Buffer
	if err := squat.Update(&wantStale, old, 1234, docs); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, wantStale.Bytes()) {
		t.Fatal("stale index: not Cyrus's forced full update")
	}

	// Locked and missing mailboxes.
	l, err := sp.Lock(ctx, spool.MailboxLockName(e), true)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := IndexMailbox(ctx, sp, "user.alice", Options{Extract: fakeExtract}); err != nil || res != Locked {
		t.Fatalf("locked: %v %v", res, err)
	}
	var busy []string
	if res, err := IndexMailbox(ctx, sp, "user.alice", Options{Extract: fakeExtract, Busy: func(n string) { busy = append(busy, n) }}); err != nil || res != Locked {
		t.Fatalf("locked: %v %v", res, err)
	}
	if !reflect.DeepEqual(busy, []string{spool.MailboxLockName(e)}) {
		t.Errorf("Busy told %q", busy)
	}
	l.Release()
	if res, err := IndexMailbox(ctx, sp, "user.bob", Options{Extract: fakeExtract}); err != nil || res != Nonexistent {
		t.Fatalf("missing: %v %v", res, err)
	}
}

// Cyrus 3.10's two passes (AttachPass): not incremental, the second pass
// replaces the first one's index; incremental, it adds its messages after
// the first one's. Each pass is reported; between them the mailbox lock
// is free (Relock told), as in 3.10's search_update_mailbox.
func TestAttachPass(t *testing.T) {
	for _, incremental := range []bool{false, true} {
		sp := testSpool(t)
		appendMessages(t, sp, 1, 2, 3, 4)
		attach := func(msg []byte) (bool, error) { return bytes.Contains(msg, []byte("message 2")), nil }
		var passes []Stats
		var relocks []string
		e, _ := sp.LookupName("user.alice")
		relock := func(reacquired bool) {
			// Free between the passes: another holder can take it.
			l, err := sp.TryLock(spool.MailboxLockName(e), true)
			relocks = append(relocks, fmt.Sprint(reacquired, err == nil))
			if err == nil {
				l.Release()
			}
		}
		res, err := IndexMailbox(context.Background(), sp, "user.alice", Options{Incremental: incremental, Blocking: true,
			Extract: fakeExtract, AttachPass: attach, EndPass: func(st Stats, _ time.Time) { passes = append(passes, st) }, Relock: relock})
		if err != nil || res != Done {
			t.Fatalf("incremental %v: %v %v", incremental, res, err)
		}
		if got := strings.Join(relocks, " "); got != "false true true false" {
			t.Errorf("incremental %v: relock (reacquired, lock free) %s", incremental, got)
		}
		path, _ := sp.MetaPath(e, spool.MetaSquat)
		ix, err := squat.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range ix.Docs() {
			names = append(names, d.Name)
		}
		want := "validity.1234 m2" // s documents are shorter than a word
		if incremental {
			want = "validity.1234 m1 m3 m4 m2"
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("incremental %v: documents %s, want %s", incremental, got, want)
		}
		if len(passes) != 2 || passes[0].Messages != 3 || passes[1].Messages != 1 {
			t.Errorf("incremental %v: passes %+v", incremental, passes)
		}
	}
}
