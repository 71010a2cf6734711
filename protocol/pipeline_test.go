package protocol

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// rootHandler answers APPLY UNQUOTA: OK, but NO for the root "bad"; it
// records the roots in the order it saw them.
type rootHandler struct {
	mu    sync.Mutex
	roots []string
}

func (h *rootHandler) Command(_ context.Context, _ *Session, verb, key string, arg dlist.Value) ([]Item, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.roots = append(h.roots, arg.Text())
	if arg.Text() == "bad" {
		return nil, &RemoteError{Code: CodeMailboxNonexistent}
	}
	return nil, nil
}
func (h *rootHandler) Files(*Session) dlist.FileFunc { return nil }
func (h *rootHandler) Restart(*Session)              {}

// TestPipelineOurServer sends commands back to back to our server, one of
// them failing, and reads the replies in order: each error belongs to its
// own command, the ones after it are processed, and a waiting command is
// refused while replies are unread.
func TestPipelineOurServer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		transport Transport
		opts      ClientOptions
	}{
		{"csync-lz4", CSync, ClientOptions{}},
		{"csync-deflate", CSync, ClientOptions{NoLZ4: true}},
		{"csync-plain", CSync, ClientOptions{NoCompression: true}},
		{"imap", IMAP, ClientOptions{TryIMAP: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &rootHandler{}
			port := serve(t, tc.transport, ServerOptions{ServerName: "replica.test", Admins: []string{"repl"},
				Auth: passwords{"repl": "secret"}, AllowPlaintext: true, Handler: h})
			o := tc.opts
			o.Target, _ = ParseTarget("127.0.0.1:" + port)
			o.AuthName, o.Password = "repl", "secret"
			ctx := context.Background()
			c, err := Dial(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var roots []string
			var sent []*Pending
			for i := 0; i < 10; i++ {
				root := fmt.Sprintf("r%d", i)
				if i == 4 {
					root = "bad"
				}
				roots = append(roots, root)
				p, err := c.Send(ctx, &ApplyUnquota{Root: root}, nil)
				if err != nil {
					t.Fatal(err)
				}
				sent = append(sent, p)
			}
			if c.InFlight() != 10 {
				t.Errorf("InFlight = %d", c.InFlight())
			}
			if err := c.Noop(ctx); err == nil {
				t.Error("NOOP with replies unread: no error")
			}
			if _, err := c.Receive(ctx, sent[1]); err == nil {
				t.Error("Receive out of order: no error")
			}
			for i, p := range sent {
				_, err := c.Receive(ctx, p)
				if (i == 4) != errors.Is(err, ErrCode(CodeMailboxNonexistent)) || i != 4 && err != nil {
					t.Errorf("reply %d: %v", i, err)
				}
			}
			if err := c.Noop(ctx); err != nil {
				t.Errorf("NOOP after the replies: %v", err)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if fmt.Sprint(h.roots) != fmt.Sprint(roots) {
				t.Errorf("server saw %v, want %v", h.roots, roots)
			}
		})
	}
}

// TestPipelineAhead sends commands ahead between pipelined ones: Receive
// and waiting commands read past them, keeping their replies (a NO
// included) for Collect, in any order; InFlight does not count them.
func TestPipelineAhead(t *testing.T) {
	h := &rootHandler{}
	port := serve(t, CSync, ServerOptions{ServerName: "replica.test", Admins: []string{"repl"},
		Auth: passwords{"repl": "secret"}, AllowPlaintext: true, Handler: h})
	o := ClientOptions{AuthName: "repl", Password: "secret"}
	o.Target, _ = ParseTarget("127.0.0.1:" + port)
	ctx := context.Background()
	c, err := Dial(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send := func(root string, ahead bool) *Pending {
		t.Helper()
		send := c.Send
		if ahead {
			send = c.SendAhead
		}
		p, err := send(ctx, &ApplyUnquota{Root: root}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a1 := send("a1", true)
	p1 := send("p1", false)
	bad := send("bad", true)
	p2 := send("p2", false)
	a2 := send("a2", true)
	if c.InFlight() != 2 {
		t.Errorf("InFlight = %d, want 2", c.InFlight())
	}
	if _, err := c.Collect(ctx, p1); err == nil {
		t.Error("Collect of a command not sent ahead: no error")
	}
	if _, err := c.Collect(ctx, a2); err == nil {
		t.Error("Collect past an unreceived reply: no error")
	}
	for _, p := range []*Pending{p1, p2} {
		if _, err := c.Receive(ctx, p); err != nil {
			t.Errorf("Receive %v: %v", p, err)
		}
	}
	if _, err := c.Collect(ctx, a1); err != nil {
		t.Errorf("a1: %v", err)
	}
	if len(c.pending) != 1 || c.pending[0] != a2 {
		t.Error("Collect of a reply already read read another")
	}
	if err := c.Noop(ctx); err != nil {
		t.Errorf("NOOP with only replies sent ahead unread: %v", err)
	}
	if _, err := c.Collect(ctx, a2); err != nil {
		t.Errorf("a2: %v", err)
	}
	if _, err := c.Collect(ctx, bad); !errors.Is(err, ErrCode(CodeMailboxNonexistent)) {
		t.Errorf("bad: %v, want its NO", err)
	}
	if _, err := c.Collect(ctx, a1); err != nil {
		t.Errorf("a1: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if got := fmt.Sprint(h.roots); got != "[a1 p1 bad p2 a2]" {
		t.Errorf("server saw %v", got)
	}
}
