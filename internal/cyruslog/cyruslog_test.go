package cyruslog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"log/syslog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog/cyruslogtest"
)

// TestErrorAttributeReachesSyslog: the error a caller passes as an
// attribute is on the line sent to the syslog socket; the context
// attributes are not.
func TestErrorAttributeReachesSyslog(t *testing.T) {
	h, next := cyruslogtest.Catch(t, cyruslog.Options{Tag: "cyrus/sync_server", Facility: syslog.LOG_MAIL})
	log := slog.New(h)
	bad := errors.New("dlist: unexpected end of line")

	log.Error("IOERROR: received bad command", "command", "Apply", "error", bad)
	got := next()
	want := cyruslogtest.Line{Facility: syslog.LOG_MAIL, Severity: syslog.LOG_ERR, Tag: "cyrus/sync_server",
		Msg: "IOERROR: received bad command error=<dlist: unexpected end of line>"}
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
			log.Log(context.Background(), cyruslog.LevelNotice, "Reprocessing sync log file /x/log-run", "channel", "c", "user", "u")
		}, "Reprocessing sync log file /x/log-run"},
		{"trailing newline", func() { log.Info("line\n") }, "line"},
	} {
		c.log()
		if got := next().Msg; got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// TestXsyslogLines: Cyrus's xsyslog form, func=<…> at the severities
// Cyrus adds it, error attributes as fields before it.
func TestXsyslogLines(t *testing.T) {
	h, next := cyruslogtest.Catch(t, cyruslog.Options{Tag: "cyrus/sync_client", Facility: syslog.LOG_LOCAL6})
	log := slog.New(h)
	guid := "4a4f2b0aaf0ad1d3a0c6ee9b2ba9ca9ce8e2b0b9"
	for _, c := range []struct {
		log  func()
		sev  syslog.Priority
		want string
	}{
		{func() {
			cyruslog.Xsyslog(log, cyruslog.LevelErr, "SYNCNOTICE: record only exists on master", "mailbox_update_loop",
				"mailbox", "user.fred", "uid", uint32(7), "guid", guid)
		}, syslog.LOG_ERR, "SYNCNOTICE: record only exists on master: mailbox=<user.fred> uid=<7> guid=<" + guid + "> func=<mailbox_update_loop>"},
		{func() {
			cyruslog.Xsyslog(log, cyruslog.LevelNotice, "SYNCNOTICE: uidvalidity higher on replica, updating", "mailbox_full_update",
				"mailbox", "user.fred", "olduidvalidity", 5, "newuidvalidity", int64(6))
		}, syslog.LOG_NOTICE, "SYNCNOTICE: uidvalidity higher on replica, updating: mailbox=<user.fred> olduidvalidity=<5> newuidvalidity=<6> "},
		{func() { cyruslog.Xsyslog(log, cyruslog.LevelInfo, "starting", "main") }, syslog.LOG_INFO, "starting: "},
		{func() { cyruslog.Xsyslog(log, cyruslog.LevelWarning, "odd", "f") }, syslog.LOG_WARNING, "odd: func=<f>"},
		{func() {
			cyruslog.Xsyslog(log, cyruslog.LevelErr, "IOERROR: mailbox open failed", "find_reserve_all",
				"mboxname", "user.fred", "error", "Mailbox does not exist")
		}, syslog.LOG_ERR, "IOERROR: mailbox open failed: mboxname=<user.fred> error=<Mailbox does not exist> func=<find_reserve_all>"},
		{func() {
			cyruslog.Xsyslog(log.With("user", "fred", "error", errors.New("short read")), cyruslog.LevelErr,
				"IOERROR: received bad command", "cmdloop", "command", "Apply")
		}, syslog.LOG_ERR, "IOERROR: received bad command: command=<Apply> error=<short read> func=<cmdloop>"},
		{func() {
			cyruslog.Xsyslog(log, cyruslog.LevelErr, "IOERROR: parse response failed", "fetch_file", "error", errors.New("EOF"))
		}, syslog.LOG_ERR, "IOERROR: parse response failed: error=<EOF> func=<fetch_file>"},
	} {
		c.log()
		got := next()
		if got.Msg != c.want || got.Severity != c.sev || got.Facility != syslog.LOG_LOCAL6 {
			t.Errorf("got %v %v %q\nwant %v %v %q", got.Facility, got.Severity, got.Msg, syslog.LOG_LOCAL6, c.sev, c.want)
		}
	}
}

// TestDebugAndStderr: LOG_DEBUG lines only with Debug; each line also on
// Stderr, as the syslog line reads.
func TestDebugAndStderr(t *testing.T) {
	var stderr bytes.Buffer
	h, next := cyruslogtest.Catch(t, cyruslog.Options{Tag: "t", Facility: syslog.LOG_MAIL, Stderr: &stderr})
	log := slog.New(h)
	log.Debug("hidden")
	log.Error("shown", "error", errors.New("why"))
	if got := next(); got.Msg != "shown error=<why>" {
		t.Errorf("got %q: the debug line went out?", got.Msg)
	}
	if stderr.String() != "shown error=<why>\n" {
		t.Errorf("stderr %q", stderr.String())
	}

	h, next = cyruslogtest.Catch(t, cyruslog.Options{Tag: "t", Facility: syslog.LOG_MAIL, Debug: true})
	slog.New(h).Debug("IMAP transport failed, trying csync", "error", errors.New("refused"))
	if got := next(); got.Msg != "IMAP transport failed, trying csync error=<refused>" || got.Severity != syslog.LOG_DEBUG {
		t.Errorf("got %+v", got)
	}
}

// TestNoSocket: without a syslog socket lines are dropped, as syslog(3)
// drops them, and Stderr still has them.
func TestNoSocket(t *testing.T) {
	var stderr bytes.Buffer
	h := cyruslog.NewHandler(cyruslog.Options{Network: "unixgram", Addr: filepath.Join(t.TempDir(), "none"), Stderr: &stderr})
	if err := slog.New(h).Handler().Handle(context.Background(), slog.NewRecord(time.Now(), cyruslog.LevelErr, "x", 0)); err != nil {
		t.Errorf("Handle: %v", err)
	}
	if stderr.String() != "x\n" {
		t.Errorf("stderr %q", stderr.String())
	}
}

func TestSeverity(t *testing.T) {
	for l, want := range map[slog.Level]syslog.Priority{
		cyruslog.LevelDebug - 4: syslog.LOG_DEBUG, cyruslog.LevelDebug: syslog.LOG_DEBUG, cyruslog.LevelInfo: syslog.LOG_INFO,
		cyruslog.LevelInfo + 1: syslog.LOG_INFO, cyruslog.LevelNotice: syslog.LOG_NOTICE, cyruslog.LevelWarning: syslog.LOG_WARNING,
		cyruslog.LevelErr: syslog.LOG_ERR, cyruslog.LevelCrit: syslog.LOG_CRIT, cyruslog.LevelAlert: syslog.LOG_ALERT,
		cyruslog.LevelEmerg: syslog.LOG_EMERG, cyruslog.LevelEmerg + 8: syslog.LOG_EMERG,
	} {
		if got := cyruslog.Severity(l); got != want {
			t.Errorf("cyruslog.Severity(%v) = %v, want %v", l, got, want)
		}
	}
	if !(cyruslog.LevelInfo < cyruslog.LevelNotice && cyruslog.LevelNotice < cyruslog.LevelWarning) {
		t.Error("LOG_NOTICE is not between Info and Warn")
	}
}

func TestFacility(t *testing.T) {
	for name, want := range map[string]syslog.Priority{"mail": syslog.LOG_MAIL, "LOCAL6": syslog.LOG_LOCAL6, "Daemon": syslog.LOG_DAEMON} {
		if got, ok := cyruslog.Facility(name); !ok || got != want {
			t.Errorf("cyruslog.Facility(%q) = %v %v", name, got, ok)
		}
	}
	if _, ok := cyruslog.Facility("LOCAL8"); ok {
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
		if got := cyruslog.Strerror(c.err); got != c.want {
			t.Errorf("cyruslog.Strerror(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// TestConcurrentRecords: records logged at once through one derived logger
// each get their own error attributes (run with -race).
func TestConcurrentRecords(t *testing.T) {
	var stderr syncWriter
	h := cyruslog.NewHandler(cyruslog.Options{Network: "unixgram", Addr: filepath.Join(t.TempDir(), "none"), Stderr: &stderr})
	// three errors: their slice has room for a fourth
	log := slog.New(h).With("error", errors.New("base"), "e0", os.ErrClosed, "e1", os.ErrClosed)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				log.Error("x", "e2", fmt.Errorf("%d.%d", i, j))
			}
		}()
	}
	wg.Wait()
	want := map[string]bool{}
	for i := range 8 {
		for j := range 50 {
			want[fmt.Sprintf("x error=<base> e0=<file already closed> e1=<file already closed> e2=<%d.%d>", i, j)] = true
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
		if !want[l] {
			t.Errorf("unexpected line %q", l)
		}
		delete(want, l)
	}
	if len(want) != 0 {
		t.Errorf("%d lines missing", len(want))
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
func (w *syncWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.b.String() }

// TestLine: Line is what the handler sends.
func TestLine(t *testing.T) {
	var got []string
	log := slog.New(recorder(func(r slog.Record) { got = append(got, cyruslog.Line(r)) }))
	cyruslog.Xsyslog(log, cyruslog.LevelErr, "IOERROR: couldn't find index record", "copy_remote", "uid", uint32(4))
	log.Log(context.Background(), cyruslog.LevelNotice, "graceful shutdown", "user", "fred")
	log.Error("IOERROR: APPLY MAILBOX failed", "error", os.ErrClosed)
	want := []string{"IOERROR: couldn't find index record: uid=<4> func=<copy_remote>", "graceful shutdown",
		"IOERROR: APPLY MAILBOX failed error=<file already closed>"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

type recorder func(slog.Record)

func (f recorder) Enabled(context.Context, slog.Level) bool      { return true }
func (f recorder) Handle(_ context.Context, r slog.Record) error { f(r); return nil }
func (f recorder) WithAttrs([]slog.Attr) slog.Handler            { return f }
func (f recorder) WithGroup(string) slog.Handler                 { return f }
