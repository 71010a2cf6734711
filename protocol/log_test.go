package protocol

import (
	"log/slog"
	"log/syslog"
	"net"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog/cyruslogtest"
)

// TestBadCommandLogged: sync_server's "received bad command" lines as they
// reach syslog: Cyrus's xsyslog line for an unknown command, and for an
// argument that does not parse the same line with the decoder's error,
// which Cyrus does not log.
func TestBadCommandLogged(t *testing.T) {
	h, next := cyruslogtest.Catch(t, cyruslog.Options{Tag: "cyrus/sync_server", Facility: syslog.LOG_MAIL})
	port := serve(t, CSync, ServerOptions{ServerName: "r", Admins: []string{"repl"},
		Auth: passwords{"repl": "secret"}, AllowPlaintext: true, Logger: slog.New(h)})
	nc, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	conn := NewConn(nc)
	for {
		l, err := conn.ReadLine()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(l, "* OK") {
			break
		}
	}
	exchange := func(cmd, want string) {
		t.Helper()
		conn.WriteLine("%s", cmd)
		if got, _ := conn.ReadLine(); !strings.HasPrefix(got, want) {
			t.Fatalf("%q: got %q, want %q…", cmd, got, want)
		}
	}
	exchange("AUTHENTICATE PLAIN AHJlcGwAc2VjcmV0", "OK Success")
	if l := next(); !strings.HasPrefix(l.Msg, "login: ") || l.Severity != syslog.LOG_NOTICE {
		t.Errorf("login line: %+v", l)
	}
	exchange("FROB x", "BAD IMAP_PROTOCOL_ERROR Unrecognized command")
	if l := next(); l.Msg != "IOERROR: received bad command: command=<Frob> func=<cmdloop>" || l.Severity != syslog.LOG_ERR {
		t.Errorf("unknown command: %+v", l)
	}
	exchange("APPLY MAILBOX %x", "BAD IMAP_PROTOCOL_ERROR Failed to parse APPLY line")
	l := next()
	const prefix, suffix = "IOERROR: received bad command: command=<Apply> error=<", "> func=<cmdloop>"
	if !strings.HasPrefix(l.Msg, prefix) || !strings.HasSuffix(l.Msg, suffix) || len(l.Msg) == len(prefix)+len(suffix) {
		t.Errorf("bad argument: the error does not reach the line: %+v", l)
	}
}
