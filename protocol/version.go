package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// What the wire says differently for each Cyrus version followed.

// QuotaFor returns the QUOTA Cyrus version v sends for q: from 3.10 on,
// each resource under its RFC 9208 name followed by the legacy one.
//
// cyrus: imap/sync_support.c sync_encode_quota_limits (3.6.1, 3.10.2)
func QuotaFor(q *spool.Quota, v conf.Version) *Quota {
	out := QuotaFromSpool(q)
	out.RFC9208 = v.AtLeast(conf.V3_10)
	return out
}
