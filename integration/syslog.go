package integration

import (
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SyslogLine is one message caught on /dev/log.
type SyslogLine struct {
	// Facility and Severity come from the <PRI> field.
	Facility, Severity int
	// Ident is the tag before "[pid]"; PID is the pid (0 if none).
	Ident string
	PID   int
	// Msg is the text.
	Msg string
}

// Syslog catches what is sent to /dev/log during a test. It needs /dev/log
// to be free (no syslog daemon), as on the project's machines; it fails the
// test otherwise rather than read someone's system log.
type Syslog struct {
	mu    sync.Mutex
	lines []SyslogLine
	conn  *net.UnixConn
}

var syslogRe = regexp.MustCompile(`^<(\d+)>(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d )?([^\[:]+)(?:\[(\d+)\])?: (.*)$`)

// CatchSyslog binds /dev/log until the test ends. Where a syslog daemon
// owns /dev/log, its socket is moved aside for the test and put back after
// (lines logged meanwhile by others come to us and are dropped).
func CatchSyslog(t *testing.T) *Syslog {
	t.Helper()
	if _, err := os.Lstat("/dev/log"); err == nil {
		saved := "/dev/log.cyrepl-test"
		if err := os.Rename("/dev/log", saved); err != nil {
			t.Fatalf("/dev/log is taken and cannot be moved aside: %v", err)
		}
		t.Cleanup(func() { os.Rename(saved, "/dev/log") })
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "/dev/log", Net: "unixgram"})
	if err != nil {
		t.Fatalf("bind /dev/log: %v", err)
	}
	os.Chmod("/dev/log", 0o666)
	s := &Syslog{conn: c}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			m := syslogRe.FindStringSubmatch(strings.TrimRight(string(buf[:n]), "\n\x00"))
			if m == nil {
				continue
			}
			pri, _ := strconv.Atoi(m[1])
			pid, _ := strconv.Atoi(m[3])
			s.mu.Lock()
			s.lines = append(s.lines, SyslogLine{Facility: pri / 8, Severity: pri % 8, Ident: m[2], PID: pid, Msg: m[4]})
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); os.Remove("/dev/log"); <-done })
	return s
}

// Take waits briefly for messages to arrive and returns (and forgets)
// those of ident.
func (s *Syslog) Take(ident string) []SyslogLine {
	time.Sleep(200 * time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out, rest []SyslogLine
	for _, l := range s.lines {
		if strings.HasSuffix(l.Ident, ident) {
			out = append(out, l)
		} else {
			rest = append(rest, l)
		}
	}
	s.lines = rest
	return out
}
