package protocol

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// rawSession runs one csync session on a pipe and returns the client end.
func rawSession(t *testing.T, opts ServerOptions) (*bufio.Reader, net.Conn, <-chan error) {
	t.Helper()
	c, s := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- ServeCSync(context.Background(), s, opts) }()
	t.Cleanup(func() { c.Close() })
	return bufio.NewReader(c), c, done
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	go func() { s, err := r.ReadString('\n'); ch <- res{s, err} }()
	select {
	case x := <-ch:
		if x.err != nil {
			return "<" + x.err.Error() + ">"
		}
		return strings.TrimRight(x.s, "\r\n")
	case <-time.After(5 * time.Second):
		t.Fatal("no line within 5s")
	}
	return ""
}

// TestPreAuth: a peer the transport authenticated (a UNIX socket in Cyrus)
// gets only the greeting and may replicate at once.
func TestPreAuth(t *testing.T) {
	r, c, _ := rawSession(t, ServerOptions{ServerName: "replica", PreAuth: "cyrus", Handler: &echoHandler{}})
	if l := readLine(t, r); !strings.HasPrefix(l, "* OK replica Cyrus sync server") {
		t.Fatalf("banner %q", l)
	}
	c.Write([]byte("GET ECHO hello\r\n"))
	if l := readLine(t, r); l != "* ECHO hello" {
		t.Fatalf("reply %q", l)
	}
	if l := readLine(t, r); l != "OK success" {
		t.Fatalf("status %q", l)
	}
}

// TestShutdown: closing Shutdown while the session waits for a command
// sends "BYE shutting down" (no "*") and ends it, as Cyrus on SIGTERM.
func TestShutdown(t *testing.T) {
	shutdown := make(chan struct{})
	r, c, done := rawSession(t, ServerOptions{ServerName: "replica", PreAuth: "cyrus", Handler: &echoHandler{}, Shutdown: shutdown})
	readLine(t, r)
	c.Write([]byte("NOOP\r\n"))
	if l := readLine(t, r); l != "OK Noop completed" {
		t.Fatalf("%q", l)
	}
	close(shutdown)
	if l := readLine(t, r); l != "BYE shutting down" {
		t.Fatalf("after shutdown: %q", l)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("session: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("session did not end")
	}
}

// TestHangup: closing Hangup while idle drops the session without a word
// (Cyrus 3.6 on SIGHUP).
func TestHangup(t *testing.T) {
	hangup := make(chan struct{})
	r, _, done := rawSession(t, ServerOptions{ServerName: "replica", PreAuth: "cyrus", Handler: &echoHandler{}, Hangup: hangup})
	readLine(t, r)
	time.Sleep(50 * time.Millisecond) // idle in the read
	close(hangup)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("session: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("session did not end")
	}
	if l := readLine(t, r); !strings.HasPrefix(l, "<") {
		t.Fatalf("a line after hangup: %q", l)
	}
}
