package syncserver

import (
	"errors"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// getQuota is GET QUOTA (and GET USER's quota items): the root's limits,
// nothing if the root does not exist.
//
// cyrus: imap/sync_support.c sync_get_quota, quota_work (3.6.1, 3.10.2)
func (r *replica) getQuota(root string, out *reply) error {
	q, err := r.sp.Quota(root)
	if errors.Is(err, spool.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	out.add(protocol.QuotaFor(q, r.srv.env.Config.Version))
	return nil
}
