package syncclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// maxTries is how often a user (or a rename loop) is retried after the
// replica's state changed under us.
const maxTries = 3

// doUser replicates one whole user: folders, quota roots, subscriptions,
// seen state (sieve travels as the #sieve mailbox when the replica enabled
// SIEVE-MAILBOX).
//
// cyrus: imap/sync_support.c sync_do_user, do_user_main (3.6.1)
func (s *syncer) doUser(ctx context.Context, userid string) error {
	locks, ahead, err := s.lockedUser(ctx, userid)
	if err != nil {
		return err
	}
	defer locks.release()
	s.action("USER %s", userid)
	for try := 0; try < maxTries; try++ {
		var state *protocol.UserState
		if ahead != nil {
			state, err = s.c.CollectUser(ctx, ahead)
			ahead = nil
		} else {
			state, err = s.c.GetUser(ctx, userid)
		}
		if isCode(err, protocol.CodeMailboxNonexistent) {
			state, err = &protocol.UserState{}, nil
		}
		if err != nil {
			s.logNo("USER", err)
			return err
		}
		inbox, err := s.sp.LookupName(s.ns.UserInbox(userid))
		if errors.Is(err, spool.ErrNotFound) || err == nil && inbox.Deleted() {
			// The replica user is left alone: only UNUSER deletes it.
			s.action("Does not exist locally %s", userid)
			return nil
		}
		if err != nil {
			return err
		}
		err = s.doUserMain(ctx, userid, state)
		if errors.Is(err, errAgain) {
			continue
		}
		if err != nil {
			cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "IOERROR: user replication failed", "do_user_main",
				"error", errText(err), "userid", userid, "channel", cString(s.o.Channel), "servername", s.servername)
			return err
		}
		if err := s.syncSubs(ctx, userid, state.Subscriptions); err != nil {
			return err
		}
		return s.syncSeen(ctx, userid, state.Seen)
	}
	s.log.Error(fmt.Sprintf("failed to sync user %s after %d tries", userid, maxTries), "user", userid)
	return errChanged
}

// userMailboxNames lists a user's mailboxes as Cyrus's do_user_main does:
// INBOX, the mailboxes below it, then the user's delayed-delete
// (DELETED.…) ones, in mailboxes.db order; no tombstones, no intermediates
// (mboxlist_usermboxtree with MBOXTREE_DELETED only), the #sieve mailbox
// only if the replica enabled SIEVE-MAILBOX.
//
// cyrus: imap/sync_support.c do_user_main, do_mailbox_info; imap/mboxlist.c
// mboxlist_mboxtree (3.6.1)
func (s *syncer) userMailboxNames(ctx context.Context, userid string) ([]string, error) {
	entries, err := s.sp.UserMailboxes(ctx, userid)
	if err != nil {
		return nil, err
	}
	var names []string
	keep := func(e *spool.Entry) bool {
		return !e.Deleted() && !e.Intermediate() && (s.c.SieveMailbox() || !s.isSieveMailbox(e.Name))
	}
	for _, e := range entries {
		if keep(e) {
			names = append(names, e.Name)
		}
	}
	list, err := s.sp.MailboxList()
	if err != nil {
		return nil, err
	}
	for e, err := range list.EntriesWithPrefix(ctx, s.deletedPrefix(userid)) {
		if err != nil {
			return nil, err
		}
		if m := s.ns.ParseInternal(e.Name); m.Deleted != 0 && m.UserID() == userid && keep(e) {
			names = append(names, e.Name)
		}
	}
	return names, nil
}

// deletedPrefix is where a user's delayed-delete mailboxes sort:
// "DELETED.user.fred." ("example.com!DELETED.user.fred." with a domain).
func (s *syncer) deletedPrefix(userid string) string {
	inbox := s.ns.UserInbox(userid)
	if dom, rest, ok := strings.Cut(inbox, "!"); ok {
		return dom + "!" + s.ns.DeletedPrefix + "." + rest + "."
	}
	return s.ns.DeletedPrefix + "." + inbox + "."
}

func (s *syncer) doUserMain(ctx context.Context, userid string, state *protocol.UserState) error {
	s.ensureSieveFolder(ctx, userid)
	names, err := s.userMailboxNames(ctx, userid)
	if err != nil {
		return err
	}
	folders, err := s.doFolders(ctx, names, state.Mailboxes, true)
	if err != nil {
		return err
	}
	return s.syncQuotas(ctx, quotaRoots(folders), state.Quotas)
}

// quotaRoots lists the quota roots of the folders, each once, in the
// order the folders give them (Cyrus's quotalist, filled as the mailboxes
// are opened).
//
// cyrus: imap/sync_support.c do_mailbox_info, sync_name_list_add (3.6.1)
func quotaRoots(folders []*localFolder) []string {
	var roots []string
	for _, lf := range folders {
		if lf.mbox != nil && lf.mbox.QuotaRoot != "" && !slices.Contains(roots, lf.mbox.QuotaRoot) {
			roots = append(roots, lf.mbox.QuotaRoot)
		}
	}
	return roots
}

// syncQuotas sends the quota roots of the user's mailboxes whose limits
// differ on the replica, and removes the replica's roots the master lacks.
//
// cyrus: imap/sync_support.c do_user_main, update_quota_work (3.6.1)
func (s *syncer) syncQuotas(ctx context.Context, roots []string, remote []*protocol.Quota) error {
	byRoot := map[string]*protocol.Quota{}
	for _, q := range remote {
		byRoot[q.Root] = q
	}
	for _, root := range roots {
		if err := s.syncQuota(ctx, root, byRoot[root]); err != nil {
			return err
		}
	}
	for _, q := range remote {
		if !slices.Contains(roots, q.Root) {
			s.action("UNQUOTA %s", q.Root)
			if err := s.do(ctx, &protocol.ApplyUnquota{Root: q.Root}); err != nil {
				return err
			}
		}
	}
	return nil
}

// syncQuota sends one root's limits when the replica's differ (always,
// when remote is nil and the root exists).
func (s *syncer) syncQuota(ctx context.Context, root string, remote *protocol.Quota) error {
	q, err := s.sp.Quota(root)
	if errors.Is(err, spool.ErrNotFound) {
		s.action("UNQUOTA %s", root)
		err := s.do(ctx, &protocol.ApplyUnquota{Root: root})
		if isCode(err, protocol.CodeMailboxNonexistent) {
			return nil
		}
		return err
	}
	if err != nil {
		s.log.Info(fmt.Sprintf("Warning: failed to read quotaroot %s: %s", root, errText(err)))
		return err
	}
	local := protocol.QuotaFor(q, s.cfg.Version)
	if remote != nil && remote.Limits == local.Limits {
		return nil
	}
	s.action("QUOTA %s", root)
	return s.do(ctx, &protocol.ApplyQuota{Quota: local})
}

// syncSubs makes the replica's subscriptions those of the master.
func (s *syncer) syncSubs(ctx context.Context, userid string, remote *protocol.LSub) error {
	local, err := s.sp.Subscriptions(userid)
	if err != nil {
		cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "IOERROR: fetching subscriptions failed", "sync_do_user_sub", "userid", userid)
		return err
	}
	have := map[string]bool{}
	if remote != nil {
		for _, n := range remote.Names {
			have[n] = true
		}
	}
	want := map[string]bool{}
	for _, n := range local.Names {
		want[n] = true
		if !have[n] {
			s.action("SUB %s %s", userid, n)
			if err := s.do(ctx, &protocol.ApplySub{UserID: userid, MboxName: n}); err != nil {
				return err
			}
		}
	}
	if remote != nil {
		for _, n := range remote.Names {
			if !want[n] {
				s.action("UNSUB %s %s", userid, n)
				if err := s.do(ctx, &protocol.ApplySub{Unsub: true, UserID: userid, MboxName: n}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// syncSeen sends every seen entry the replica does not have identically.
// As in Cyrus, a failing entry does not stop the others, and entries only
// on the replica stay.
//
// cyrus: imap/sync_support.c sync_do_user_seen (3.6.1)
func (s *syncer) syncSeen(ctx context.Context, userid string, remote []*protocol.Seen) error {
	local, err := s.sp.SeenState(userid)
	if err != nil {
		return nil // no or unreadable seen db: nothing to do, as in Cyrus
	}
	byID := map[string]*protocol.Seen{}
	for _, r := range remote {
		byID[r.UniqueID] = r
	}
	for i := range local {
		l := protocol.SeenFromSpool(userid, &local[i])
		if r := byID[l.UniqueID]; r != nil && r.LastRead == l.LastRead && r.LastUID == l.LastUID &&
			r.LastChange == l.LastChange && r.SeenUIDs == l.SeenUIDs {
			continue
		}
		s.action("SEEN %s %s", userid, l.UniqueID)
		s.do(ctx, &protocol.ApplySeen{Seen: l})
	}
	return nil
}

// doMeta replicates a user's seen state and subscriptions (-s).
//
// cyrus: imap/sync_support.c sync_do_meta (3.6.1)
func (s *syncer) doMeta(ctx context.Context, userid string) error {
	locks, err := s.lockUsers(ctx, []string{userid})
	if err != nil {
		return err
	}
	defer locks.release()
	s.action("META %s", userid)
	state, err := s.c.GetMeta(ctx, userid)
	if isCode(err, protocol.CodeMailboxNonexistent) {
		state, err = &protocol.UserState{}, nil
	}
	if err != nil {
		s.logNo("META", err)
		return err
	}
	if err := s.syncSeen(ctx, userid, state.Seen); err != nil {
		return err
	}
	return s.syncSubs(ctx, userid, state.Subscriptions)
}

// doMailboxes replicates the named mailboxes (-m, -A shared mailboxes):
// no deletes on the replica, since a rename may be racing.
//
// cyrus: imap/sync_support.c sync_do_mailboxes (3.6.1)
func (s *syncer) doMailboxes(ctx context.Context, names []string) error {
	var users []string
	var keep []string
	for _, n := range names {
		if !s.c.SieveMailbox() && s.isSieveMailbox(n) {
			continue
		}
		keep = append(keep, n)
		users = append(users, s.ns.UserIDOf(n))
	}
	locks, err := s.lockUsers(ctx, users)
	if err != nil {
		return err
	}
	defer locks.release()
	if len(keep) == 0 {
		return nil
	}
	for try := 0; try < maxTries; try++ {
		s.action("MAILBOXES %s", strings.Join(keep, " "))
		replica, err := s.c.GetMailboxes(ctx, keep...)
		if isCode(err, protocol.CodeMailboxNonexistent) {
			replica, err = nil, nil
		}
		if err != nil {
			s.logNo("MAILBOXES", err)
			return err
		}
		_, err = s.doFolders(ctx, keep, replica, false)
		if !errors.Is(err, errAgain) {
			return err
		}
	}
	s.log.Error("failed to settle renames after 3 tries!")
	return errChanged
}
