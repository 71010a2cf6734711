package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Subscription database version key and value (3.6: "2").
//
// cyrus: imap/mboxlist.c DB_VERSION_KEY, DB_VERSION_STR (3.6.1)
const (
	subsVersionKey   = "\x1FVER\x1F"
	subsVersionValue = "2"
)

// SubscriptionKey returns the key under which userid's subscription to the
// internal name intname is stored: "N" + the dbname, a leading part equal
// to the user's INBOX dbname replaced by "INBOX". 3.6.1 tests a plain
// prefix, so user matt's subscription to user.matthew.x becomes
// "NINBOXhew\x1Fx"; reading undoes it exactly.
//
// cyrus: imap/mboxlist.c mboxlist_dbname_to_key (3.6.1)
func (s *Spool) SubscriptionKey(userid, intname string) string {
	inbox := DBName(s.layout.NS.UserInbox(userid))
	db := DBName(intname)
	if rest, ok := strings.CutPrefix(db, inbox); ok {
		db = "INBOX" + rest
	}
	return "N" + db
}

// Subscribe adds intname to userid's subscriptions, as sync_server's
// APPLY SUB does (forced: the mailbox need not exist). A missing
// subscription database is created with its version key; one of a
// pre-3.6 format is upgraded first. Cyrus logs "SUB <userid> <name>" to
// the sync log for it; that is the caller's part.
//
// cyrus: imap/mboxlist.c mboxlist_changesub (add, force), mboxlist_opensubs (3.6.1)
func (s *Spool) Subscribe(ctx context.Context, userid, intname string) error {
	return s.changeSub(ctx, userid, intname, true)
}

// Unsubscribe removes intname from userid's subscriptions (APPLY UNSUB).
// A user without a subscription database is left without one.
//
// cyrus: imap/mboxlist.c mboxlist_changesub (remove) (3.6.1)
func (s *Spool) Unsubscribe(ctx context.Context, userid, intname string) error {
	return s.changeSub(ctx, userid, intname, false)
}

func (s *Spool) changeSub(ctx context.Context, userid, intname string, add bool) error {
	if userid == "" || intname == "" {
		return fmt.Errorf("spool: subscriptions: userid %q, mailbox %q: both are needed", userid, intname)
	}
	path, err := s.SubscriptionsPath(userid)
	if err != nil {
		return err
	}
	key := []byte(s.SubscriptionKey(userid, intname))
	upgrade, err := subsNeedUpgrade(path)
	if errors.Is(err, os.ErrNotExist) && !add {
		return nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: subscriptions of %s: %w", userid, err)
	}
	if upgrade {
		// Cyrus takes this lock before the database's own.
		l, err := s.Lock(ctx, "$SUBS_UPGRADE$"+userid, true)
		if err != nil {
			return err
		}
		defer l.Release()
	}
	tx, err := s.beginKV(path, "subscription_db", add)
	if errors.Is(err, os.ErrNotExist) {
		return nil // removed meanwhile: nothing to unsubscribe
	}
	if err != nil {
		return fmt.Errorf("spool: subscriptions of %s: %w", userid, err)
	}
	if err := s.upgradeSubs(tx, userid); err != nil {
		tx.abort()
		return fmt.Errorf("spool: subscriptions of %s: %s: %w", userid, path, err)
	}
	if add {
		err = tx.store(key, nil)
	} else {
		err = tx.del(key)
	}
	if err != nil {
		tx.abort()
		return fmt.Errorf("spool: subscriptions of %s: %s: %w", userid, path, err)
	}
	if err := tx.commit(); err != nil {
		return fmt.Errorf("spool: subscriptions of %s: %w", userid, err)
	}
	return nil
}

// subsNeedUpgrade reports whether the subscription file at path lacks the
// version key (a pre-3.6 file, or an empty one).
func subsNeedUpgrade(path string) (bool, error) {
	db, err := openKV(path)
	if err != nil {
		return false, err
	}
	_, ok, err := db.get([]byte(subsVersionKey))
	return !ok, err
}

// upgradeSubs gives a database without version key the 3.6 form: every
// key, an internal mailbox name, becomes its subscription key, and the
// version key is added. A new (empty) database just gets the version key.
//
// cyrus: imap/mboxlist.c mboxlist_upgrade_subs_work, _upgrade_subs_cb (3.6.1)
func (s *Spool) upgradeSubs(tx kvTx, userid string) error {
	if _, ok, err := tx.get([]byte(subsVersionKey)); ok || err != nil {
		return err
	}
	type pair struct{ k, v []byte }
	var old []pair
	err := tx.forEach(func(k, v []byte) error {
		old = append(old, pair{append([]byte(nil), k...), append([]byte(nil), v...)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range old {
		if err := tx.del(p.k); err != nil {
			return err
		}
	}
	if err := tx.store([]byte(subsVersionKey), []byte(subsVersionValue)); err != nil {
		return err
	}
	for _, p := range old {
		if err := tx.store([]byte(s.SubscriptionKey(userid, string(p.k))), p.v); err != nil {
			return err
		}
	}
	return nil
}
