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
