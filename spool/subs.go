package spool

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// SubscriptionsPath returns userid's subscription database
// (docs/spool-layout.md).
//
// cyrus: imap/user.c user_hash_subs (3.6.1)
func (s *Spool) SubscriptionsPath(userid string) (string, error) {
	return s.UserFilePath(userid, "sub")
}

// Subscriptions reads userid's subscriptions (flat by default; any backend
// detected by magic). Keys are "N" + dbname with the user's own INBOX
// dbname abbreviated to "INBOX" (3.6.1 abbreviates any name it prefixes,
// which expanding undoes exactly); the "\x1FVER\x1F" key is skipped.
//
// cyrus: imap/mboxlist.c mboxlist_changesub, _sub_dbname (3.6.1)
func (s *Spool) Subscriptions(userid string) (*Subscriptions, error) {
	path, err := s.SubscriptionsPath(userid)
	if err != nil {
		return nil, err
	}
	out := &Subscriptions{UserID: userid}
	db, err := openKV(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: subscriptions: %w", err)
	}
	inbox := DBName(s.layout.NS.UserInbox(userid))
	err = db.forEachPrefix(nil, func(k, _ []byte) error {
		key := string(k)
		if key == "\x1FVER\x1F" {
			return nil
		}
		name, ok := strings.CutPrefix(key, "N")
		if !ok {
			// Pre-3.6 files key by plain internal names.
			out.Names = append(out.Names, key)
			return nil
		}
		if rest, ok := strings.CutPrefix(name, "INBOX"); ok {
			name = inbox + rest
		}
		out.Names = append(out.Names, IntName(name))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("spool: %s: %w", path, err)
	}
	return out, nil
}
