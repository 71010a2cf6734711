// Package cyruslogtest catches the syslog lines of a cyruslog.Handler on a
// unix datagram socket of the test's own, so that tests see the lines as
// they leave the process, without root and without /dev/log.
package cyruslogtest

import (
	"log/syslog"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// Line is one line received.
type Line struct {
	Facility, Severity syslog.Priority
	Tag, Msg           string
}

// datagram is what log/syslog sends to a unix socket, as to /dev/log:
// "<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG\n".
var datagram = regexp.MustCompile(`^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ([^\[:]+)\[\d+\]: (.*)\n$`)

// Catch binds a unix datagram socket in t.TempDir() and returns a handler
// logging to it as o says (o.Network and o.Addr are set), and a function
// returning the next line received; it fails the test after 5 s without
// one.
func Catch(t testing.TB, o cyruslog.Options) (*cyruslog.Handler, func() Line) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("bind %s: %v", path, err)
	}
	t.Cleanup(func() { c.Close() })
	o.Network, o.Addr = "unixgram", path
	h := cyruslog.NewHandler(o)
	t.Cleanup(func() { h.Close() })
	next := func() Line {
		t.Helper()
		buf := make([]byte, 64<<10)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no syslog line: %v", err)
		}
		m := datagram.FindStringSubmatch(string(buf[:n]))
		if m == nil {
			t.Fatalf("not a syslog datagram: %q", buf[:n])
		}
		pri, _ := strconv.Atoi(m[1])
		return Line{Facility: syslog.Priority(pri &^ 7), Severity: syslog.Priority(pri & 7), Tag: m[2], Msg: m[3]}
	}
	return h, next
}
