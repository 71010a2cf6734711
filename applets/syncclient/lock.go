package syncclient

import (
	"context"
	"sort"
	"strings"

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
// gives an error wrapping spool.ErrLocked, and nothing stays locked.
func lockUsers(ctx context.Context, sp *spool.Spool, servername string, users []string, nonblock bool) (userLocks, error) {
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
			held.release()
			return nil, err
		}
		held = append(held, l)
	}
	return held, nil
}
