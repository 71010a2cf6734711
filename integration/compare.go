package integration

import (
	"crypto/sha1"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// DumpUser lists what an IMAP client sees of a user on one instance, in a
// normalised text that two replicas of the same user must share: for every
// folder its UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ, and for every message
// its UID, flags, INTERNALDATE, size and the SHA-1 of its body; then the
// subscriptions.
func (in *Instance) DumpUser(t testing.TB, user string) string {
	t.Helper()
	c := in.IMAP(t, user, UserPassword)
	var b strings.Builder
	boxes, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("%s: LIST: %v", in.Name, err)
	}
	var names []string
	for _, m := range boxes {
		if !hasAttr(m.Attrs, imap.MailboxAttrNoSelect) {
			names = append(names, m.Mailbox)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		sel, err := c.Select(name, &imap.SelectOptions{ReadOnly: true, CondStore: true}).Wait()
		if err != nil {
			t.Fatalf("%s: EXAMINE %s: %v", in.Name, name, err)
		}
		fmt.Fprintf(&b, "%s uidvalidity=%d uidnext=%d highestmodseq=%d exists=%d\n",
			name, sel.UIDValidity, sel.UIDNext, sel.HighestModSeq, sel.NumMessages)
		if sel.NumMessages == 0 {
			continue
		}
		var all imap.SeqSet
		all.AddRange(1, 0)
		msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true, RFC822Size: true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			t.Fatalf("%s: FETCH %s: %v", in.Name, name, err)
		}
		sort.Slice(msgs, func(i, j int) bool { return msgs[i].UID < msgs[j].UID })
		for _, m := range msgs {
			var flags []string
			for _, f := range m.Flags {
				if !strings.EqualFold(string(f), `\Recent`) {
					flags = append(flags, string(f))
				}
			}
			sort.Strings(flags)
			var body []byte
			for _, sec := range m.BodySection {
				body = sec.Bytes
			}
			fmt.Fprintf(&b, "  uid=%d flags=[%s] internaldate=%s size=%d sha1=%x\n", m.UID, strings.Join(flags, " "),
				m.InternalDate.UTC().Format("2006-01-02T15:04:05Z"), m.RFC822Size, sha1.Sum(body))
		}
	}
	subs, err := c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
	if err != nil {
		t.Fatalf("%s: LSUB: %v", in.Name, err)
	}
	var sub []string
	for _, m := range subs {
		sub = append(sub, m.Mailbox)
	}
	sort.Strings(sub)
	fmt.Fprintf(&b, "subscribed: %s\n", strings.Join(sub, ", "))
	return b.String()
}

func hasAttr(attrs []imap.MailboxAttr, a imap.MailboxAttr) bool {
	for _, x := range attrs {
		if strings.EqualFold(string(x), string(a)) {
			return true
		}
	}
	return false
}

// SameUser fails the test unless master and replica show user alike.
func SameUser(t testing.TB, master, replica *Instance, user string) {
	t.Helper()
	m, r := master.DumpUser(t, user), replica.DumpUser(t, user)
	if m != r {
		t.Errorf("master and replica differ for %s:\n--- master\n%s--- replica\n%s", user, m, r)
	}
}
