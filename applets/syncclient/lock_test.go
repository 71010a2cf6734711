package syncclient

import (
	"context"
	"errors"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool"
)

func TestSyncLockName(t *testing.T) {
	if got := SyncLockName("replica.example.org", "fred.smith@example.com"); got != "*S*replica^example^org*fred^smith@example^com" {
		t.Errorf("got %q", got)
	}
	if got := SyncLockName("r", ""); got != "*S*r*" {
		t.Errorf("global lock %q", got)
	}
}

func TestLockUsers(t *testing.T) {
	dir := t.TempDir()
	cfg := loadConf(t, "configdirectory: "+dir+"\n")
	sp, err := spool.Open(cfg)
	if err != nil {
		t.Fatalf("spool.Open: %v", err)
	}
	ctx := context.Background()
	a, err := lockUsers(ctx, sp, "r", []string{"bob", "alice", "bob"}, false, nil)
	if err != nil || len(a) != 2 {
		t.Fatalf("lock: %v %d", err, len(a))
	}
	var busy []string
	if _, err := lockUsers(ctx, sp, "r", []string{"carol", "bob"}, true, func(n string) { busy = append(busy, n) }); !errors.Is(err, spool.ErrLocked) || len(busy) != 1 || busy[0] != "*S*r*bob" {
		t.Errorf("second client with -N: %v, busy locks %q", err, busy)
	}
	// carol must not stay locked after the failure.
	c, err := lockUsers(ctx, sp, "r", []string{"carol"}, true, nil)
	if err != nil {
		t.Errorf("carol stayed locked: %v", err)
	}
	c.release()
	a.release()
	if b, err := lockUsers(ctx, sp, "r", []string{"bob"}, true, nil); err != nil {
		t.Errorf("after release: %v", err)
	} else {
		b.release()
	}
}
