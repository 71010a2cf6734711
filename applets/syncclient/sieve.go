package syncclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// ensureSieveFolder is do_user_main's first step: a user whose scripts
// are still "<name>.script" files in the sieve directory (a server
// upgraded from a Cyrus before 3.5, the user not back on ManageSieve
// since) gets the #sieve mailbox with the scripts moved in, on the
// master and under Cyrus's locks, before the user's mailboxes are listed
// — so the scripts replicate as #sieve. A user without a sieve directory
// is left alone. As in Cyrus the outcome does not stop the sync; a
// failure is logged. The sync log gets what Cyrus's library writes: an
// APPEND line for each script stored, then MAILBOX for the new #sieve.
//
// cyrus: imap/sync_support.c do_user_main; imap/sieve_db.c
// sieve_ensure_folder (3.6.1)
func (s *syncer) ensureSieveFolder(ctx context.Context, userid string) {
	name := s.sp.SieveMailbox(userid)
	created, migrated, err := s.sp.EnsureSieveFolder(ctx, userid, false)
	if s.synclog != nil {
		// store_script's append_commit, then the mailbox's close
		for range migrated {
			s.synclog.Log(ctx, synclog.Append(name))
		}
	}
	if created {
		s.logMailbox(name)
	}
	switch {
	case err == nil, errors.Is(err, spool.ErrLocked):
		// Cyrus gives up silently when the namespace lock is taken.
	case !created:
		s.log.Error(fmt.Sprintf("IOERROR: failed to create %s (%s)", name, errText(err)), "mailbox", name)
	default:
		s.log.Error("moving the sieve scripts into "+name+" failed", "user", userid, "error", err)
	}
}
