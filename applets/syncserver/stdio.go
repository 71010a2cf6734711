package syncserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
)

// serveStdio is the wrapper's -X: one session on stdin and stdout, no
// master. A peer that is not a socket (a pipe, a terminal) is local, hence
// the admin cyrus_user, as Cyrus's get_clienthost makes it.
//
// cyrus: master/service.c main (debug_stdio), imap/sync_server.c
// service_main (3.6.1)
func (s *server) serveStdio(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	if f, ok := stdin.(*os.File); ok {
		if c, err := net.FileConn(f); err == nil {
			s.serve(ctx, c, nil, nil)
			return nil
		}
	}
	s.serve(ctx, &stdioConn{r: stdin, w: stdout}, nil, nil)
	return nil
}

// stdioConn is a net.Conn over a reader and a writer; its addresses are a
// UNIX socket's, so the session treats the peer as local.
type stdioConn struct {
	r io.Reader
	w io.Writer
}

func (c *stdioConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *stdioConn) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c *stdioConn) Close() error                { return nil }
func (c *stdioConn) LocalAddr() net.Addr         { return &net.UnixAddr{Name: "stdin", Net: "unix"} }
func (c *stdioConn) RemoteAddr() net.Addr        { return &net.UnixAddr{Name: "stdin", Net: "unix"} }

// Deadlines cannot be set on plain readers; sync_timeout is not enforced
// in -X mode (a debugging mode).
func (c *stdioConn) SetDeadline(time.Time) error      { return nil }
func (c *stdioConn) SetReadDeadline(time.Time) error  { return nil }
func (c *stdioConn) SetWriteDeadline(time.Time) error { return nil }

// runDebugger is the wrapper's -D: debug_command, a printf format given the
// program, the pid and the service name, run by the shell.
//
// cyrus: master/service.c main (call_debugger) (3.6.1)
func runDebugger(env *cyrus.Env, argv0, service string) {
	format, ok := env.Config.String("debug_command")
	if !ok || format == "" {
		return
	}
	args := []string{argv0, strconv.Itoa(os.Getpid()), service}
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		switch format[i] {
		case 's', 'd':
			if len(args) > 0 {
				b.WriteString(args[0])
				args = args[1:]
			}
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	env.Log.Debug(fmt.Sprintf("running external debugger: %s", b.String()))
	err := exec.Command("/bin/sh", "-c", b.String()).Run()
	env.Log.Debug(fmt.Sprintf("debugger returned exit status: %v", err))
}
