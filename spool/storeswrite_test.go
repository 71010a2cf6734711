package spool

import (
	"context"
	"crypto/sha1"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

func sha1Of(s string) [20]byte { return sha1.Sum([]byte(s)) }

// storesSpool is a test spool with an empty mailboxes.db.
func storesSpool(t *testing.T, extra ...string) (*Spool, string) {
	t.Helper()
	s, dir := testSpool(t, "", extra...)
	tx, err := twoskip.Begin(s.MailboxListPath(), twoskip.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	return s, dir
}

// dump renders a twoskip or flat file as "key=value" lines.
func dump(t *testing.T, path string) string {
	t.Helper()
	db, err := openKV(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	db.forEachPrefix(nil, func(k, v []byte) error {
		b.WriteString(string(k) + "=" + string(v) + "\n")
		return nil
	})
	return b.String()
}

func TestSetSeen(t *testing.T) {
	s, dir := storesSpool(t)
	// no INBOX entry: the legacy path
	sd := Seen{UniqueID: "u1", LastRead: 1700000100, LastUID: 7, LastChange: 1700000050, SeenUIDs: "1:3,5"}
	if err := s.SetSeen("bob", sd); err != nil {
		t.Fatal(err)
	}
	legacy := filepath.Join(dir, "user", "b", "bob.seen")
	if got := dump(t, legacy); got != "u1=1 1700000100 7 1700000050 1:3,5\n" {
		t.Errorf("seen db %q", got)
	}
	sd.SeenUIDs, sd.LastUID = "", 9
	s.SetSeen("bob", sd)
	s.SetSeen("bob", Seen{UniqueID: "u0", LastRead: 1, LastUID: 1, LastChange: 1, SeenUIDs: "1"})
	got, err := s.SeenState("bob")
	if err != nil || len(got) != 2 || got[0].UniqueID != "u0" || got[1].LastUID != 9 || got[1].SeenUIDs != "" {
		t.Errorf("state %+v %v", got, err)
	}
	if b, _ := os.ReadFile(legacy); !strings.HasPrefix(string(b), twoskip.Magic) {
		t.Errorf("not twoskip")
	}
	if err := s.DeleteSeen("bob", "u1"); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, legacy); got != "u0=1 1 1 1 1\n" {
		t.Errorf("after delete %q", got)
	}
	if err := s.DeleteSeen("nobody", "u1"); err != nil {
		t.Errorf("delete without db: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "user", "n")); !os.IsNotExist(err) {
		t.Errorf("delete created a db: %v", err)
	}

	// a by-id INBOX (tombstones too) puts it under user/uuid
	fixtureMailbox(t, s, "user.carol", "c5d1a5f0e2b34b1c9d8e7f60", "")
	if err := s.SetSeen("carol", sd); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "user", "uuid", "c", "5", "c5d1a5f0e2b34b1c9d8e7f60", "seen.db")); err != nil {
		t.Error(err)
	}

	// a seen db in another format than seenstate_db is refused
	s2, dir2 := storesSpool(t, "seenstate_db: flat")
	os.MkdirAll(filepath.Join(dir2, "user", "b"), 0o755)
	s.SetSeen("bob", sd)
	b, _ := os.ReadFile(legacy)
	os.WriteFile(filepath.Join(dir2, "user", "b", "bob.seen"), b, 0o600)
	if err := s2.SetSeen("bob", sd); !errors.Is(err, ErrUnsupported) {
		t.Errorf("format mismatch: %v", err)
	}
}

func TestSubscribe(t *testing.T) {
	s, dir := storesSpool(t)
	ctx := context.Background()
	path := filepath.Join(dir, "user", "m", "matt.sub")
	if err := s.Unsubscribe(ctx, "matt", "user.matt.x"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("unsubscribe created the file: %v", err)
	}
	for _, n := range []string{"user.matt.Sent", "shared.f^x", "user.matt", "user.matthew.x", "user.matt.a^b", "other"} {
		if err := s.Subscribe(ctx, "matt", n); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	want := "\x1FVER\x1F\t2\nNINBOX\t\nNINBOX\x1FSent\t\nNINBOX\x1Fa.b\t\nNINBOXhew\x1Fx\t\nNother\t\nNshared\x1Ff.x\t\n"
	if string(b) != want {
		t.Errorf("sub file\n got %q\nwant %q", b, want)
	}
	s.Subscribe(ctx, "matt", "user.matt.Sent") // again: same content
	s.Unsubscribe(ctx, "matt", "other")
	s.Unsubscribe(ctx, "matt", "never")
	b, _ = os.ReadFile(path)
	if want = strings.Replace(want, "Nother\t\n", "", 1); string(b) != want {
		t.Errorf("after unsubscribe %q", b)
	}
	subs, err := s.Subscriptions("matt")
	if err != nil || strings.Join(subs.Names, " ") != "user.matt user.matt.Sent user.matt.a^b user.matthew.x shared.f^x" {
		t.Errorf("read back %q %v", subs.Names, err)
	}
	if _, err := os.Stat(path + ".NEW"); !os.IsNotExist(err) {
		t.Errorf(".NEW left: %v", err)
	}

	// a pre-3.6 file (internal names, no version key) is upgraded
	old := filepath.Join(dir, "user", "a", "ann.sub")
	os.MkdirAll(filepath.Dir(old), 0o755)
	os.WriteFile(old, []byte("user.ann\t\nuser.ann.Drafts\t\nshared.x\t\n"), 0o600)
	if err := s.Subscribe(ctx, "ann", "user.ann.Trash"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(old)
	if string(b) != "\x1FVER\x1F\t2\nNINBOX\t\nNINBOX\x1FDrafts\t\nNINBOX\x1FTrash\t\nNshared\x1Fx\t\n" {
		t.Errorf("upgraded %q", b)
	}
	if _, err := os.Stat(s.LockPath("$SUBS_UPGRADE$ann")); err != nil {
		t.Errorf("upgrade lock: %v", err)
	}
	os.WriteFile(old, []byte("broken line\n"), 0o600)
	if err := s.Subscribe(ctx, "ann", "x"); err == nil || !strings.Contains(err.Error(), old) {
		t.Errorf("malformed file: %v", err)
	}
}
