package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// OursApplet returns a symlink named applet to our binary, as an
// administrator installs it (install-links), for cyrus.conf commands.
func OursApplet(t testing.TB, applet string) string {
	t.Helper()
	bin := Ours(t)
	link := filepath.Join(filepath.Dir(bin), applet)
	if _, err := os.Lstat(link); err != nil {
		if err := os.Symlink(bin, link); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	return link
}

// OursListening runs our sync_server --listen on addr (a UNIX socket path
// or host:port) with in's imapd.conf until the test ends, and waits until
// it accepts.
func OursListening(t testing.TB, in *Instance, addr string) {
	t.Helper()
	cmd := in.Cyrus.Command(OursApplet(t, "sync_server"), "-C", in.Conf(), "--listen", addr)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &errb, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("our sync_server did not end on TERM\n%s", errb.String())
		}
	})
	network := "tcp"
	if strings.HasPrefix(addr, "/") {
		network = "unix"
	}
	for i := 0; ; i++ {
		c, err := net.Dial(network, addr)
		if err == nil {
			c.Close()
			return
		}
		if i > 100 {
			t.Fatalf("our sync_server on %s: %v\n%s", addr, err, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// RawSession is a csync connection read and written as bytes, for
// comparing servers' replies byte for byte.
type RawSession struct {
	c net.Conn
	r *bufio.Reader
}

// DialRaw connects to a csync server on a UNIX socket (no login needed
// there) and reads its greeting.
func DialRaw(t testing.TB, socket string) *RawSession {
	t.Helper()
	c, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := &RawSession{c: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if greet, err := s.r.ReadString('\n'); err != nil || !strings.HasPrefix(greet, "* OK ") {
		t.Fatalf("greeting from %s: %q %v", socket, greet, err)
	}
	return s
}

var literalEnd = regexp.MustCompile(`(\{(\d+)\+?\}|%\{[^ ]* [0-9a-f]* (\d+)\})\r?\n$`)

// Do sends one command line and returns every line of the answer,
// literals included, up to and including the status line.
func (s *RawSession) Do(t testing.TB, line string) string {
	t.Helper()
	s.c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(s.c, line+"\r\n"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	inLine := false // the rest of a line after a literal
	for {
		l, err := s.r.ReadString('\n')
		out.WriteString(l)
		if err != nil {
			t.Fatalf("%s: %v after %q", line, err, out.String())
		}
		if m := literalEnd.FindStringSubmatch(l); m != nil {
			size, _ := strconv.Atoi(m[2] + m[3])
			buf := make([]byte, size)
			if _, err := io.ReadFull(s.r, buf); err != nil {
				t.Fatal(err)
			}
			out.Write(buf)
			inLine = true
			continue
		}
		if !inLine && !strings.HasPrefix(l, "* ") {
			return out.String()
		}
		inLine = false
	}
}

// SameReplies sends each command to both sessions and fails on any
// difference in the answers.
func SameReplies(t testing.TB, cyrus, ours *RawSession, cmds ...string) {
	t.Helper()
	for _, cmd := range cmds {
		want, got := cyrus.Do(t, cmd), ours.Do(t, cmd)
		if want != got {
			t.Errorf("%s:\n--- Cyrus's sync_server\n%s--- ours\n%s", cmd, want, got)
		} else {
			t.Logf("%s: %d bytes alike", cmd, len(got))
		}
	}
}

// csyncUnixService is the cyrus.conf line of a UNIX-socket csync listener
// running prog.
func csyncUnixService(in *Instance, name, prog, socket string) string {
	return fmt.Sprintf(`%s cmd="%s -C %s" listen="%s" prefork=0 maxchild=5`, name, prog, in.Conf(), socket)
}
