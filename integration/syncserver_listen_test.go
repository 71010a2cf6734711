package integration

import (
	"testing"
)

// TestSyncServerListen runs our sync_server without Cyrus's master
// (--listen, one process, a goroutine per connection) on a TCP port of
// the replica, and replicates a user into it with Cyrus's sync_client and
// with ours (two channels to the same server): the replica agrees with the
// master, Cyrus's tools are clean, and TERM ends the server (checked by the
// harness at the end of the test).
func TestSyncServerListen(t *testing.T) {
	RequireCyrus(t)
	base := TempDir(t)
	replica := NewReplicaInstance(t, base, "replica")
	replica.Start(t)
	port := FreePort(t)
	OursListening(t, replica, "127.0.0.1:"+itoa(port))
	master := NewInstance(t, base, "master", "sync_host: 127.0.0.1", "sync_port: "+itoa(port), "sync_try_imap: 0",
		"sync_authname: "+SyncUser, "sync_password: "+SyncPassword)
	master.Start(t)
	p := &Pair{Master: master, Replica: replica}
	for i, client := range []string{"cyrus", "ours"} {
		user := "listen" + client
		p.AddUser(t, user)
		p.Master.Deliver(t, user, 3+i)
		create(t, p.Master, user, "Sub")
		var res Result
		if client == "cyrus" {
			res = p.CyrusSync(t, "-v", "-u", user)
		} else {
			res = p.OurSync(t, "-v", "-u", user)
		}
		if res.Code != 0 {
			t.Fatalf("%s sync_client into our --listen server: exit %d\n%s%s", client, res.Code, res.Stdout, res.Stderr)
		}
		SameUser(t, p.Master, p.Replica, user)
		p.CyrusHasNothingToSend(t, "-u", user)
	}
}
