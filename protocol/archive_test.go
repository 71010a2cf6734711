package protocol

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// lineRecorder keeps the messages of a logger.
type lineRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *lineRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *lineRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, rec.Message)
	return nil
}
func (r *lineRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *lineRecorder) WithGroup(string) slog.Handler      { return r }

// TestReplicationArchiveNegotiation: sync_client -a against servers that
// do and do not know REPLICATION-ARCHIVE (3.10, 3.6) and do and do not
// archive, on both transports: Cyrus's lines, the CAPA bits of ENABLE, and
// what gets enabled. imapd 3.10 offers X-REPLICATION-ARCHIVE even when it
// will not enable it; the client then says so and goes on.
//
// cyrus: imap/sync_support.c sync_connect, sync_apply_capabilities;
// imap/imapd.c base_capabilities (3.10.2)
func TestReplicationArchiveNegotiation(t *testing.T) {
	const (
		supports = "Destination supports replication to archive"
		lacks    = "Destination doesn't support replication to archive"
		refused  = "Replication to archive requested but destination didn't enable it"
	)
	for _, tc := range []struct {
		transport        Transport
		knows, archiving bool
		ask              bool
		enable           uint
		lines            []string
		enabled          bool
	}{
		{CSync, true, true, true, 0x1800, []string{supports}, true},
		{CSync, true, false, true, 0x800, []string{lacks}, false},
		{CSync, false, true, true, 0x800, []string{lacks}, false},
		{CSync, true, true, false, 0x800, nil, false},
		{IMAP, true, true, true, 0x1800, []string{supports}, true},
		{IMAP, true, false, true, 0x1800, []string{supports, refused}, false},
		{IMAP, false, true, true, 0x800, []string{lacks}, false},
	} {
		name := fmt.Sprintf("%v/knows=%v/archiving=%v/ask=%v", tc.transport, tc.knows, tc.archiving, tc.ask)
		t.Run(name, func(t *testing.T) {
			s := &archiveHandler{}
			port := serve(t, tc.transport, ServerOptions{ServerName: "replica.test", Admins: []string{"repl"},
				Auth: passwords{"repl": "secret"}, AllowPlaintext: true, Handler: s,
				ReplicationArchive: tc.knows, ArchiveEnabled: tc.archiving})
			rec := &lineRecorder{}
			var enable uint
			o := ClientOptions{TryIMAP: tc.transport == IMAP, AuthName: "repl", Password: "secret",
				StageToArchive: tc.ask, Logger: slog.New(rec), OnEnable: func(c uint) { enable = c }}
			o.Target, _ = ParseTarget("127.0.0.1:" + port)
			c, err := Dial(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			want := append([]string{"Destination supports #sieve mailbox"}, tc.lines...)
			var got []string
			for _, l := range rec.lines {
				if strings.HasPrefix(l, "Destination") || strings.HasPrefix(l, "Replication") {
					got = append(got, l)
				}
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("lines %q, want %q", got, want)
			}
			if enable != tc.enable {
				t.Errorf("ENABLE 0x%x, want 0x%x", enable, tc.enable)
			}
			if c.ReplicationArchive() != tc.enabled {
				t.Errorf("client: enabled %v, want %v", c.ReplicationArchive(), tc.enabled)
			}
			if _, err := c.Command(context.Background(), "GET", "ARCHIVE", dlist.KVList()); err != nil {
				t.Fatal(err)
			}
			if s.archive() != tc.enabled {
				t.Errorf("server session: Archive %v, want %v", s.archive(), tc.enabled)
			}
		})
	}
}

// archiveHandler is a Handler that remembers its session's Archive at GET ARCHIVE.
type archiveHandler struct {
	mu sync.Mutex
	on bool
}

func (h *archiveHandler) Command(_ context.Context, s *Session, _, _ string, _ dlist.Value) ([]Item, error) {
	h.mu.Lock()
	h.on = s.Archive
	h.mu.Unlock()
	return nil, nil
}
func (h *archiveHandler) Files(*Session) dlist.FileFunc { return nil }
func (h *archiveHandler) Restart(*Session)              {}
func (h *archiveHandler) archive() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.on
}
