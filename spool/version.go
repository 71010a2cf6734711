package spool

import (
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool/davdb"
)

// What the spool writes differently for each Cyrus version followed
// (Config.Version). Everything else a 3.10 Cyrus writes is what 3.6 does.

// NewIndexVersion is the cyrus.index version a mailbox is created with:
// the one the Cyrus the configuration was read for writes (17 for 3.6, 19
// for 3.10). Existing indexes keep their own version whatever it is.
//
// cyrus: imap/mailbox.h MAILBOX_MINOR_VERSION (3.6.1, 3.10.2)
func (s *Spool) NewIndexVersion() uint32 {
	if s.cfg.Version.AtLeast(conf.V3_10) {
		return 19
	}
	return 17
}

// DavDBVersion is the dav.db user_version the Cyrus followed creates and
// upgrades to (14 for 3.6, 16 for 3.10); a 3.6 spool's database is never
// upgraded past what 3.6 reads.
//
// cyrus: imap/dav_db.c DB_VERSION (3.6.1, 3.10.2)
func (s *Spool) DavDBVersion() int {
	if s.cfg.Version.AtLeast(conf.V3_10) {
		return davdb.Version310
	}
	return davdb.Version
}
