package syncclient

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// recReplica is a replica that has nothing and takes everything: GETs
// answer no items, APPLYs succeed, uploaded files are read and dropped.
// It records each command, "VERB KEY", and fail may refuse one. kill
// drops every connection and stops listening: the replica went away.
type recReplica struct {
	addr string
	// fail, if set, is asked first; a non-nil error is the answer.
	fail func(verb, key string, arg dlist.Value) error
	// answer, if set, gives a command's items.
	answer func(verb, key string, arg dlist.Value) []protocol.Item
	// refuse, if set, tells whether to drop the nth connection at once.
	refuse func(n int) bool

	mu       sync.Mutex
	cmds     []string
	sessions int
	l        net.Listener
	conns    []net.Conn
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// startRecReplica serves a recReplica on a loopback port (addr, if given).
func startRecReplica(t *testing.T, addr string) *recReplica {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &recReplica{addr: l.Addr().String(), l: l, cancel: cancel}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, nc)
			f.sessions++
			drop := f.refuse != nil && f.refuse(f.sessions)
			f.mu.Unlock()
			if drop {
				nc.Close()
				continue
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				protocol.ServeCSync(ctx, nc, protocol.ServerOptions{ServerName: "replica.test", Admins: []string{"repl"},
					Auth: testPasswords{"repl": "secret"}, AllowPlaintext: true, Handler: f})
			}()
		}
	}()
	t.Cleanup(f.kill)
	return f
}

func (f *recReplica) kill() {
	f.cancel()
	f.l.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *recReplica) Command(_ context.Context, _ *protocol.Session, verb, key string, arg dlist.Value) ([]protocol.Item, error) {
	cmd := verb + " " + key
	if t := arg.Text(); t != "" {
		cmd += " " + t // UNUSER fred, GET META fred …
	} else if n, ok := arg.Get("ROOT"); ok {
		cmd += " " + n.Text()
	}
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	fail, answer := f.fail, f.answer
	f.mu.Unlock()
	if fail != nil {
		if err := fail(verb, key, arg); err != nil {
			return nil, err
		}
	}
	if answer != nil {
		return answer(verb, key, arg), nil
	}
	return nil, nil
}

func (f *recReplica) Files(*protocol.Session) dlist.FileFunc {
	return func(_, _ string, _ int64, r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	}
}

// Restart records RESTART (also sent at the end of each session).
func (f *recReplica) Restart(*protocol.Session) {
	f.mu.Lock()
	f.cmds = append(f.cmds, "RESTART")
	f.mu.Unlock()
}

// inOrder tells whether want appear in cmds in this order (other
// commands in between).
func inOrder(cmds []string, want ...string) bool {
	for _, c := range cmds {
		if len(want) > 0 && c == want[0] {
			want = want[1:]
		}
	}
	return len(want) == 0
}

func count(cmds []string, cmd string) int {
	n := 0
	for _, c := range cmds {
		if c == cmd {
			n++
		}
	}
	return n
}

// commands returns (and forgets) the commands seen so far.
func (f *recReplica) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cmds
	f.cmds = nil
	return c
}

func (f *recReplica) sessionCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessions
}

// rollingFixture is the fixture spool configured to replicate to addr,
// and a run of sync_client with options o on it.
type rollingFixture struct {
	m      *masterSpool
	r      *run
	logs   *syslogLines
	stderr *bytes.Buffer
	// syncDir is the channel's directory of the sync log.
	syncDir string
}

func newRollingFixture(t *testing.T, addr string, o *Options, extra ...string) *rollingFixture {
	t.Helper()
	m := newMasterSpool(t)
	conf0 := filepath.Join(m.dir, "imapd.conf")
	lines := append([]string{"sync_host: " + addr, "sync_authname: repl", "sync_password: secret",
		"sync_try_imap: 0"}, extra...)
	f, err := os.OpenFile(conf0, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Join(lines, "\n") + "\n")
	f.Close()
	cfg, err := conf.Load(conf0, "sync_client", 0)
	if err != nil {
		t.Fatal(err)
	}
	m.cfg = cfg
	if m.sp, err = spool.Open(cfg); err != nil {
		t.Fatal(err)
	}
	logs := &syslogLines{}
	stderr := &bytes.Buffer{}
	r := &run{o: o, env: &cyrus.Env{Config: cfg, Log: slog.New(logs)}, stdout: io.Discard, stderr: stderr}
	if err := r.prepare(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(m.dir, "conf", "sync")
	if o.Channel != "" {
		dir = filepath.Join(dir, o.Channel)
	}
	os.MkdirAll(dir, 0o755)
	return &rollingFixture{m: m, r: r, logs: logs, stderr: stderr, syncDir: dir}
}

func (fx *rollingFixture) writeLog(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(fx.syncDir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// exists tells whether a file of the channel's directory is there.
func (fx *rollingFixture) exists(name string) bool {
	_, err := os.Stat(filepath.Join(fx.syncDir, name))
	return err == nil
}

// logged tells whether a syslog line ("LEVEL text") was written.
func (fx *rollingFixture) logged(line string) bool {
	fx.logs.mu.Lock()
	defer fx.logs.mu.Unlock()
	for _, l := range fx.logs.lines {
		if l == line {
			return true
		}
	}
	return false
}

// start runs the rolling loop in the background; wait returns its result.
func (fx *rollingFixture) start(ctx context.Context) (wait func(t *testing.T) error) {
	done := make(chan error, 1)
	go func() { done <- fx.r.rolling(ctx) }()
	return func(t *testing.T) error {
		t.Helper()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("the rolling loop did not stop")
			return nil
		}
	}
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
