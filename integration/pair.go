package integration

import (
	"testing"
)

// Pair is a real Cyrus master and replica, the master configured to
// replicate to the replica: channel "csync" (sync_server) and channel
// "imap" (imapd's X-REPLICATION); without -n the csync one.
type Pair struct {
	Master, Replica *Instance
}

// NewPair starts a master and a replica; extra lines go to the master's
// imapd.conf.
func NewPair(t testing.TB, extra ...string) *Pair {
	t.Helper()
	return newPair(t, "", extra...)
}

// NewPairOurServer is NewPair with our sync_server as the replica's csync
// service, started by Cyrus's master from cyrus.conf as an administrator
// would install it.
func NewPairOurServer(t testing.TB, extra ...string) *Pair {
	t.Helper()
	return newPair(t, OursApplet(t, "sync_server"), extra...)
}

func newPair(t testing.TB, syncServer string, extra ...string) *Pair {
	t.Helper()
	mv, rv, err := PairVersions()
	if err != nil {
		t.Fatal(err)
	}
	return NewPairOf(t, CyrusFor(t, mv), CyrusFor(t, rv), syncServer, extra...)
}

// NewPairOf starts a master running Cyrus m and a replica running Cyrus r;
// syncServer, if not "", is the replica's csync service program.
func NewPairOf(t testing.TB, m, r *Cyrus, syncServer string, extra ...string) *Pair {
	t.Helper()
	return NewPairIn(t, TempDir(t), m, r, syncServer, nil, extra...)
}

// NewPairIn is NewPairOf under base, with replicaExtra lines in the
// replica's imapd.conf.
func NewPairIn(t testing.TB, base string, m, r *Cyrus, syncServer string, replicaExtra []string, extra ...string) *Pair {
	t.Helper()
	if m.Version != V36 || r.Version != V36 {
		t.Logf("Cyrus %s master, Cyrus %s replica", m.Version, r.Version)
	}
	replica := NewInstanceOf(t, r, base, "replica", replicaExtra...)
	if syncServer != "" {
		replica.SyncServer = syncServer
		replica.WriteConfigs(t)
	}
	replica.Start(t)
	lines := append([]string{
		"sync_host: 127.0.0.1", "sync_port: " + itoa(replica.CSyncPort), "sync_try_imap: 0",
		"sync_authname: " + SyncUser, "sync_password: " + SyncPassword,
		"csync_sync_port: " + itoa(replica.CSyncPort), "csync_sync_try_imap: 0",
		"imap_sync_port: " + itoa(replica.IMAPPort), "imap_sync_try_imap: 1",
	}, extra...)
	master := NewInstanceOf(t, m, base, "master", lines...)
	master.Start(t)
	return &Pair{Master: master, Replica: replica}
}

// AddUser creates a user with an INBOX on the master; the replica only
// learns the password (replication creates the mailboxes).
func (p *Pair) AddUser(t testing.TB, user string) {
	t.Helper()
	p.Master.CreateUser(t, user)
	p.Replica.AddSASLUser(t, user, UserPassword)
}

// CyrusSync runs the master's Cyrus's own sync_client against the
// master's config.
func (p *Pair) CyrusSync(t testing.TB, args ...string) Result {
	t.Helper()
	return p.Master.Tool(t, "sync_client", args...)
}
