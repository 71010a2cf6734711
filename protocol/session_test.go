package protocol

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

type passwords map[string]string

func (p passwords) CheckPassword(_ context.Context, _, user, pass string) error {
	if p[user] == pass && pass != "" {
		return nil
	}
	return errors.New("bad password")
}

// echoHandler answers GET ECHO x with "* ECHO x" and fails everything else.
type echoHandler struct{ restarts int }

func (h *echoHandler) Command(_ context.Context, _ *Session, verb, key string, arg dlist.Value) ([]Item, error) {
	if verb == "GET" && key == "ECHO" {
		return []Item{{Key: "ECHO", Value: arg}}, nil
	}
	return nil, &RemoteError{Code: CodeMailboxNonexistent}
}
func (h *echoHandler) Files(*Session) dlist.FileFunc { return nil }
func (h *echoHandler) Restart(*Session)              { h.restarts++ }

// serve starts one of our servers on loopback and returns its port.
func serve(t *testing.T, transport Transport, opts ServerOptions) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if transport == IMAP {
					ServeIMAP(ctx, nc, opts)
				} else {
					ServeCSync(ctx, nc, opts)
				}
			}()
		}
	}()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func TestOurClientOurServer(t *testing.T) {
	for _, tc := range []struct {
		name        string
		transport   Transport
		opts        ClientOptions
		compression string
	}{
		{"csync-lz4", CSync, ClientOptions{}, LZ4},
		{"csync-deflate", CSync, ClientOptions{NoLZ4: true}, Deflate},
		{"csync-plain", CSync, ClientOptions{NoCompression: true}, ""},
		{"csync-login", CSync, ClientOptions{Mechs: []string{"LOGIN"}}, LZ4},
		{"imap", IMAP, ClientOptions{TryIMAP: true}, ""},
		{"imap-login", IMAP, ClientOptions{TryIMAP: true, Mechs: []string{"LOGIN"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &echoHandler{}
			var strace bytes.Buffer
			port := serve(t, tc.transport, ServerOptions{ServerName: "replica.test", Admins: []string{"repl"},
				Auth: passwords{"repl": "secret"}, AllowPlaintext: true, Handler: h,
				Trace: &Tracer{W: &strace}})
			o := tc.opts
			o.Target, _ = ParseTarget("127.0.0.1:" + port)
			o.AuthName, o.Password = "repl", "secret"
			var ctrace bytes.Buffer
			o.Trace = &Tracer{W: &ctrace}
			c, err := Dial(context.Background(), o)
			if err != nil {
				t.Fatalf("Dial: %v\nclient:\n%s\nserver:\n%s", err, ctrace.String(), strace.String())
			}
			if c.Transport != tc.transport || c.Compression() != tc.compression || !c.SieveMailbox() {
				t.Errorf("transport %v compression %q sieve %v", c.Transport, c.Compression(), c.SieveMailbox())
			}
			// A big value exercises literals and the compression layers.
			big := strings.Repeat("8-bit \xc3\xa9 and \"quotes\" ", 5000)
			want := dlist.KVList(dlist.KV{Key: "A", Value: dlist.String(big)}, dlist.KV{Key: "N", Value: dlist.Uint64(1 << 40)})
			for i := 0; i < 3; i++ {
				resp, err := c.Command(context.Background(), "GET", "ECHO", want)
				if err != nil || len(resp.Items) != 1 || !dlist.Equal(resp.Items[0].Value, want) {
					t.Fatalf("GET ECHO: %v %v", resp, err)
				}
			}
			_, err = c.Command(context.Background(), "APPLY", "MAILBOX", dlist.KVList())
			if !errors.Is(err, ErrCode(CodeMailboxNonexistent)) {
				t.Errorf("APPLY: %v", err)
			}
			if err := c.Noop(context.Background()); err != nil {
				t.Error(err)
			}
			if err := c.Restart(context.Background()); err != nil {
				t.Error(err)
			}
			c.Close()
			time.Sleep(50 * time.Millisecond)
			if h.restarts < 2 {
				t.Errorf("handler restarts = %d, want RESTART and the end of the session", h.restarts)
			}
		})
	}
}

func TestServerRefusals(t *testing.T) {
	var logs syncBuf
	port := serve(t, CSync, ServerOptions{ServerName: "r", Admins: []string{"repl"},
		Auth: passwords{"repl": "secret", "fred": "pw"}, AllowPlaintext: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	target, _ := ParseTarget("127.0.0.1:" + port)
	if _, err := Dial(context.Background(), ClientOptions{Target: target, AuthName: "repl", Password: "nope"}); err == nil {
		t.Error("a wrong password logged in")
	}
	// A non-admin logs in but may do nothing.
	// The client goes on without the features, as Cyrus's does.
	c, err := Dial(context.Background(), ClientOptions{Target: target, AuthName: "fred", Password: "pw", NoCompression: true})
	if err != nil {
		t.Fatalf("non-admin: %v", err)
	}
	if c.SieveMailbox() {
		t.Error("non-admin: SIEVE-MAILBOX enabled")
	}
	if _, err := c.Do(context.Background(), &ApplyCapabilities{Features: []string{"SIEVE-MAILBOX"}}); !errors.Is(err, ErrCode(CodeRemoteDenied)) {
		t.Errorf("non-admin: APPLY CAPABILITIES must be refused: %v", err)
	}
	c.Close()
	if !strings.Contains(logs.String(), "fred is not an admin") || !strings.Contains(logs.String(), "badlogin:") {
		t.Errorf("refusals not logged:\n%s", logs.String())
	}
	// Commands before login.
	nc, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	conn := NewConn(nc)
	for {
		l, _ := conn.ReadLine()
		if strings.HasPrefix(l, "* OK") {
			break
		}
	}
	for cmd, want := range map[string]string{
		"GET USER fred":   "NO Please authenticate first",
		"FROB":            "BAD IMAP_PROTOCOL_ERROR Unrecognized command",
		"noop":            "OK Noop completed",
		"NOOP extra":      "BAD Unexpected extra arguments to Noop",
		"COMPRESS BROTLI": "NO Unknown compression algorithm: BROTLI",
		"":                "BAD Null command",
	} {
		conn.WriteLine("%s", cmd)
		if got, _ := conn.ReadLine(); got != want {
			t.Errorf("%q: got %q, want %q", cmd, got, want)
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
