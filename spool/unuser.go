package spool

import (
	"context"
	"fmt"
	"slices"
)

// DeleteUser removes a user as sync_server's APPLY UNUSER does, under the
// user's namespace lock: every subscription dropped, every mailbox of the
// user deleted (forced, not silent, INBOX last), then the user's data
// (seen, subscriptions, sieve, quota roots …) when the INBOX was a live
// mailbox or a legacy-layout one; otherwise only the quota roots. It
// reports whether the user had no live INBOX (the caller then logs
// UNUSER, as Cyrus does). The first failed delete stops it.
//
// cyrus: imap/sync_support.c sync_apply_unuser (3.6.1)
func (s *Spool) DeleteUser(ctx context.Context, userid string) (inboxGone bool, err error) {
	inboxName := s.layout.NS.UserInbox(userid)
	release, err := s.lockUsers(ctx, inboxName)
	if err != nil {
		return false, mboxErr("delete user", userid, err)
	}
	defer release()
	if subs, err := s.Subscriptions(userid); err == nil {
		for _, name := range subs.Names {
			s.Unsubscribe(ctx, userid, name) // the file goes soon anyway
		}
	}
	inbox, err := s.lookupAll(inboxName)
	if err != nil {
		return false, err
	}
	entries, err := s.UserMailboxes(ctx, userid)
	if err != nil {
		return false, err
	}
	for _, e := range slices.Backward(entries) {
		if e.Deleted() || e.Intermediate() {
			continue // mboxlist_usermboxtree without MBOXTREE_* visits neither
		}
		if err := s.deleteMailbox(ctx, e.Name, DeleteOptions{}, false); err != nil {
			return false, mboxErr("delete", e.Name, err)
		}
	}
	if inbox != nil && (inbox.LegacyDirs() || !inbox.Deleted()) {
		return false, s.DeleteUserData(inbox, true)
	}
	if err := s.DeleteUserQuotaRoots(userid); err != nil {
		return true, fmt.Errorf("spool: delete user %s: %w", userid, err)
	}
	return true, nil
}
