package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/applets/syncclient"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// TestSyncLockExcludesCyrusClient holds the per-user sync lock the way our
// sync_client takes it (*S*<server>*<user>, spool's named-lock path, an
// exclusive fcntl lock) and runs Cyrus's `sync_client -N -u`: it must find
// the user locked, and sync once we let go — so ours and Cyrus's never sync
// one user at the same time.
func TestSyncLockExcludesCyrusClient(t *testing.T) {
	RequireCyrus(t)
	base := TempDir(t)
	replica := NewReplicaInstance(t, base, "replica")
	replica.Start(t)
	master := NewInstance(t, base, "master", "sync_host: 127.0.0.1", "sync_port: "+itoa(replica.CSyncPort),
		"sync_try_imap: 0", "sync_authname: "+SyncUser, "sync_password: "+SyncPassword)
	master.Start(t)
	master.CreateUser(t, "cassandane")
	master.Deliver(t, "cassandane", 1)

	cfg := master.LoadConf(t, "sync_client", 0)
	sp, err := spool.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := sp.Lock(context.Background(), syncclient.SyncLockName("127.0.0.1", "cassandane"), true)
	if err != nil {
		t.Fatal(err)
	}
	res := master.Tool(t, "sync_client", "-v", "-N", "-u", "cassandane")
	if res.Code == 0 || !strings.Contains(res.Stderr, "Error from sync_do_user(cassandane): bailing out!") {
		t.Errorf("Cyrus's sync_client synced a user we hold locked: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	lock.Release()
	res = master.Tool(t, "sync_client", "-v", "-N", "-u", "cassandane")
	if res.Code != 0 {
		t.Errorf("after release: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
}
