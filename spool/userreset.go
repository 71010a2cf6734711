package spool

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ResetResult is what ResetUser did, in order, for the caller's sync log
// (Cyrus's library logs "SUB <userid> <mailbox>" for each subscription
// dropped, "UNMAILBOX <mailbox>" for each mailbox deleted and "UNUSER
// <userid>" at the end) and its output.
type ResetResult struct {
	// Unsubscribed are the internal names of the subscriptions dropped.
	Unsubscribed []string
	// Deleted are the mailboxes deleted, children first, INBOX last.
	Deleted []string
	// Missing are the mailboxes that were gone when their turn came
	// (Cyrus: "skipping already removed mailbox").
	Missing []string
	// DataDeleted reports that the user's data (seen, subscriptions,
	// sieve, quota roots, the by-id user directory) was removed: the
	// reset went through.
	DataDeleted bool
}

// ResetUser removes userid from a replica as Cyrus's sync_reset does, so
// that the next sync seeds the user again, under the user's namespace
// lock: the user's other Cyrus processes sent SIGTERM; every subscription
// dropped; every mailbox of the user (INBOX, the mailboxes below it and
// the user's DELETED.* ones, children first, INBOX last; neither
// tombstones nor intermediates, which 3.6.1 leaves) deleted, admin,
// forced, not silent, and its entry removed from mailboxes.db (Cyrus's
// mboxlist_deleteremote); then the user's data wiped (DeleteUserData)
// as the INBOX entry found at the start says (legacy or by-id
// directories). A user without an INBOX entry is ErrNotFound, as for
// Cyrus. The first failure stops it; what was done so far is in the
// result.
//
// Cyrus 3.6's sync_reset fails on the uuid layout (cyrus-imapd issue
// 6017); this one reads every path from the INBOX's entry, so both
// layouts reset the same way.
//
// cyrus: imap/sync_reset.c reset_single; imap/mboxlist.c
// mboxlist_deletemailbox, mboxlist_deleteremote, mboxlist_usermboxtree
// (MBOXTREE_DELETED); imap/user.c user_deletedata (3.6.1)
func (s *Spool) ResetUser(ctx context.Context, userid string) (*ResetResult, error) {
	res := &ResetResult{}
	if s.cfg.Conversations() {
		return res, fmt.Errorf("spool: reset user %s: conversations: yes: %w", userid, ErrUnsupported)
	}
	inboxName := s.layout.NS.UserInbox(userid)
	release, err := s.lockUsers(ctx, inboxName)
	if err != nil {
		return res, mboxErr("reset user", userid, err)
	}
	defer release()
	s.killUserProcesses(userid)
	if subs, err := s.Subscriptions(userid); err == nil {
		// failures ignored, as Cyrus: the file goes soon anyway
		for _, name := range slices.Backward(subs.Names) {
			s.Unsubscribe(ctx, userid, name)
			res.Unsubscribed = append(res.Unsubscribed, name)
		}
	}
	inbox, err := s.lookupAll(inboxName)
	if err != nil {
		return res, mboxErr("reset user", userid, err)
	}
	if inbox == nil {
		return res, mboxErr("reset user", userid, fmt.Errorf("no mailbox %s: %w", inboxName, ErrNotFound))
	}
	names, err := s.resetTree(ctx, userid)
	if err != nil {
		return res, mboxErr("reset user", userid, err)
	}
	for _, name := range slices.Backward(names) {
		err := s.deleteMailbox(ctx, name, DeleteOptions{}, false)
		switch {
		case errors.Is(err, ErrNotFound):
			res.Missing = append(res.Missing, name)
		case err != nil:
			return res, mboxErr("delete", name, err)
		default:
			res.Deleted = append(res.Deleted, name)
		}
		// the tombstone goes too (Cyrus's "cheap and nasty hack")
		if err := s.withList(func(t *listTx) error { return t.update(name, nil) }); err != nil {
			return res, mboxErr("remove entry", name, err)
		}
	}
	if err := s.DeleteUserData(inbox, true); err != nil {
		return res, err
	}
	res.DataDeleted = true
	return res, nil
}

// resetTree lists the live mailboxes of userid as mboxlist_usermboxtree
// with MBOXTREE_DELETED does: the INBOX, the mailboxes below it, then the
// user's DELETED.* mailboxes, each in mailboxes.db order.
func (s *Spool) resetTree(ctx context.Context, userid string) ([]string, error) {
	entries, err := s.UserMailboxes(ctx, userid)
	if err != nil {
		return nil, err
	}
	l, err := s.MailboxList()
	if err != nil {
		return nil, err
	}
	for e, err := range l.EntriesWithPrefix(ctx, s.deletedPrefixOf(userid)) {
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	var names []string
	for _, e := range entries {
		if e.Deleted() || e.Intermediate() {
			continue
		}
		names = append(names, e.Name)
	}
	return names, nil
}

// deletedPrefixOf is the start of the names delayed delete gives
// userid's mailboxes: "DELETED.user.fred." ("example.com!DELETED.user.fred."
// with a domain).
//
// cyrus: imap/mboxlist.c mboxlist_mboxtree (MBOXTREE_DELETED) (3.6.1)
func (s *Spool) deletedPrefixOf(userid string) string {
	dom, rest, ok := cutDomain(s.layout.NS.UserInbox(userid))
	p := s.cfg.DeletedPrefix() + "." + rest + "."
	if ok {
		p = dom + "!" + p
	}
	return p
}
