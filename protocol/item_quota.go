package protocol

import (
	"math"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// Quota is a quota root's limits: the `* QUOTA` reply item of GET USER and
// GET QUOTA, and the argument of APPLY QUOTA (protocol.md §4.6.4).
// Both the 3.6 resource names (X-ANNOTATION-STORAGE, X-NUM-FOLDERS) and
// the RFC 9208 names of 3.10+ (ANNOTATION-STORAGE, MAILBOX) are read, the
// latter preferred.
//
// cyrus: imap/sync_support.c sync_encode_quota_limits,
// sync_decode_quota_limits, print_quota (3.6.1, 3.10.3)
type Quota struct {
	// Root is ROOT, the quota root.
	Root string
	// Limits are the limits by resource, in the order of
	// spool.QuotaResources (storage KiB, messages, annotation storage
	// KiB, folders); -1 means unlimited. LIMIT carries Limits[0].
	Limits [4]int64
	// Modseq is MODSEQ.
	Modseq uint64
	// HasModseq tells whether MODSEQ is on the wire (always from Cyrus;
	// optional on input).
	HasModseq bool
	// RFC9208 sends the 3.10+ names followed by the legacy ones, as a
	// 3.10+ Cyrus does; ParseQuota sets it when the RFC 9208 names came.
	RFC9208 bool
	// Extra holds keys of newer Cyrus versions.
	Extra []Extra
}

// legacyQuotaNames and rfcQuotaNames are the resource keys by resource.
//
// cyrus: imap/quota_db.c quota_names (3.6.1), legacy_quota_names (3.10.3)
var (
	legacyQuotaNames = [4]string{"STORAGE", "MESSAGE", "X-ANNOTATION-STORAGE", "X-NUM-FOLDERS"}
	rfcQuotaNames    = [4]string{"STORAGE", "MESSAGE", "ANNOTATION-STORAGE", "MAILBOX"}
)

// unlimitedLimit is how LIMIT carries "no storage limit": the unsigned
// image of -1.
const unlimitedLimit = math.MaxUint32

// Key returns "QUOTA".
func (q *Quota) Key() string { return "QUOTA" }

// ParseQuota decodes a QUOTA kvlist. ROOT is required; resources start
// unlimited, LIMIT sets storage, each resource key overrides.
func ParseQuota(v dlist.Value) (*Quota, error) {
	q := &Quota{Limits: [4]int64{-1, -1, -1, -1}}
	r := kvReader{}
	if !r.begin("QUOTA", v) {
		return nil, r.result()
	}
	var legacy, rfc [4]int64
	var hasLegacy, hasRFC [4]bool
	limit := int64(-1)
	for _, kv := range v.Pairs() {
		switch kv.Key {
		case "ROOT":
			if r.first(0, kv) {
				q.Root = r.str(kv)
			}
		case "LIMIT":
			if r.first(1, kv) {
				if n := r.u32(kv); n != unlimitedLimit {
					limit = int64(n)
				}
			}
		case "MODSEQ":
			if r.first(2, kv) {
				q.Modseq, q.HasModseq = r.u64(kv), true
			}
		default:
			res, bit := quotaKey(kv.Key)
			if res < 0 {
				r.keep(kv)
				continue
			}
			if !r.first(bit, kv) {
				continue
			}
			n := int64(r.u32(kv))
			if bit >= 7 {
				rfc[res], hasRFC[res] = n, true
				q.RFC9208 = true
			} else {
				legacy[res], hasLegacy[res] = n, true
			}
		}
	}
	r.require([]string{"ROOT"}, 0)
	q.Limits[0] = limit
	for i := range q.Limits {
		switch {
		case hasRFC[i]:
			q.Limits[i] = rfc[i]
		case hasLegacy[i]:
			q.Limits[i] = legacy[i]
		}
	}
	q.Extra = r.extra
	if err := r.result(); err != nil {
		return nil, err
	}
	return q, nil
}

// quotaKey returns the resource index and reader bit of a resource key, or
// -1. STORAGE and MESSAGE are the same in both vocabularies.
func quotaKey(key string) (res int, bit uint) {
	switch key {
	case "STORAGE":
		return 0, 3
	case "MESSAGE":
		return 1, 4
	case "X-ANNOTATION-STORAGE":
		return 2, 5
	case "X-NUM-FOLDERS":
		return 3, 6
	case "ANNOTATION-STORAGE":
		return 2, 7
	case "MAILBOX":
		return 3, 8
	}
	return -1, 0
}

// Value encodes %(ROOT r LIMIT n <resource n>… MODSEQ m).
func (q *Quota) Value() dlist.Value {
	w := newKVWriter(8, q.Extra)
	w.add("ROOT", dlist.String(q.Root))
	if q.Limits[0] < 0 {
		w.add("LIMIT", dlist.Uint32(unlimitedLimit))
	} else {
		w.add("LIMIT", dlist.Uint32(uint32(q.Limits[0])))
	}
	for i, l := range q.Limits {
		if l < 0 {
			continue
		}
		n := dlist.Uint32(uint32(l))
		if q.RFC9208 {
			w.add(rfcQuotaNames[i], n)
			if legacyQuotaNames[i] != rfcQuotaNames[i] {
				w.add(legacyQuotaNames[i], n)
			}
		} else {
			w.add(legacyQuotaNames[i], n)
		}
	}
	if q.HasModseq {
		w.add("MODSEQ", dlist.Uint64(q.Modseq))
	}
	return w.value()
}

// QuotaFromSpool returns the QUOTA Cyrus 3.6 sends for q.
func QuotaFromSpool(q *spool.Quota) *Quota {
	out := &Quota{Root: q.Root, Modseq: q.Modseq, HasModseq: true}
	for i, res := range spool.QuotaResources {
		out.Limits[i] = -1
		if l, ok := q.Limit[res]; ok && l >= 0 {
			out.Limits[i] = l
		}
	}
	return out
}

// ToSpool converts to the spool model (limits only: usage is not sent).
func (q *Quota) ToSpool() *spool.Quota {
	out := &spool.Quota{Root: q.Root, Used: map[string]int64{}, Limit: map[string]int64{}, Modseq: q.Modseq}
	for i, res := range spool.QuotaResources {
		if q.Limits[i] >= 0 {
			out.Limit[res] = q.Limits[i]
		}
	}
	return out
}
