package syncserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// The legacy sieve commands, which clients without SIEVE-MAILBOX (Cyrus
// before 3.6) send instead of replicating the #sieve mailbox. Each makes
// sure #sieve exists (moving legacy script files in), changes it as
// ManageSieve would, and logs META <user>.
//
// cyrus: imap/sync_support.c sync_apply_sieve, sync_apply_unsieve,
// sync_apply_activate_sieve, sync_apply_unactivate_sieve, sync_sieve_upload,
// sync_sieve_delete, sync_sieve_activate (3.6.1)
func (r *replica) applySieve(ctx context.Context, q protocol.Request) error {
	var userid string
	var op func() (bool, error)
	switch q := q.(type) {
	case *protocol.ApplySieve:
		if !strings.HasSuffix(q.Sieve.FileName, ".script") {
			return nil // anything but a script is ignored
		}
		userid = q.Sieve.UserID
		op = func() (bool, error) { return r.sp.ApplySieve(ctx, userid, q.Sieve.FileName, q.Sieve.Content) }
	case *protocol.ApplyUnsieve:
		userid = q.UserID
		if q.Activate {
			op = func() (bool, error) { return r.sp.ActivateSieve(ctx, userid, q.FileName) }
		} else {
			if !strings.HasSuffix(q.FileName, ".script") {
				return nil
			}
			op = func() (bool, error) { return r.sp.UnSieve(ctx, userid, q.FileName) }
		}
	case *protocol.ApplyUnactivateSieve:
		userid = q.UserID
		op = func() (bool, error) { return r.sp.DeactivateSieve(ctx, userid) }
	}
	if _, _, err := r.sp.EnsureSieveFolder(ctx, userid, true); err != nil {
		r.log.Error(fmt.Sprintf("Failed to open Sieve mailbox for %s", userid), "user", userid, "error", err)
		return err
	}
	changed, err := op()
	if err != nil {
		return err
	}
	if changed {
		r.logItem(ctx, synclog.TypeMeta, userid)
	}
	return nil
}
