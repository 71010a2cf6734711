package spool

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
)

func inodeOf(t *testing.T, p string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestSetQuotaLimitsExisting(t *testing.T) {
	s, _ := storesSpool(t)
	ctx := context.Background()
	fixtureQuota(t, s, "user.alice", "%(S (300 100) M (2) AS (0) NF (1) MODSEQ 4)\n")
	p := s.QuotaPath("user.alice")
	ino := inodeOf(t, p)
	if err := s.SetQuotaLimits(ctx, "user.alice", [4]int64{100, -1, -1, -1}, 0, nil); err != nil {
		t.Fatal(err)
	}
	if inodeOf(t, p) != ino {
		t.Error("unchanged limits rewrote the file")
	}
	s.SetQuotaLimits(ctx, "user.alice", [4]int64{200, 50, -1, 3}, 0, nil)
	if b, _ := os.ReadFile(p); string(b) != "%(S (300 200) M (2 50) AS (0) NF (1 3) MODSEQ 5)\n" {
		t.Errorf("non-silent %q", b)
	}
	s.SetQuotaLimits(ctx, "user.alice", [4]int64{-1, -1, -1, -1}, 42, nil)
	if b, _ := os.ReadFile(p); string(b) != "%(S (300) M (2) AS (0) NF (1) MODSEQ 42)\n" {
		t.Errorf("silent %q", b)
	}
	fixtureQuota(t, s, "shared", "%(S (0) M (0) AS (0) NF (0) MODSEQ 4)\n")
	s.SetQuotaLimits(ctx, "shared", [4]int64{1, -1, -1, -1}, 0, nil)
	if q := quotaOf(t, s, "shared"); q.Modseq != 4 {
		t.Errorf("shared root's modseq moved: %+v", q)
	}
	for _, bad := range []string{"", ".x", "a/b", "a*", "a%", "a?"} {
		if err := s.SetQuotaLimits(ctx, bad, [4]int64{}, 0, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNewQuotaRoot(t *testing.T) {
	s, _ := storesSpool(t)
	ctx := context.Background()
	fixtureQuota(t, s, "user.alice", "%(S (600) M (3) AS (0) NF (2) MODSEQ 4)\n")
	fixtureMailbox(t, s, "user.alice", aliceID, "user.alice", 100, 200)
	fixtureMailbox(t, s, "user.alice.sub", "b1b2c3d4e5f6a7b8c9d0e1f2", "user.alice", 300)
	fixtureMailbox(t, s, "user.alice.subx", "c1b2c3d4e5f6a7b8c9d0e1f2", "user.alice")
	// an empty file is no root (a writer between create and rename)
	fixtureQuota(t, s, "user.alice.sub", "")
	if _, err := s.Quota("user.alice.sub"); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty quota file: %v", err)
	}
	if err := s.SetQuotaLimits(ctx, "user.alice.sub", [4]int64{10, -1, -1, -1}, 0, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(s.QuotaPath("user.alice.sub")); string(b) != "%(S (300 10) M (1) AS (0) NF (1) MODSEQ 2)\n" {
		t.Errorf("new root %q", b)
	}
	if b, _ := os.ReadFile(s.QuotaPath("user.alice")); string(b) != "%(S (300) M (2) AS (0) NF (1) MODSEQ 5)\n" {
		t.Errorf("old root %q", b)
	}
	for name, want := range map[string]string{"user.alice": "user.alice", "user.alice.sub": "user.alice.sub", "user.alice.subx": "user.alice"} {
		m, err := s.Snapshot(ctx, name)
		if err != nil || m.QuotaRoot != want {
			t.Errorf("%s: quota root %q (%v), want %q", name, m.QuotaRoot, err, want)
		}
	}
	if _, err := os.Stat(s.LockPath("$QUOTACHANGE")); err != nil {
		t.Errorf("no $QUOTACHANGE lock: %v", err)
	}

	// a silent new root whose mailboxes already name it (a root file
	// lost): Cyrus leaves them, the root starts without usage
	os.Remove(s.QuotaPath("user.alice"))
	if err := s.SetQuotaLimits(ctx, "user.alice", [4]int64{-1, 5, -1, -1}, 9, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(s.QuotaPath("user.alice")); string(b) != "%(S (0) M (0 5) AS (0) NF (0) MODSEQ 9)\n" {
		t.Errorf("silent new root %q", b)
	}

	// UNQUOTA: the mailbox loses its root, nobody gets its usage back
	if err := s.RemoveQuotaRoot(ctx, "user.alice.sub", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.QuotaPath("user.alice.sub")); !os.IsNotExist(err) {
		t.Errorf("root file kept: %v", err)
	}
	if m, _ := s.Snapshot(ctx, "user.alice.sub"); m.QuotaRoot != "" {
		t.Errorf("quota root kept: %q", m.QuotaRoot)
	}
	if q := quotaOf(t, s, "user.alice"); q.Used[ResStorage] != 0 {
		t.Errorf("parent root %+v", q)
	}
	if err := s.RemoveQuotaRoot(ctx, "user.nobody", nil); err != nil {
		t.Errorf("missing root: %v", err)
	}
}
