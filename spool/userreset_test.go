package spool

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestResetUser(t *testing.T) {
	ctx := context.Background()
	s, dir := storesSpool(t)
	fixtureMailbox(t, s, "user.alice", aliceID, "user.alice", 100)
	fixtureMailbox(t, s, "user.alice.Sent", "b1b2c3d4e5f6a7b8c9d0e1f2", "user.alice", 50)
	fixtureMailbox(t, s, "DELETED.user.alice.Old.65A0B0C0", "c1b2c3d4e5f6a7b8c9d0e1f2", "user.alice")
	fixtureMailbox(t, s, "user.alicex", "d1b2c3d4e5f6a7b8c9d0e1f2", "user.alicex", 10)
	fixtureQuota(t, s, "user.alice", "%(S (150) M (2) AS (0) NF (0) MODSEQ 1)\n")
	fixtureQuota(t, s, "user.alicex", "%(S (10) M (1) AS (0) NF (0) MODSEQ 1)\n")
	if err := s.Subscribe(ctx, "alice", "user.alice.Sent"); err != nil {
		t.Fatal(err)
	}
	if err := s.Subscribe(ctx, "alice", "user.alicex"); err != nil {
		t.Fatal(err)
	}
	udir := ByIDPath(filepath.Join(dir, "user"), aliceID)
	os.WriteFile(filepath.Join(udir, "seen.db"), []byte("x"), 0o600)

	res, err := s.ResetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"user.alicex", "user.alice.Sent"}; !slices.Equal(res.Unsubscribed, want) {
		t.Errorf("unsubscribed %q, want %q", res.Unsubscribed, want)
	}
	if want := []string{"DELETED.user.alice.Old.65A0B0C0", "user.alice.Sent", "user.alice"}; !slices.Equal(res.Deleted, want) {
		t.Errorf("deleted %q, want %q (children first, INBOX last)", res.Deleted, want)
	}
	if !res.DataDeleted || len(res.Missing) != 0 {
		t.Errorf("result %+v", res)
	}
	for _, name := range []string{"user.alice", "user.alice.Sent", "DELETED.user.alice.Old.65A0B0C0"} {
		if _, err := s.LookupName(name); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: entry left (%v)", name, err)
		}
	}
	for _, p := range []string{udir, s.QuotaPath("user.alice")} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s kept: %v", p, err)
		}
	}
	if e, err := s.LookupName("user.alicex"); err != nil || e.Deleted() {
		t.Errorf("the other user's INBOX: %v %+v", err, e)
	}
	if _, err := os.Stat(s.QuotaPath("user.alicex")); err != nil {
		t.Errorf("the other user's quota root: %v", err)
	}

	// a user without an INBOX entry: nothing to reset, as for Cyrus
	if _, err := s.ResetUser(ctx, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second reset: %v, want ErrNotFound", err)
	}
}

func TestCreateMailboxList(t *testing.T) {
	s, _ := testSpool(t, "")
	if _, err := s.LookupName("user.alice"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("without mailboxes.db: %v, want a read error", err)
	}
	if err := s.CreateMailboxList(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupName("user.alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty mailboxes.db: %v, want ErrNotFound", err)
	}
	fixtureMailbox(t, s, "user.alice", aliceID, "")
	if err := s.CreateMailboxList(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupName("user.alice"); err != nil {
		t.Fatalf("an existing mailboxes.db was replaced: %v", err)
	}
}
