package syncclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// fakeOps records the operations a log file becomes and fails those
// listed in fail ("USER fred" → its error).
type fakeOps struct {
	calls []string
	fail  map[string]error
}

func (f *fakeOps) op(call string) error {
	f.calls = append(f.calls, call)
	return f.fail[call]
}

func (f *fakeOps) doMailboxes(_ context.Context, names []string) error {
	return f.op("MAILBOXES " + strings.Join(names, " "))
}
func (f *fakeOps) doQuotaItem(_ context.Context, root string) error { return f.op("QUOTA " + root) }
func (f *fakeOps) doAnnotationItem(_ context.Context, name string) error {
	return f.op("ANNOTATION " + name)
}
func (f *fakeOps) doSeenItem(_ context.Context, u, id string) error {
	return f.op("SEEN " + u + " " + id)
}
func (f *fakeOps) doSubItem(_ context.Context, u, m string) error { return f.op("SUB " + u + " " + m) }
func (f *fakeOps) doUnmailboxItem(_ context.Context, name string) error {
	return f.op("UNMAILBOX " + name)
}
func (f *fakeOps) doMeta(_ context.Context, u string) error   { return f.op("META " + u) }
func (f *fakeOps) doUser(_ context.Context, u string) error   { return f.op("USER " + u) }
func (f *fakeOps) doUnuser(_ context.Context, u string) error { return f.op("UNUSER " + u) }
func (f *fakeOps) restart(context.Context) error              { return f.op("RESTART") }

// parseItems reads log lines as the rolling loop does.
func parseItems(t *testing.T, text string) []synclog.Item {
	t.Helper()
	items, err := synclog.ReadAll(synclog.NewParser(strings.NewReader(text), "test"), func(m *synclog.Malformed) {
		t.Fatalf("malformed test line: %v", m)
	})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// decisionSyncer is a syncer on the fixture spool whose deferrals go to
// channel's log ("" for no -n).
func decisionSyncer(t *testing.T, channel string) (*syncer, *syslogLines, *masterSpool) {
	t.Helper()
	m := newMasterSpool(t)
	logs := &syslogLines{}
	log := slog.New(logs)
	return &syncer{cfg: m.cfg, ns: m.cfg.Namespace(), sp: m.sp, o: &Options{Channel: channel}, log: log,
		stdout: io.Discard, synclog: synclog.NewWriter(m.cfg, log)}, logs, m
}

var (
	errOther  = errors.New("some failure")
	errLocked = fmt.Errorf("sync lock: %w", spool.ErrLocked)
)

// TestLogOrderAndRedundancy: the execution order of §7.3, groups sorted
// by user with DOUBLEMAILBOX and RENAME names kept together, duplicates
// once, items a USER, UNUSER or META covers dropped, and an unknown item
// logged and skipped.
func TestLogOrderAndRedundancy(t *testing.T) {
	s, logs, _ := decisionSyncer(t, "")
	ops := &fakeOps{}
	items := parseItems(t, `USER a
MAILBOX user.b.x
APPEND user.b
MAILBOX shared.x
SEEN c 0123abcd
SUB c user.c.f
META c
SEEN d 4567
SUB d user.d
QUOTA user.d
ANNOTATION user.d
ANNOTATION ""
UNMAILBOX user.e.gone
UNUSER f
USER f
META f
DOUBLEMAILBOX user.b.x user.g
RENAME user.h.a user.i.b
MAILBOX user.h.a
ACL user.b fred
USER a
mailbox user.b.x
SIEVE g
UNSUB d user.d.y
`)
	if err := s.runLog(context.Background(), items, ops); err != nil {
		t.Fatalf("runLog: %v", err)
	}
	want := []string{
		"MAILBOXES shared.x", "RESTART",
		"MAILBOXES user.b.x user.b user.g", "RESTART",
		"MAILBOXES user.h.a user.i.b", "RESTART",
		"MAILBOXES user.h.a user.i.b", "RESTART",
		"QUOTA user.d", "ANNOTATION user.d", "ANNOTATION ",
		"SEEN d 4567", "SUB d user.d", "SUB d user.d.y",
		"UNMAILBOX user.e.gone",
		"META c", "META g",
		"USER a", "RESTART",
		"UNUSER f",
	}
	if got := strings.Join(ops.calls, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if got := strings.Join(logs.lines, "|"); got != "ERR Unknown action type: ACL|DEBUG sync_mailboxes: doing 1|"+
		"DEBUG sync_mailboxes: doing 3|DEBUG sync_mailboxes: doing 2|DEBUG sync_mailboxes: doing 2" {
		t.Errorf("syslog: %s", got)
	}
}

// TestLogPromotion: failed items become USER or META syncs later in the
// same file, with Cyrus's syslog lines; a USER an UNUSER had dropped comes
// back where it was.
func TestLogPromotion(t *testing.T) {
	s, logs, _ := decisionSyncer(t, "")
	ops := &fakeOps{fail: map[string]error{
		"MAILBOXES user.b.x user.b": errOther,
		"QUOTA user.q":              errOther,
		"ANNOTATION user.r.s":       errOther,
		"SEEN s 0123":               errOther,
		"SEEN t user.t":             errOther,
		"SUB u user.u.f":            errOther,
		"META m":                    errOther,
	}}
	items := parseItems(t, "USER b\nUNUSER b\nUSER z\nMAILBOX user.b.x\nAPPEND user.b\nQUOTA user.q\nANNOTATION user.r.s\n"+
		"SEEN s 0123\nSEEN t user.t\nSUB u user.u.f\nMETA m\n")
	if err := s.runLog(context.Background(), items, ops); err != nil {
		t.Fatalf("runLog: %v", err)
	}
	want := []string{"MAILBOXES user.b.x user.b", "RESTART", "QUOTA user.q", "ANNOTATION user.r.s", "SEEN s 0123", "SEEN t user.t",
		"SUB u user.u.f", "META m", "META s", "META u",
		"USER b", "RESTART", "USER z", "RESTART", "USER q", "RESTART", "USER r", "RESTART", "USER t", "RESTART",
		"USER m", "RESTART", "UNUSER b"}
	if got := strings.Join(ops.calls, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	wantLogs := []string{
		"DEBUG sync_mailboxes: doing 2",
		"INFO   Promoting: MAILBOX user.b.x -> USER b", "INFO   Promoting: MAILBOX user.b -> USER b",
		"INFO   Promoting: QUOTA user.q -> USER q", "INFO   Promoting: ANNOTATION user.r.s -> USER r",
		"INFO   Promoting: SEEN s 0123 -> META s", "INFO   Promoting: SEEN t user.t -> USER t",
		"INFO   Promoting: SUB u user.u.f -> META u", "INFO   Promoting: META m -> USER m",
	}
	if got := strings.Join(logs.lines, "|"); got != strings.Join(wantLogs, "|") {
		t.Errorf("syslog:\n%q\nwant:\n%q", logs.lines, wantLogs)
	}
}

// TestLogFailures: what keeps the file (an error result) and what does
// not, including Cyrus's quirks: the last mailbox group's result wins, the
// server annotation's result is only overwritten by a later item, a shared
// mailbox cannot be promoted; BYE aborts without "bailing out".
func TestLogFailures(t *testing.T) {
	bye := protocol.ErrBye
	invalid := &protocol.RemoteError{Code: protocol.CodeInvalidUser, Text: "IMAP_INVALID_USER No Such User"}
	for _, tc := range []struct {
		name  string
		items string
		fail  map[string]error
		calls string
		err   error
		bail  bool
	}{
		{"shared group fails, a later group succeeds: file done", "MAILBOX shared.x\nMAILBOX user.a\n",
			map[string]error{"MAILBOXES shared.x": errOther},
			"MAILBOXES shared.x|MAILBOXES user.a|RESTART", nil, false},
		{"last group shared: file kept", "MAILBOX shared.x\nUSER a\n",
			map[string]error{"MAILBOXES shared.x": errOther}, "MAILBOXES shared.x", errOther, true},
		{"user groups promoted: file done", "MAILBOX user.a\n",
			map[string]error{"MAILBOXES user.a": errOther}, "MAILBOXES user.a|RESTART|USER a|RESTART", nil, false},
		{"RESTART after a group fails", "MAILBOX user.a\nUSER b\n",
			map[string]error{"RESTART": errOther}, "MAILBOXES user.a|RESTART", errOther, true},
		{"BYE in a group", "MAILBOX user.a\nQUOTA user.a\n",
			map[string]error{"MAILBOXES user.a": bye}, "MAILBOXES user.a", bye, false},
		{"BYE in QUOTA", "QUOTA user.a\nUSER b\n", map[string]error{"QUOTA user.a": bye}, "QUOTA user.a", bye, false},
		{"shared quota root cannot be promoted", "QUOTA shared\nUSER b\n",
			map[string]error{"QUOTA shared": errOther}, "QUOTA shared", errOther, true},
		{"server annotation ignored, but its error stays", "ANNOTATION \"\"\n",
			map[string]error{"ANNOTATION ": errOther}, "ANNOTATION ", errOther, true},
		{"server annotation error overwritten by a later item", "ANNOTATION \"\"\nUNUSER x\n",
			map[string]error{"ANNOTATION ": errOther}, "ANNOTATION |UNUSER x", nil, false},
		{"UNMAILBOX fails", "UNMAILBOX user.a.x\nUSER b\n", map[string]error{"UNMAILBOX user.a.x": errOther},
			"UNMAILBOX user.a.x", errOther, true},
		{"META invalid user", "META a\nUSER b\n", map[string]error{"META a": invalid}, "META a", invalid, true},
		{"USER fails", "USER a\nUSER b\n", map[string]error{"USER a": errOther}, "USER a", errOther, true},
		{"locked without -n is an error", "USER a\n", map[string]error{"USER a": errLocked}, "USER a", errLocked, true},
		{"UNUSER fails", "UNUSER a\nUNUSER b\n", map[string]error{"UNUSER a": errOther}, "UNUSER a", errOther, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, logs, _ := decisionSyncer(t, "")
			ops := &fakeOps{fail: tc.fail}
			err := s.runLog(context.Background(), parseItems(t, tc.items), ops)
			if err != tc.err {
				t.Errorf("result %v, want %v", err, tc.err)
			}
			if got := strings.Join(ops.calls, "|"); got != tc.calls {
				t.Errorf("calls %s, want %s", got, tc.calls)
			}
			bailed := strings.Contains(strings.Join(logs.lines, "\n"), "ERR Error in do_sync(): bailing out! ")
			if bailed != tc.bail {
				t.Errorf("bailing out logged: %v, want %v: %q", bailed, tc.bail, logs.lines)
			}
		})
	}
}

// TestLogDeferral: with -n, locked items go back to the channel's log as
// Cyrus writes them (names quoted as the writer quotes them), are logged
// "  Deferred: …" and the file is done; a deferred USER is still
// followed by RESTART. Cyrus's r stays "locked" after a deferral, so a
// deferred item that is the file's last fails the file.
func TestLogDeferral(t *testing.T) {
	s, logs, m := decisionSyncer(t, "chan")
	locked := &protocol.RemoteError{Code: protocol.CodeMailboxLocked, Text: "IMAP_MAILBOX_LOCKED Mailbox locked"}
	ops := &fakeOps{fail: map[string]error{
		"MAILBOXES user.a.b c user.a": errLocked, "USER u": locked, "QUOTA user.q": errLocked,
		"SEEN s 01": errLocked, "SUB s user.s.x": errLocked, "META m": errLocked,
		"UNMAILBOX user.x": errLocked, "ANNOTATION user.n": errLocked,
	}}
	items := parseItems(t, "MAILBOX \"user.a.b c\"\nAPPEND user.a\nUSER u\nQUOTA user.q\nSEEN s 01\n"+
		"SUB s user.s.x\nMETA m\nUNMAILBOX user.x\nANNOTATION user.n\nUSER v\n")
	if err := s.runLog(context.Background(), items, ops); err != nil {
		t.Fatalf("runLog: %v", err)
	}
	if !s.requeued {
		t.Error("requeued not set")
	}
	b, err := os.ReadFile(filepath.Join(m.dir, "conf", "sync", "chan", "log"))
	if err != nil {
		t.Fatal(err)
	}
	want := "MAILBOX \"user.a.b c\"\nMAILBOX user.a\nQUOTA user.q\nANNOTATION user.n\nSEEN s 01\nSUB s user.s.x\n" +
		"UNMAILBOX user.x\nMETA m\nUSER u\n"
	if string(b) != want {
		t.Errorf("channel log:\n%s\nwant:\n%s", b, want)
	}
	joined := strings.Join(logs.lines, "|")
	for _, l := range []string{"INFO   Deferred: MAILBOX user.a.b c", "INFO   Deferred: USER u", "INFO   Deferred: META m"} {
		if !strings.Contains(joined, l) {
			t.Errorf("syslog lacks %q: %q", l, logs.lines)
		}
	}
	if got, want := strings.Join(ops.calls, "|"), "MAILBOXES user.a.b c user.a|RESTART|QUOTA user.q|ANNOTATION user.n|SEEN s 01|"+
		"SUB s user.s.x|UNMAILBOX user.x|META m|USER u|RESTART|USER v|RESTART"; got != want {
		t.Errorf("calls %s\nwant  %s", got, want)
	}

	// The last item deferred: Cyrus's r is still IMAP_MAILBOX_LOCKED.
	s, _, _ = decisionSyncer(t, "chan")
	ops = &fakeOps{fail: map[string]error{"QUOTA user.q": errLocked}}
	if err := s.runLog(context.Background(), parseItems(t, "QUOTA user.q\n"), ops); !errors.Is(err, spool.ErrLocked) {
		t.Errorf("last item deferred: %v, want locked", err)
	}
}
