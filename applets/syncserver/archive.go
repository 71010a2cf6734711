package syncserver

import (
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// shouldArchive tells whether a record appended to mailbox e goes to the
// archive partition as it is written: with archive_enabled, a message of
// archive_maxsize or more, everything in a DELETED mailbox, and messages
// older than archive_after (unless \Flagged with archive_keepflagged) —
// but never a calendar's or an addressbook's.
//
// cyrus: imap/mailbox.c mailbox_should_archive; imap/sync_support.c
// sync_append_copyfile (3.6.1, 3.10.2)
func shouldArchive(cfg *conf.Config, e *spool.Entry, rec *index.Record, now time.Time) bool {
	if rec.InternalFlags&index.FlagArchived != 0 {
		return true
	}
	if !cfg.ArchiveEnabled() {
		return false
	}
	if rec.Size >= archiveMaxSize(cfg) {
		return true
	}
	// cyrus: imap/mboxname.c mboxname_isdeletedmailbox (3.6.1): a name
	// with a delayed-delete time
	if cfg.Namespace().ParseInternal(e.Name).Deleted != 0 {
		return true
	}
	switch e.Type.Kind() {
	case spool.KindAddressbook, spool.KindCalendar:
		return false
	}
	if cfg.Switch("archive_keepflagged") && rec.SystemFlags&index.FlagFlagged != 0 {
		return false
	}
	cutoff := now.Add(-cfg.Duration("archive_after", 'd')).Unix()
	return rec.InternalDate <= cutoff
}

// archiveMaxSize is archive_maxsize in bytes: an INT of kibibytes in 3.6,
// a BYTESIZE (bare numbers in K) from 3.8 on; negative counts as 0.
func archiveMaxSize(cfg *conf.Config) uint64 {
	var n int64
	if t, _ := cfg.TypeOf("archive_maxsize"); t == conf.TypeByteSize {
		n = cfg.ByteSize("archive_maxsize", 'K')
	} else {
		n = cfg.Int("archive_maxsize") * 1024
	}
	if n < 0 {
		return 0
	}
	return uint64(n)
}
