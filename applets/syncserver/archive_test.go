package syncserver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// TestShouldArchive: mailbox_should_archive's rules, in its order.
func TestShouldArchive(t *testing.T) {
	now := time.Unix(2_000_000_000, 0)
	old, recent := now.AddDate(0, 0, -8).Unix(), now.AddDate(0, 0, -6).Unix()
	mail := &spool.Entry{Name: "user.fred"}
	for _, c := range []struct {
		what  string
		extra []string
		e     *spool.Entry
		rec   index.Record
		want  bool
	}{
		{"archiving off", nil, mail, index.Record{InternalDate: old, Size: 1 << 30}, false},
		{"already archived", nil, mail, index.Record{InternalFlags: index.FlagArchived}, true},
		{"recent and small", []string{}, mail, index.Record{InternalDate: recent, Size: 100}, false},
		{"old", []string{}, mail, index.Record{InternalDate: old, Size: 100}, true},
		{"large", []string{}, mail, index.Record{InternalDate: recent, Size: 1 << 20}, true},
		{"below archive_maxsize", []string{"archive_maxsize: 2048"}, mail, index.Record{InternalDate: recent, Size: 1 << 20}, false},
		{"DELETED mailbox", []string{}, &spool.Entry{Name: "DELETED.user.fred.6553F100"}, index.Record{InternalDate: recent, Size: 100}, true},
		{"calendar", []string{}, &spool.Entry{Name: "user.fred.#calendars.Default", Type: spool.KindCalendar}, index.Record{InternalDate: old, Size: 100}, false},
		{"flagged, kept", []string{"archive_keepflagged: 1"}, mail, index.Record{InternalDate: old, Size: 100, SystemFlags: index.FlagFlagged}, false},
		{"flagged", []string{}, mail, index.Record{InternalDate: old, Size: 100, SystemFlags: index.FlagFlagged}, true},
		{"archive_days, deprecated", []string{"archive_days: 30"}, mail, index.Record{InternalDate: old, Size: 100}, false},
	} {
		extra := c.extra
		if extra != nil {
			extra = append([]string{"archive_enabled: 1", "archivepartition-default: " + filepath.Join(t.TempDir(), "a")}, extra...)
		}
		srv, _ := newTestServer(t, extra...)
		if got := shouldArchive(srv.spool.Config(), c.e, &c.rec, now); got != c.want {
			t.Errorf("%s: %v, want %v", c.what, got, c.want)
		}
	}
}
