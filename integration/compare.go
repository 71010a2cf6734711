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

// SameUser fails the test unless master and replica show user alike, and
// unless Cyrus's own check tools find the replica's copy of the user
// healthy.
func SameUser(t testing.TB, master, replica *Instance, user string) {
	t.Helper()
	m, r := master.DumpUser(t, user), replica.DumpUser(t, user)
	if m != r {
		t.Errorf("master and replica differ for %s:\n--- master\n%s--- replica\n%s", user, m, r)
	}
	replica.Healthy(t, user)
}

// Healthy runs Cyrus's chk_cyrus over the default partition (every index
// record has its message file) and `reconstruct -n -r -G` over the user's
// mailboxes (index, cache, headers and GUIDs as reconstruct would rebuild
// them, nothing changed): on a healthy spool they print only what they
// examine. Anything else they print fails the test.
func (in *Instance) Healthy(t testing.TB, user string) {
	t.Helper()
	res := in.Tool(t, "chk_cyrus", "-P", "default")
	for _, l := range strings.Split(strings.TrimSpace(res.Stdout+res.Stderr), "\n") {
		if l != "" && !strings.HasPrefix(l, "Examining partition:") && !strings.HasPrefix(l, "checking: ") {
			t.Errorf("%s: chk_cyrus: %s", in.Name, l)
		}
	}
	if res.Code != 0 {
		t.Errorf("%s: chk_cyrus exit %d", in.Name, res.Code)
	}
	res = in.Tool(t, "reconstruct", "-n", "-r", "-G", "user/"+user)
	for _, l := range strings.Split(strings.TrimSpace(res.Stdout+res.Stderr), "\n") {
		// A healthy run lists the mailboxes it read (external names).
		if l != "" && (!strings.HasPrefix(l, "user/"+user) || strings.Contains(l, ": ") || strings.Contains(l, " uid ")) {
			t.Errorf("%s: reconstruct -n: %s", in.Name, l)
		}
	}
	if res.Code != 0 {
		t.Errorf("%s: reconstruct -n exit %d", in.Name, res.Code)
	}
}
