package spool

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestDeleteUserData(t *testing.T) {
	s, dir := storesSpool(t)
	e := fixtureMailbox(t, s, "user.alice", aliceID, "user.alice")
	udir := ByIDPath(filepath.Join(dir, "user"), aliceID)
	sdir := ByIDPath(filepath.Join(dir, "sieve"), aliceID)
	os.MkdirAll(udir, 0o755)
	os.MkdirAll(sdir, 0o755)
	for _, f := range []string{"seen.db", "sub.db", "dav.db", "counters.db", "conversations.db", "mboxkey.db"} {
		os.WriteFile(filepath.Join(udir, f), []byte("x"), 0o600)
	}
	os.WriteFile(filepath.Join(sdir, "a.bc"), []byte("x"), 0o600)
	os.Symlink("a.bc", filepath.Join(sdir, "defaultbc"))
	for _, r := range []string{"user.alice", "user.alice.sub", "user.alicex"} {
		fixtureQuota(t, s, r, "%(S (0) M (0) AS (0) NF (0) MODSEQ 1)\n")
	}
	// a process of alice's, and one of somebody else's
	procs := filepath.Join(dir, "proc")
	os.MkdirAll(procs, 0o755)
	victim := exec.Command("sleep", "30")
	bystander := exec.Command("sleep", "30")
	victim.Start()
	bystander.Start()
	defer bystander.Process.Kill()
	os.WriteFile(filepath.Join(procs, strconv.Itoa(victim.Process.Pid)), []byte("imap\thost [1.2.3.4]\talice\tuser.alice\tIdle\n"), 0o600)
	os.WriteFile(filepath.Join(procs, strconv.Itoa(bystander.Process.Pid)), []byte("imap\thost\talicex\t\t\n"), 0o600)

	if err := s.DeleteUserData(e, true); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{udir, sdir, s.QuotaPath("user.alice"), s.QuotaPath("user.alice.sub")} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s kept: %v", p, err)
		}
	}
	if _, err := os.Stat(s.QuotaPath("user.alicex")); err != nil {
		t.Errorf("other user's root: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- victim.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		victim.Process.Kill()
		t.Error("alice's process not signalled")
	}
	if err := bystander.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("bystander signalled: %v", err)
	}

	// without wipe the seen state and the directory stay
	os.MkdirAll(udir, 0o755)
	os.WriteFile(filepath.Join(udir, "seen.db"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(udir, "sub.db"), []byte("x"), 0o600)
	s.DeleteUserData(e, false)
	if _, err := os.Stat(filepath.Join(udir, "seen.db")); err != nil {
		t.Errorf("seen removed without wipe: %v", err)
	}
	if _, err := os.Stat(filepath.Join(udir, "sub.db")); !os.IsNotExist(err) {
		t.Errorf("sub kept: %v", err)
	}
}
