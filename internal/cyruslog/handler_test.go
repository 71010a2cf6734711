package cyruslog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"log/syslog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// caught is one datagram received on a test syslog socket.
type caught struct {
	facility, severity syslog.Priority
	tag, msg           string
}

// datagram is what log/syslog sends to a unix socket, as to /dev/log:
// "<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG\n".
var datagram = regexp.MustCompile(`^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ([^\[:]+)\[\d+\]: (.*)\n$`)

// catch binds a unix datagram socket in a temporary directory and returns
// a handler logging to it as o says, and a function returning the next
// line received.
func catch(t *testing.T, o Options) (*Handler, func() caught) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("bind %s: %v", path, err)
	}
	t.Cleanup(func() { c.Close() })
	o.Network, o.Addr = "unixgram", path
	h := NewHandler(o)
	t.Cleanup(func() { h.Close() })
	next := func() caught {
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
		return caught{facility: syslog.Priority(pri &^ 7), severity: syslog.Priority(pri & 7), tag: m[2], msg: m[3]}
	}
	return h, next
}

// TestErrorAttributeReachesSyslog: the error a caller passes as an
// attribute is on the line sent to the syslog socket; the context
// attributes are not.
func TestErrorAttributeReachesSyslog(t *testing.T) {
	h, next := catch(t, Options{Tag: "cyrus/sync_server", Facility: syslog.LOG_MAIL})
	log := slog.New(h)
	bad := errors.New("dlist: unexpected end of line")

	log.Error("IOERROR: received bad command", "command", "Apply", "error", bad)
	got := next()
	want := caught{syslog.LOG_MAIL, syslog.LOG_ERR, "cyrus/sync_server",
		"IOERROR: received bad command error=<dlist: unexpected end of line>"}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	for _, c := range []struct {
		name string
		log  func()
		want string
	}{
		{"key other than error, error value", func() {
			log.Warn("lost", "cause", fmt.Errorf("open: %w", fs.ErrNotExist), "user", "fred")
		}, "lost cause=<open: file does not exist>"},
		{"error key, string value", func() { log.Info("sieve", "error", "Sieve script compilation failure") },
			"sieve error=<Sieve script compilation failure>"},
		{"nil error", func() { log.Info("fine", "error", nil) }, "fine"},
		{"from With, then the record's", func() {
			log.With("mailbox", "user.fred", "error", bad).Error("copy back failed", "err2", os.ErrClosed)
		}, "copy back failed error=<dlist: unexpected end of line> err2=<file already closed>"},
		{"in a group", func() {
			log.WithGroup("session").Error("gone", slog.Group("conn", "error", bad, "host", "h"))
		}, "gone error=<dlist: unexpected end of line>"},
		{"context attributes only", func() {
			log.Log(context.Background(), LevelNotice, "Reprocessing sync log file /x/log-run", "channel", "c", "user", "u")
		}, "Reprocessing sync log file /x/log-run"},
		{"trailing newline", func() { log.Info("line\n") }, "line"},
	} {
		c.log()
		if got := next().msg; got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// TestXsyslogLines: Cyrus's xsyslog form, func=<…> at the severities
// Cyrus adds it, error attributes as fields before it.
func TestXsyslogLines(t *testing.T) {
	h, next := catch(t, Options{Tag: "cyrus/sync_client", Facility: syslog.LOG_LOCAL6})
	log := slog.New(h)
	guid := "4a4f2b0aaf0ad1d3a0c6ee9b2ba9ca9ce8e2b0b9"
	for _, c := range []struct {
		log  func()
		sev  syslog.Priority
		want string
	}{
		{func() {
			Xsyslog(log, LevelErr, "SYNCNOTICE: record only exists on master", "mailbox_update_loop",
				"mailbox", "user.fred", "uid", uint32(7), "guid", guid)
		}, syslog.LOG_ERR, "SYNCNOTICE: record only exists on master: mailbox=<user.fred> uid=<7> guid=<" + guid + "> func=<mailbox_update_loop>"},
		{func() {
			Xsyslog(log, LevelNotice, "SYNCNOTICE: uidvalidity higher on replica, updating", "mailbox_full_update",
				"mailbox", "user.fred", "olduidvalidity", 5, "newuidvalidity", int64(6))
		}, syslog.LOG_NOTICE, "SYNCNOTICE: uidvalidity higher on replica, updating: mailbox=<user.fred> olduidvalidity=<5> newuidvalidity=<6> "},
		{func() { Xsyslog(log, LevelInfo, "starting", "main") }, syslog.LOG_INFO, "starting: "},
		{func() { Xsyslog(log, LevelWarning, "odd", "f") }, syslog.LOG_WARNING, "odd: func=<f>"},
		{func() {
			Xsyslog(log, LevelErr, "IOERROR: mailbox open failed", "find_reserve_all",
				"mboxname", "user.fred", "error", "Mailbox does not exist")
		}, syslog.LOG_ERR, "IOERROR: mailbox open failed: mboxname=<user.fred> error=<Mailbox does not exist> func=<find_reserve_all>"},
		{func() {
			Xsyslog(log.With("user", "fred", "error", errors.New("short read")), LevelErr,
				"IOERROR: received bad command", "cmdloop", "command", "Apply")
		}, syslog.LOG_ERR, "IOERROR: received bad command: command=<Apply> error=<short read> func=<cmdloop>"},
		{func() {
			Xsyslog(log, LevelErr, "IOERROR: parse response failed", "fetch_file", "error", errors.New("EOF"))
		}, syslog.LOG_ERR, "IOERROR: parse response failed: error=<EOF> func=<fetch_file>"},
	} {
		c.log()
		got := next()
		if got.msg != c.want || got.severity != c.sev || got.facility != syslog.LOG_LOCAL6 {
			t.Errorf("got %v %v %q\nwant %v %v %q", got.facility, got.severity, got.msg, syslog.LOG_LOCAL6, c.sev, c.want)
		}
	}
}

// TestDebugAndStderr: LOG_DEBUG lines only with Debug; each line also on
// Stderr, as the syslog line reads.
func TestDebugAndStderr(t *testing.T) {
	var stderr bytes.Buffer
	h, next := catch(t, Options{Tag: "t", Facility: syslog.LOG_MAIL, Stderr: &stderr})
	log := slog.New(h)
	log.Debug("hidden")
	log.Error("shown", "error", errors.New("why"))
	if got := next(); got.msg != "shown error=<why>" {
		t.Errorf("got %q: the debug line went out?", got.msg)
	}
	if stderr.String() != "shown error=<why>\n" {
		t.Errorf("stderr %q", stderr.String())
	}

	h, next = catch(t, Options{Tag: "t", Facility: syslog.LOG_MAIL, Debug: true})
	slog.New(h).Debug("IMAP transport failed, trying csync", "error", errors.New("refused"))
	if got := next(); got.msg != "IMAP transport failed, trying csync error=<refused>" || got.severity != syslog.LOG_DEBUG {
		t.Errorf("got %+v", got)
	}
}

// TestNoSocket: without a syslog socket lines are dropped, as syslog(3)
// drops them, and Stderr still has them.
func TestNoSocket(t *testing.T) {
	var stderr bytes.Buffer
	h := NewHandler(Options{Network: "unixgram", Addr: filepath.Join(t.TempDir(), "none"), Stderr: &stderr})
	if err := slog.New(h).Handler().Handle(context.Background(), slog.NewRecord(time.Now(), LevelErr, "x", 0)); err != nil {
		t.Errorf("Handle: %v", err)
	}
	if stderr.String() != "x\n" {
		t.Errorf("stderr %q", stderr.String())
	}
}

func TestSeverity(t *testing.T) {
	for l, want := range map[slog.Level]syslog.Priority{
		LevelDebug - 4: syslog.LOG_DEBUG, LevelDebug: syslog.LOG_DEBUG, LevelInfo: syslog.LOG_INFO,
		LevelInfo + 1: syslog.LOG_INFO, LevelNotice: syslog.LOG_NOTICE, LevelWarning: syslog.LOG_WARNING,
		LevelErr: syslog.LOG_ERR, LevelCrit: syslog.LOG_CRIT, LevelAlert: syslog.LOG_ALERT,
		LevelEmerg: syslog.LOG_EMERG, LevelEmerg + 8: syslog.LOG_EMERG,
	} {
		if got := Severity(l); got != want {
			t.Errorf("Severity(%v) = %v, want %v", l, got, want)
		}
	}
	if !(LevelInfo < LevelNotice && LevelNotice < LevelWarning) {
		t.Error("LOG_NOTICE is not between Info and Warn")
	}
}

func TestFacility(t *testing.T) {
	for name, want := range map[string]syslog.Priority{"mail": syslog.LOG_MAIL, "LOCAL6": syslog.LOG_LOCAL6, "Daemon": syslog.LOG_DAEMON} {
		if got, ok := Facility(name); !ok || got != want {
			t.Errorf("Facility(%q) = %v %v", name, got, ok)
		}
	}
	if _, ok := Facility("LOCAL8"); ok {
		t.Error("LOCAL8 is a facility?")
	}
}

func TestStrerror(t *testing.T) {
	_, openErr := os.Open("/nonexistent/x")
	for _, c := range []struct {
		err  error
		want string
	}{
		{openErr, "No such file or directory"},
		{fmt.Errorf("lock: %w", &os.PathError{Op: "flock", Path: "/x", Err: os.ErrClosed}), "file already closed"},
		{errors.New("plain"), "plain"},
	} {
		if got := Strerror(c.err); got != c.want {
			t.Errorf("Strerror(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
