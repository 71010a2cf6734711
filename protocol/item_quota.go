package protocol

import (
	"math"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// Quota is a quota root's limits: the `* QUOTA` reply item of GET USER and
// GET QUOTA, and the argument of APPLY QUOTA.
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

// unlimitedLimit is how LIMIT carries "no storage limit": the unsigned
// image of -1.
const unlimitedLimit = math.MaxUint32

// quotaWire is a QUOTA kvlist key by key: each resource name of both
// vocabularies has its own slot, which Quota's Limits merge. Res is in
// Cyrus's emission order: STORAGE, MESSAGE, then for annotation storage
// and folders the RFC 9208 name (3.10+ only) before the legacy one.
type quotaWire struct {
	Root      string
	Limit     uint32
	Res       [6]uint32
	HasRes    uint8 // bit i: Res[i] is on the wire
	Modseq    uint64
	HasModseq bool
	Extra     []Extra
}

// quotaRes are the slots in quotaWire.Res of each resource (in the order
// of spool.QuotaResources) by its legacy and its RFC 9208 name; STORAGE
// and MESSAGE are the same in both vocabularies.
//
// cyrus: imap/quota_db.c quota_names (3.6.1), legacy_quota_names (3.10.3)
var quotaRes = [4]struct{ legacy, rfc int }{{0, 0}, {1, 1}, {3, 2}, {5, 4}}

// resKey is the resource key in slot i of quotaWire.Res.
func resKey(key string, i int) field[quotaWire] {
	return u32Key(key, func(q *quotaWire) *uint32 { return &q.Res[i] }).
		when(bitCond(func(q *quotaWire) *uint8 { return &q.HasRes }, 1<<i))
}

// quotaTable: ROOT is required (as sync_apply_quota requires it), the other
// keys optional; LIMIT is always sent, each resource key when its limit is
// set, MODSEQ when HasModseq.
var quotaTable = newTable("QUOTA", func(q *quotaWire) *[]Extra { return &q.Extra },
	strKey("ROOT", func(q *quotaWire) *string { return &q.Root }).required(),
	u32Key("LIMIT", func(q *quotaWire) *uint32 { return &q.Limit }),
	resKey("STORAGE", 0),
	resKey("MESSAGE", 1),
	resKey("ANNOTATION-STORAGE", 2),
	resKey("X-ANNOTATION-STORAGE", 3),
	resKey("MAILBOX", 4),
	resKey("X-NUM-FOLDERS", 5),
	u64Key("MODSEQ", func(q *quotaWire) *uint64 { return &q.Modseq }).when(flagCond(func(q *quotaWire) *bool { return &q.HasModseq })),
)

// Key returns "QUOTA".
func (q *Quota) Key() string { return "QUOTA" }

// ParseQuota decodes a QUOTA kvlist. Resources start unlimited, LIMIT
// sets storage, each resource key overrides, an RFC 9208 name over the
// legacy one.
func ParseQuota(v dlist.Value) (*Quota, error) {
	w := quotaWire{Limit: unlimitedLimit}
	if err := quotaTable.parseInto(&w, v, nil); err != nil {
		return nil, err
	}
	q := &Quota{Root: w.Root, Limits: [4]int64{-1, -1, -1, -1}, Modseq: w.Modseq, HasModseq: w.HasModseq, Extra: w.Extra}
	if w.Limit != unlimitedLimit {
		q.Limits[0] = int64(w.Limit)
	}
	for i, s := range quotaRes {
		switch {
		case w.HasRes&(1<<s.rfc) != 0:
			q.Limits[i] = int64(w.Res[s.rfc])
			if s.rfc != s.legacy {
				q.RFC9208 = true
			}
		case w.HasRes&(1<<s.legacy) != 0:
			q.Limits[i] = int64(w.Res[s.legacy])
		}
	}
	return q, nil
}

// Value encodes %(ROOT r LIMIT n <resource n>… MODSEQ m).
func (q *Quota) Value() dlist.Value {
	w := quotaWire{Root: q.Root, Limit: unlimitedLimit, Modseq: q.Modseq, HasModseq: q.HasModseq, Extra: q.Extra}
	if q.Limits[0] >= 0 {
		w.Limit = uint32(q.Limits[0])
	}
	for i, l := range q.Limits {
		if l < 0 {
			continue
		}
		s := quotaRes[i]
		w.Res[s.legacy], w.HasRes = uint32(l), w.HasRes|1<<s.legacy
		if q.RFC9208 {
			w.Res[s.rfc], w.HasRes = uint32(l), w.HasRes|1<<s.rfc
		}
	}
	return quotaTable.encode(&w, nil)
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
