package spool

import (
	"errors"
	"fmt"
	"os"
	"strconv"
)

// FormatSeen encodes a seen record as Cyrus 3.6 writes it: version 1,
// lastread, lastuid, lastchange, then the seen set (empty leaves the
// trailing space).
//
// cyrus: imap/seen_db.c seen_write (3.6.1)
func FormatSeen(sd Seen) string {
	b := []byte("1 ")
	b = strconv.AppendInt(b, sd.LastRead, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(sd.LastUID), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, sd.LastChange, 10)
	b = append(b, ' ')
	return string(append(b, sd.SeenUIDs...))
}

// SetSeen stores userid's seen state for the mailbox sd.UniqueID,
// replacing any entry it had, as sync_server's APPLY SEEN does: the
// user's seen database (seenstate_db, twoskip by default) is created if
// missing, with its directory, and written in one transaction under the
// database's own lock. Cyrus logs "SEEN <userid> <uniqueid>" to the sync
// log for it; that is the caller's part.
//
// cyrus: imap/sync_support.c sync_apply_seen; imap/seen_db.c seen_open
// (SEEN_CREATE), seen_write, seen_close (3.6.1)
func (s *Spool) SetSeen(userid string, sd Seen) error {
	if userid == "" || sd.UniqueID == "" {
		return fmt.Errorf("spool: seen: userid %q, uniqueid %q: both are needed", userid, sd.UniqueID)
	}
	path, err := s.SeenPath(userid)
	if err != nil {
		return err
	}
	tx, err := s.beginKV(path, "seenstate_db", true)
	if err != nil {
		return fmt.Errorf("spool: seen of %s: %w", userid, err)
	}
	if err := tx.store([]byte(sd.UniqueID), []byte(FormatSeen(sd))); err != nil {
		tx.abort()
		return fmt.Errorf("spool: seen of %s for %s: %w", userid, sd.UniqueID, err)
	}
	if err := tx.commit(); err != nil {
		return fmt.Errorf("spool: seen of %s for %s: %w", userid, sd.UniqueID, err)
	}
	return nil
}

// DeleteSeen removes userid's seen entry for a mailbox, as Cyrus does when
// the mailbox goes away. A user without a seen database, or without that
// entry, is left as is.
//
// cyrus: imap/seen_db.c seen_delete_mailbox (3.6.1)
func (s *Spool) DeleteSeen(userid, uniqueid string) error {
	path, err := s.SeenPath(userid)
	if err != nil {
		return err
	}
	tx, err := s.beginKV(path, "seenstate_db", false)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("spool: seen of %s: %w", userid, err)
	}
	if err := tx.del([]byte(uniqueid)); err != nil {
		tx.abort()
		return fmt.Errorf("spool: seen of %s for %s: %w", userid, uniqueid, err)
	}
	if err := tx.commit(); err != nil {
		return fmt.Errorf("spool: seen of %s for %s: %w", userid, uniqueid, err)
	}
	return nil
}
