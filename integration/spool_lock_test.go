package integration

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool"
)

// fOFDSetLkW is Linux's F_OFD_SETLKW.
const fOFDSetLkW = 38

// TestSpoolLockOrder holds, one at a time, each lock a Cyrus writer takes
// exclusively (user namespace lock, mailbox name lock, cyrus.index) and
// checks that a snapshot waits for it and completes once it is released:
// the reader takes all three, shared, as Cyrus's readers do.
func TestSpoolLockOrder(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "master")
	in.Start(t)
	in.CreateUser(t, "fred")
	in.Deliver(t, "fred", 2)
	sp := openSpool(t, in)
	ctx := context.Background()
	e, err := sp.LookupName("user.fred")
	if err != nil {
		t.Fatal(err)
	}
	ipath, _ := sp.MetaPath(e, spool.MetaIndex)
	for _, c := range []struct {
		name string
		hold func() func()
	}{
		{"user namespace lock", func() func() { return holdNamed(t, sp, spool.UserLockName("fred")) }},
		{"mailbox name lock", func() func() { return holdNamed(t, sp, spool.MailboxLockName(e)) }},
		{"cyrus.index", func() func() { return holdFile(t, ipath) }},
	} {
		release := c.hold()
		done := make(chan error, 1)
		go func() { _, err := sp.Snapshot(ctx, "user.fred"); done <- err }()
		select {
		case err := <-done:
			t.Errorf("%s held exclusively: snapshot did not wait (%v)", c.name, err)
			release()
			continue
		case <-time.After(300 * time.Millisecond):
		}
		release()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s released: snapshot still blocked", c.name)
		}
	}
}

func holdNamed(t *testing.T, sp *spool.Spool, name string) func() {
	t.Helper()
	l, err := sp.Lock(context.Background(), name, true)
	if err != nil {
		t.Fatal(err)
	}
	return func() { l.Release() }
}

// holdFile takes an exclusive OFD lock on path, as a Cyrus writer's POSIX
// lock would be held.
func holdFile(t *testing.T, path string) func() {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0}
	if err := syscall.FcntlFlock(f.Fd(), fOFDSetLkW, &lk); err != nil {
		t.Fatal(err)
	}
	return func() { f.Close() }
}
