package syncclient

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// SyncLockName is the named lock a sync client holds while it syncs a
// user: "*S*<servername>*<userid>" with every '.' as '^'; no userid is the
// global lock, for shared mailboxes.
//
// cyrus: imap/sync_support.c _synclock_name (3.6.1)
func SyncLockName(servername, userid string) string {
	return "*S*" + strings.ReplaceAll(servername, ".", "^") + "*" + strings.ReplaceAll(userid, ".", "^")
}

// userLocks holds the sync locks of some users.
type userLocks []*spool.NamedLock

// release drops them all.
func (l userLocks) release() {
	for i := len(l) - 1; i >= 0; i-- {
		l[i].Release()
	}
}

// lockUsers takes the sync locks of users, exclusive, in sorted byte order
// (so two clients never deadlock), so that our sync_client and Cyrus's never
// sync one user at the same time. With nonblock (-N) a lock held elsewhere
// gives an error wrapping spool.ErrLocked, and nothing stays locked;
// busy, if not nil, is told the name of that lock.
func lockUsers(ctx context.Context, sp *spool.Spool, servername string, users []string, nonblock bool, busy func(name string)) (userLocks, error) {
	sorted := append([]string(nil), users...)
	sort.Strings(sorted)
	var held userLocks
	for i, u := range sorted {
		if i > 0 && u == sorted[i-1] {
			continue
		}
		var l *spool.NamedLock
		var err error
		if nonblock {
			l, err = sp.TryLock(SyncLockName(servername, u), true)
		} else {
			l, err = sp.Lock(ctx, SyncLockName(servername, u), true)
		}
		if err != nil {
			if busy != nil && errors.Is(err, spool.ErrLocked) {
				busy(SyncLockName(servername, u))
			}
			held.release()
			return nil, err
		}
		held = append(held, l)
	}
	return held, nil
}

// lockUsers is lockUsers with the syncer's settings. Serving Cyrus 3.10
// a busy lock is logged as 3.10's mboxname_lock logs every lock it
// cannot take (3.6 logs nothing).
//
// cyrus: imap/mboxname.c mboxname_lock (3.10.2)
func (s *syncer) lockUsers(ctx context.Context, users []string) (userLocks, error) {
	var busy func(string)
	if s.cfg.Version.AtLeast(conf.V3_10) {
		busy = func(name string) {
			cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "can not lock mailbox", "mboxname_lock",
				"name", name, "error", "Mailbox is locked")
		}
	}
	return lockUsers(ctx, s.sp, s.servername, users, s.o.SkipLocked, busy)
}
