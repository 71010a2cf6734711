package synclog

import (
	"fmt"
	"sort"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// Batch is one log file's items grouped the way sync_client groups them
// before any network traffic: de-duplicated lists (the first occurrence
// keeps its place), mailboxes grouped by owner, and items made redundant by
// a USER, UNUSER or META of the same user removed.
//
// cyrus: imap/sync_support.c sync_do_reader (3.6.1)
type Batch struct {
	// Users are USER items.
	Users []string
	// Unusers are UNUSER items.
	Unusers []string
	// Metas are META and SIEVE items.
	Metas []string
	// Mailboxes maps a userid ("" for shared mailboxes) to the mailbox names
	// to sync for it, in first-seen order.
	Mailboxes map[string][]string
	// Unmailboxes are UNMAILBOX items.
	Unmailboxes []string
	// Quotas are QUOTA roots.
	Quotas []string
	// Annotations are ANNOTATION names ("" for server annotations).
	Annotations []string
	// Seen are SEEN items: userid and mailbox uniqueid.
	Seen []UserName
	// Subs are SUB and UNSUB items: userid and mailbox name.
	Subs []UserName

	ns   conf.Namespace
	seen map[string]bool
}

// UserName is a (userid, name) pair of a SEEN or SUB item.
type UserName struct {
	// UserID is the user.
	UserID string
	// Name is a mailbox name (SUB) or uniqueid (SEEN).
	Name string
}

// UnknownTypeError is an item sync_client does not know; Cyrus syslogs
// "Unknown action type: <TYPE>".
type UnknownTypeError struct{ Type string }

func (e *UnknownTypeError) Error() string { return "Unknown action type: " + e.Type }

// MissingNameError is a mailbox item without its name; Cyrus syslogs
// "Missing mailbox name: <TYPE>".
type MissingNameError struct{ Type string }

func (e *MissingNameError) Error() string { return "Missing mailbox name: " + e.Type }

// NewBatch returns an empty batch; ns gives the owner of a mailbox name.
func NewBatch(ns conf.Namespace) *Batch {
	return &Batch{ns: ns, Mailboxes: make(map[string][]string), seen: make(map[string]bool)}
}

// once reports whether key was not seen before, and marks it.
func (b *Batch) once(list string, key ...string) bool {
	k := fmt.Sprintf("%s%q", list, key)
	if b.seen[k] {
		return false
	}
	b.seen[k] = true
	return true
}

func (b *Batch) addMailbox(group, name string) {
	if b.once("M", group, name) {
		b.Mailboxes[group] = append(b.Mailboxes[group], name)
	}
}

// Add files one item. It returns *UnknownTypeError or *MissingNameError for
// items that are skipped.
func (b *Batch) Add(it Item) error {
	a0, a1 := it.Arg(0), it.Arg(1)
	switch it.Type {
	case TypeUser:
		if b.once("U", a0) {
			b.Users = append(b.Users, a0)
		}
	case TypeUnuser:
		if b.once("X", a0) {
			b.Unusers = append(b.Unusers, a0)
		}
	case TypeMeta, TypeSieve:
		if b.once("T", a0) {
			b.Metas = append(b.Metas, a0)
		}
	case TypeMailbox, TypeAppend:
		if len(it.Args) < 1 {
			return &MissingNameError{it.Type}
		}
		b.addMailbox(b.ns.UserIDOf(a0), a0)
	case TypeDoubleMailbox:
		if len(it.Args) < 2 {
			return &MissingNameError{it.Type}
		}
		// Both go with the first name's user, which keeps them ordered.
		g := b.ns.UserIDOf(a0)
		b.addMailbox(g, a0)
		b.addMailbox(g, a1)
	case TypeRename:
		g1, g2 := b.ns.UserIDOf(a0), b.ns.UserIDOf(a1)
		b.addMailbox(g1, a0)
		b.addMailbox(g1, a1)
		if g2 != g1 {
			b.addMailbox(g2, a0)
			b.addMailbox(g2, a1)
		}
	case TypeUnmailbox:
		if b.once("D", a0) {
			b.Unmailboxes = append(b.Unmailboxes, a0)
		}
	case TypeQuota:
		if b.once("Q", a0) {
			b.Quotas = append(b.Quotas, a0)
		}
	case TypeAnnotation:
		if b.once("A", a0) {
			b.Annotations = append(b.Annotations, a0)
		}
	case TypeSeen:
		if b.once("S", a0, a1) {
			b.Seen = append(b.Seen, UserName{a0, a1})
		}
	case TypeSub, TypeUnsub:
		if b.once("B", a0, a1) {
			b.Subs = append(b.Subs, UserName{a0, a1})
		}
	default:
		return &UnknownTypeError{it.Type}
	}
	return nil
}

// RemoveRedundant drops what a USER, UNUSER or META makes pointless: a USER
// covers the user's META, SEEN and SUB; an UNUSER covers those and the USER
// ("unuser trumps user"); a META covers SEEN and SUB. Mailbox items stay.
func (b *Batch) RemoveRedundant() {
	users, unusers, metas := set(b.Users), set(b.Unusers), set(b.Metas)
	b.Users = filter(b.Users, func(u string) bool { return !unusers[u] })
	b.Metas = filter(b.Metas, func(u string) bool { return !users[u] && !unusers[u] })
	keep := func(x UserName) bool { return !users[x.UserID] && !unusers[x.UserID] && !metas[x.UserID] }
	b.Seen = filterPairs(b.Seen, keep)
	b.Subs = filterPairs(b.Subs, keep)
}

// Groups returns the mailbox groups' userids in a stable order (sorted);
// Cyrus's order is that of a hash table, i.e. unspecified.
func (b *Batch) Groups() []string {
	g := make([]string, 0, len(b.Mailboxes))
	for u := range b.Mailboxes {
		g = append(g, u)
	}
	sort.Strings(g)
	return g
}

// Empty reports whether the batch holds nothing to do.
func (b *Batch) Empty() bool {
	return len(b.Users)+len(b.Unusers)+len(b.Metas)+len(b.Mailboxes)+len(b.Unmailboxes)+
		len(b.Quotas)+len(b.Annotations)+len(b.Seen)+len(b.Subs) == 0
}

func set(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, s := range l {
		m[s] = true
	}
	return m
}

func filter(l []string, keep func(string) bool) []string {
	out := l[:0]
	for _, s := range l {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

func filterPairs(l []UserName, keep func(UserName) bool) []UserName {
	out := l[:0]
	for _, x := range l {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}
