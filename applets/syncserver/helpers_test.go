package syncserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/fixture"
	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// testReplica is our sync_server on a copy of the fixture spool that real
// Cyrus 3.6 made (../syncclient/testdata/master: user cb with mailboxes
// INBOX, SplitBrain, Reversed, MasterOnly), listening on loopback.
type testReplica struct {
	dir  string
	srv  *server
	addr string
}

// passwords is a test Authenticator.
type passwords map[string]string

func (p passwords) CheckPassword(_ context.Context, _, user, pass string) error {
	if p[user] != "" && p[user] == pass {
		return nil
	}
	return errors.New("bad password")
}

// copyFixture copies the Cyrus-made spool under dir and returns its
// imapd.conf, extra lines appended.
func copyFixture(t testing.TB, dir string, extra ...string) string {
	t.Helper()
	return fixture.CopySpool(t, filepath.Join("..", "syncclient", "testdata", "master"), dir, extra...)
}

// newTestServer prepares our server on a fixture copy (admin "repl",
// password "secret") without listening.
func newTestServer(t testing.TB, extra ...string) (*server, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "replica")
	path := copyFixture(t, dir, append([]string{"sievedir: " + filepath.Join(dir, "sieve")}, extra...)...)
	cfg, err := conf.Load(path, "csync", conf.NeedPartitionData)
	if err != nil {
		t.Fatal(err)
	}
	env := &cyrus.Env{Config: cfg, Log: slog.New(slog.DiscardHandler)}
	srv, err := newServer(env, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.base.Auth = passwords{"repl": "secret"}
	srv.base.Admins = []string{"repl"}
	srv.base.FailedLoginPause = 0
	srv.sessionForce = true
	return srv, dir
}

// startTestReplica serves newTestServer's server on loopback until the
// test ends.
func startTestReplica(t testing.TB, extra ...string) *testReplica {
	t.Helper()
	srv, dir := newTestServer(t, extra...)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	shutdown := make(chan struct{})
	t.Cleanup(func() { close(shutdown); l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				srv.serve(context.Background(), c, shutdown, nil)
			}()
		}
	}()
	return &testReplica{dir: dir, srv: srv, addr: l.Addr().String()}
}

// dial logs in with our own client.
func (tr *testReplica) dial(t testing.TB) *protocol.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	target, _ := protocol.ParseTarget(tr.addr)
	c, err := protocol.Dial(ctx, protocol.ClientOptions{Target: target, AuthName: "repl", Password: "secret"})
	if err != nil {
		t.Fatalf("dial our replica: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
