package protocol

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// FuzzServe feeds arbitrary client bytes to both server sessions (already
// logged in as an admin is not needed: the fuzzer finds AUTHENTICATE from
// the seeds). A session must never panic or hang, whatever it is sent.
func FuzzServe(f *testing.F) {
	for _, s := range []string{
		"AUTHENTICATE PLAIN AHJlcGwAc2VjcmV0\r\nAPPLY CAPABILITIES (SIEVE-MAILBOX)\r\nGET USER fred\r\nEXIT\r\n",
		"AUTHENTICATE LOGIN\r\ncmVwbA==\r\nc2VjcmV0\r\nNOOP\r\nRESTART\r\nAPPLY MAILBOX %(UNIQUEID x MBOXNAME {3+}\r\nabc)\r\n",
		"COMPRESS DEFLATE\r\n\x00\x01garbage",
		"COMPRESS LZ4\r\n\x00\x00\x00\x05\x00\x00\x00\x05NOOP\n",
		"A01 AUTHENTICATE PLAIN AHJlcGwAc2VjcmV0\r\nS0 SYNCAPPLY CAPABILITIES (SIEVE-MAILBOX)\r\nS1 SYNCGET USER {5+}\r\nfred!\r\nQ01 LOGOUT\r\n",
		"* \r\n\r\n(((\r\nGET %(A %(B %(C\r\n",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, input string, imap bool) {
		server, client := net.Pipe()
		opts := ServerOptions{ServerName: "fuzz", Admins: []string{"repl"}, Auth: passwords{"repl": "secret"},
			AllowPlaintext: true, Handler: &echoHandler{}, Timeout: 3 * time.Second}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			if imap {
				ServeIMAP(ctx, server, opts)
			} else {
				ServeCSync(ctx, server, opts)
			}
		}()
		go io.Copy(io.Discard, client)
		client.Write([]byte(input))
		client.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("session did not end after its client went away")
		}
	})
}

// FuzzClientReply feeds arbitrary replica bytes to the client's response
// reader, on both transports: it must return (an item list or an error),
// never panic or hang.
func FuzzClientReply(f *testing.F) {
	for _, s := range []string{
		"* MAILBOX %(UNIQUEID x MBOXNAME user.fred LAST_UID 3)\r\nOK success\r\n",
		"* LSUB (user.fred {3+}\r\nabc)\r\nNO IMAP_MAILBOX_NONEXISTENT No Such Mailbox\r\n",
		"S0 OK success\r\n",
		"* MESSAGE %{default 0000000000000000000000000000000000000000 3}\r\nabc\r\nBYE shutting down\r\n",
		"BAD IMAP_PROTOCOL_ERROR\r\n",
		"* %(((((\r\n",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, reply string, imap bool) {
		ours, peer := net.Pipe()
		defer ours.Close()
		c := &Client{conn: NewConn(ours), Transport: CSync, opts: ClientOptions{Timeout: 3 * time.Second}}
		if imap {
			c.Transport = IMAP
		}
		go func() {
			defer peer.Close()
			buf := make([]byte, 4096)
			peer.Read(buf) // the command
			peer.Write([]byte(reply))
		}()
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Command(context.Background(), "GET", "USER", dlist.String("fred"))
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("client did not return")
		}
	})
}
