package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// view is what our spool reader shows of one spool: the mailboxes with
// their records, and the users' quota, subscriptions, seen state and
// sieve scripts.
type view struct {
	mailboxes []*spool.Mailbox
	users     []string
	quotas    []*spool.Quota
	subs      map[string][]string
	seen      map[string][]spool.Seen
	sieve     map[string][]spool.SieveScript
	server    []spool.Annotation
}

func readSpool(config string) (*view, error) {
	ctx := context.Background()
	cfg, err := conf.Load(config, "demo", 0)
	if err != nil {
		return nil, err
	}
	sp, err := spool.Open(cfg)
	if err != nil {
		return nil, err
	}
	v := &view{subs: map[string][]string{}, seen: map[string][]spool.Seen{}, sieve: map[string][]spool.SieveScript{}}
	for e, err := range sp.Mailboxes(ctx) {
		if err != nil {
			return nil, err
		}
		if e.Deleted() || e.Intermediate() {
			continue
		}
		m, err := sp.Snapshot(ctx, e.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		v.mailboxes = append(v.mailboxes, m)
	}
	if v.users, err = sp.Users(ctx); err != nil {
		return nil, err
	}
	roots, err := sp.QuotaRoots()
	if err != nil {
		return nil, err
	}
	for _, r := range roots {
		q, err := sp.Quota(r)
		if err != nil {
			return nil, fmt.Errorf("quota %s: %w", r, err)
		}
		v.quotas = append(v.quotas, q)
	}
	for _, u := range v.users {
		s, err := sp.Subscriptions(u)
		if err != nil {
			return nil, err
		}
		v.subs[u] = s.Names
		if v.seen[u], err = sp.SeenState(u); err != nil {
			return nil, err
		}
		if v.sieve[u], err = sp.SieveScripts(ctx, u); err != nil {
			return nil, err
		}
	}
	if v.server, err = sp.MailboxAnnotations("", ""); err != nil {
		return nil, err
	}
	return v, nil
}

// live are the records not expunged.
func live(m *spool.Mailbox) []spool.Record {
	var out []spool.Record
	for _, r := range m.Records {
		if !r.Expunged() {
			out = append(out, r)
		}
	}
	return out
}

// Summary is the view for a person: per mailbox its messages and flags,
// then quota, subscriptions, seen state, sieve scripts and annotations.
func (v *view) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-32s %8s  %s\n", "mailbox", "messages", "flags (count)")
	for _, m := range v.mailboxes {
		count := map[string]int{}
		annots := 0
		for _, r := range live(m) {
			for _, f := range r.FlagNames() {
				count[f]++
			}
			annots += len(r.Annotations)
		}
		var flags []string
		for f, n := range count {
			flags = append(flags, fmt.Sprintf("%s %d", f, n))
		}
		sort.Strings(flags)
		extra := ""
		if len(m.Annotations) > 0 || annots > 0 {
			extra = fmt.Sprintf("  [annotations: %d on the mailbox, %d on messages]", len(m.Annotations), annots)
		}
		fmt.Fprintf(&b, "%-32s %8d  %s%s\n", m.Name, len(live(m)), strings.Join(flags, ", "), extra)
	}
	for _, q := range v.quotas {
		fmt.Fprintf(&b, "quota %s: STORAGE %d of %s KiB, MESSAGE %d of %s\n", q.Root,
			q.Used["S"]/1024, limit(q, "S"), q.Used["M"], limit(q, "M"))
	}
	for _, u := range v.users {
		fmt.Fprintf(&b, "%s: subscribed to %s; seen state of %d mailbox(es)", u, strings.Join(v.subs[u], ", "), len(v.seen[u]))
		for _, s := range v.sieve[u] {
			state := ""
			if s.Active {
				state = ", active"
			}
			fmt.Fprintf(&b, "; sieve script %q (%d bytes%s)", s.Name, len(s.Content), state)
		}
		b.WriteString("\n")
	}
	if len(v.server) > 0 {
		fmt.Fprintf(&b, "server annotations: %d\n", len(v.server))
	}
	return b.String()
}

func limit(q *spool.Quota, res string) string {
	if l, ok := q.Limit[res]; ok {
		return fmt.Sprint(l)
	}
	return "unlimited"
}

// Checked says what Detail compares.
func (v *view) Checked() string {
	n := 0
	for _, m := range v.mailboxes {
		n += len(live(m))
	}
	return fmt.Sprintf("%d mailboxes and %d messages (uniqueids, UIDVALIDITY, HIGHESTMODSEQ, ACLs, UIDs, modseqs, GUIDs, flags, dates, annotations), quota roots, subscriptions, seen state and sieve scripts of %d users",
		len(v.mailboxes), n, len(v.users))
}

// Detail is everything replication must carry over, one fact a line.
func (v *view) Detail() string {
	var b strings.Builder
	for _, m := range v.mailboxes {
		fmt.Fprintf(&b, "mailbox %s uniqueid=%s uidvalidity=%d lastuid=%d highestmodseq=%d acl=%q quotaroot=%s userflags=%q\n",
			m.Name, m.UniqueID, m.UIDValidity, m.LastUID, m.HighestModseq, m.ACL.String(), m.QuotaRoot, m.UserFlags)
		for _, a := range m.Annotations {
			fmt.Fprintf(&b, "  annotation %s %q=%q modseq=%d\n", a.Entry, a.UserID, a.Value, a.Modseq)
		}
		for _, r := range m.Records {
			fmt.Fprintf(&b, "  uid=%d modseq=%d guid=%s size=%d internaldate=%d flags=%q\n",
				r.UID, r.Modseq, r.GUID, r.Size, r.InternalDate, r.FlagNames())
			for _, a := range r.Annotations {
				fmt.Fprintf(&b, "    annotation %s %q=%q modseq=%d\n", a.Entry, a.UserID, a.Value, a.Modseq)
			}
		}
	}
	for _, q := range v.quotas {
		fmt.Fprintf(&b, "quota %s used=%v limit=%v\n", q.Root, sortedMap(q.Used), sortedMap(q.Limit))
	}
	for _, u := range v.users {
		fmt.Fprintf(&b, "user %s subscriptions=%q\n", u, v.subs[u])
		for _, s := range v.seen[u] {
			fmt.Fprintf(&b, "user %s seen %+v\n", u, s)
		}
		for _, s := range v.sieve[u] {
			fmt.Fprintf(&b, "user %s sieve %q id=%s active=%v content=%q\n", u, s.Name, s.ID, s.Active, s.Content)
		}
	}
	for _, a := range v.server {
		fmt.Fprintf(&b, "server annotation %s %q=%q\n", a.Entry, a.UserID, a.Value)
	}
	return b.String()
}

func sortedMap(m map[string]int64) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
