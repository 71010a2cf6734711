package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool/davdb"
	"github.com/cyrus-replication/cyrus-replication/spool/skiplist"
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

// touchConversations310 does what opening the conversations database in
// Cyrus 3.10's mailbox rename does to a user without one (conversations
// off or not): the new name's owner gets an empty conversations.db, in
// the conversations_db backend. Nothing for Cyrus 3.6, which opens it only
// when conversations are on, nor for a shared mailbox, which has none.
//
// cyrus: imap/mailbox.c mailbox_rename_nocopy; imap/conversations.c
// conversations_open_path (3.10.2)
func (s *Spool) touchConversations310(newname string) error {
	owner := s.layout.NS.UserIDOf(newname)
	if !s.cfg.Version.AtLeast(conf.V3_10) || owner == "" {
		return nil
	}
	path, err := s.UserFilePath(owner, "conversations")
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := s.mkdirAllOwned(filepath.Dir(path)); err != nil {
		return fmt.Errorf("spool: conversations.db of %s: %w", owner, err)
	}
	switch backend := s.cfg.DBBackend("conversations_db"); backend {
	case "skiplist": // the default
		created, err := skiplist.CreateEmpty(path, time.Now())
		if err != nil {
			return fmt.Errorf("spool: conversations.db of %s: %w", owner, err)
		}
		if created {
			s.giveToLockOwner(path)
		}
	case "twoskip":
		tx, err := s.beginKV(path, "conversations_db", true)
		if err != nil {
			return fmt.Errorf("spool: conversations.db of %s: %w", owner, err)
		}
		tx.abort()
		s.giveToLockOwner(path)
	default:
		return fmt.Errorf("spool: conversations.db of %s: conversations_db %s: %w", owner, backend, ErrUnsupported)
	}
	return nil
}

// deleteTombstoneType is the mbtype of the entry a delete leaves: Cyrus
// 3.6 writes a bare DELETED (INTERMEDIATE when the mailbox has children),
// 3.10 keeps the mailbox's own type bits (its LEGACY_DIRS among them)
// under the marker.
//
// cyrus: imap/mboxlist.c mboxlist_deletemailbox (3.6.1, 3.10.2)
func (s *Spool) deleteTombstoneType(mailbox MBType, kids bool) MBType {
	marker := TypeDeleted
	if kids {
		marker = TypeIntermediate
	}
	if s.cfg.Version.AtLeast(conf.V3_10) {
		return mailbox | marker
	}
	return marker
}
