package integration

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// TestClientSessionAgainstCyrus connects our client session to a real
// Cyrus 3.6 replica on both transports (csync with and without DEFLATE, and
// imapd's X-REPLICATION), authenticates, negotiates SIEVE-MAILBOX and asks
// GET USER for a user with mail.
func TestClientSessionAgainstCyrus(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "replica")
	in.Start(t)
	in.CreateUser(t, "cassandane")
	in.Deliver(t, "cassandane", 3)

	for _, tc := range []struct {
		name        string
		port        int
		tryIMAP     bool
		noCompress  bool
		transport   protocol.Transport
		compression string
	}{
		{"csync", in.CSyncPort, false, true, protocol.CSync, ""},
		{"csync-deflate", in.CSyncPort, false, false, protocol.CSync, protocol.Deflate},
		{"imap", in.IMAPPort, true, false, protocol.IMAP, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var trace bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			target, _ := protocol.ParseTarget("127.0.0.1")
			c, err := protocol.Dial(ctx, protocol.ClientOptions{
				Target: target, Port: itoa(tc.port), TryIMAP: tc.tryIMAP,
				AuthName: SyncUser, Password: SyncPassword, NoCompression: tc.noCompress,
				Trace: &protocol.Tracer{W: &trace},
			})
			if err != nil {
				t.Fatalf("Dial: %v\n%s", err, trace.String())
			}
			defer c.Close()
			if c.Transport != tc.transport || c.Compression() != tc.compression || !c.SieveMailbox() {
				t.Errorf("transport %v compression %q sieve-mailbox %v", c.Transport, c.Compression(), c.SieveMailbox())
			}
			resp, err := c.Command(ctx, "GET", "USER", dlist.String("cassandane"))
			if err != nil {
				t.Fatalf("GET USER: %v\n%s", err, trace.String())
			}
			var inbox *dlist.Value
			for i, it := range resp.Items {
				if it.Key == "MAILBOX" {
					if name, _ := it.Value.GetString("MBOXNAME"); name == "user.cassandane" {
						inbox = &resp.Items[i].Value
					}
				}
			}
			if inbox == nil {
				t.Fatalf("no MAILBOX user.cassandane in %v\n%s", resp.Items, trace.String())
			}
			if n, err := inbox.GetUint32("LAST_UID"); err != nil || n != 3 {
				t.Errorf("LAST_UID = %d, %v; want 3", n, err)
			}
			if err := c.Noop(ctx); err != nil {
				t.Errorf("NOOP: %v", err)
			}
			if err := c.Restart(ctx); err != nil {
				t.Errorf("RESTART: %v", err)
			}
			_, err = c.Command(ctx, "GET", "FULLMAILBOX", dlist.String("user.nosuch"))
			if !errorsIsCode(err, protocol.CodeMailboxNonexistent) {
				t.Errorf("GET FULLMAILBOX of a missing mailbox: %v", err)
			}
			t.Logf("trace:\n%s", trace.String())
			if !strings.Contains(trace.String(), "C ") || !strings.Contains(trace.String(), "S ") {
				t.Errorf("trace is empty:\n%s", trace.String())
			}
		})
	}
	t.Run("bad-password", func(t *testing.T) {
		target, _ := protocol.ParseTarget("127.0.0.1:" + itoa(in.CSyncPort))
		_, err := protocol.Dial(context.Background(), protocol.ClientOptions{Target: target, AuthName: SyncUser, Password: "wrong"})
		if _, ok := err.(*protocol.AuthError); !ok {
			t.Errorf("Dial with a wrong password: %T %v", err, err)
		}
	})
}
