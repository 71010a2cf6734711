package protocol

import "github.com/cyrus-replication/cyrus-replication/dlist"

// ApplyQuota is `APPLY QUOTA %(ROOT r LIMIT n … MODSEQ m)`: set a quota
// root's limits.
//
// cyrus: imap/sync_support.c update_quota_work, sync_apply_quota (3.6.1)
type ApplyQuota struct {
	// Quota is the argument.
	Quota *Quota
}

// Verb returns "APPLY".
func (a *ApplyQuota) Verb() string { return "APPLY" }

// Key returns "QUOTA".
func (a *ApplyQuota) Key() string { return "QUOTA" }

// Value encodes the quota.
func (a *ApplyQuota) Value() dlist.Value { return a.Quota.Value() }

// ParseApplyQuota decodes the argument of APPLY QUOTA.
func ParseApplyQuota(v dlist.Value) (*ApplyQuota, error) {
	q, err := ParseQuota(v)
	if err != nil {
		return nil, err
	}
	return &ApplyQuota{Quota: q}, nil
}

// ApplyUnquota is `APPLY UNQUOTA <root>`: remove a quota root.
//
// cyrus: imap/sync_support.c delete_quota, sync_apply_unquota (3.6.1)
type ApplyUnquota struct {
	// Root is the quota root.
	Root string
}

// Verb returns "APPLY".
func (a *ApplyUnquota) Verb() string { return "APPLY" }

// Key returns "UNQUOTA".
func (a *ApplyUnquota) Key() string { return "UNQUOTA" }

// Value returns the root.
func (a *ApplyUnquota) Value() dlist.Value { return dlist.String(a.Root) }

// ParseApplyUnquota decodes the argument of APPLY UNQUOTA.
func ParseApplyUnquota(v dlist.Value) (*ApplyUnquota, error) {
	return parseBare("UNQUOTA", v, parseString, func(a *ApplyUnquota) *string { return &a.Root })
}
