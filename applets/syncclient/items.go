package syncclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// The sync log's single items: one quota root, one mailbox's annotations,
// one seen entry, one subscription, one deleted mailbox, one deleted user.

// doQuotaItem sends one quota root's limits (UNQUOTA when the root is
// gone), under the sync lock of the root's user.
//
// cyrus: imap/sync_support.c sync_do_quota, update_quota_work (3.6.1)
func (s *syncer) doQuotaItem(ctx context.Context, root string) error {
	locks, err := s.lockUsers(ctx, []string{s.ns.UserIDOf(root)})
	if err != nil {
		return err
	}
	defer locks.release()
	return s.syncQuota(ctx, root, nil)
}

// doAnnotationItem makes the replica's annotations of one mailbox ("" for
// the server's) the master's: entries only the replica has are removed,
// the others set where their values differ.
//
// cyrus: imap/sync_support.c sync_do_annotation (3.6.1)
func (s *syncer) doAnnotationItem(ctx context.Context, name string) error {
	locks, err := s.lockUsers(ctx, []string{s.ns.UserIDOf(name)})
	if err != nil {
		return err
	}
	defer locks.release()
	remote, err := s.c.GetAnnotations(ctx, name)
	if err != nil {
		s.logNo("ANNOTATION", err)
		return err
	}
	local, err := s.localAnnotations(name)
	if err != nil {
		cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "IOERROR: fetching annotations failed", "sync_do_annotation", "mboxname", name)
		return fmt.Errorf("annotations of %q: %w", name, err)
	}
	sortAnnotations(remote)
	for len(local) > 0 || len(remote) > 0 {
		n := -1 // add the master's
		switch {
		case len(local) == 0:
			n = 1 // remove the replica's
		case len(remote) > 0:
			n = compareAnnotation(local[0], remote[0])
		}
		if n > 0 {
			r := remote[0]
			s.action("UNANNOTATION %s %s %s", name, r.Entry, r.UserID)
			if err := s.do(ctx, &protocol.ApplyUnannotation{MboxName: name, Entry: r.Entry, UserID: r.UserID}); err != nil {
				return err
			}
			remote = remote[1:]
			continue
		}
		m := local[0]
		local = local[1:]
		if n == 0 {
			same := remote[0].Data == m.Data
			remote = remote[1:]
			if same {
				continue
			}
		}
		s.action("ANNOTATION %s %s %s", name, m.Entry, m.UserID)
		if err := s.do(ctx, &protocol.ApplyAnnotation{Annotation: m}); err != nil {
			return err
		}
	}
	return nil
}

// localAnnotations reads the annotations of name ("" for the server's)
// that are set, sorted by entry and userid. Cyrus 3.6 finds the mailbox
// with mboxlist_findall, which reads the item's (internal) name as a
// pattern in the admin's namespace: under unixhierarchysep "user.fred" is
// the mailbox user^fred, so a mailbox's ANNOTATION item finds nothing —
// on the master as on a replica, whose GET ANNOTATION does the same —
// and the annotations travel with the mailbox (APPLY MAILBOX) instead.
// A mailbox that does not exist has none; only a database that cannot be
// read is an error.
//
// cyrus: imap/annotate.c annotatemore_findall_full, _findall (3.6.1)
func (s *syncer) localAnnotations(name string) ([]*protocol.MailboxAnnotation, error) {
	uniqueid, owner := "", ""
	if name != "" && s.sp.Config().Version.AtLeast(conf.V3_10) {
		// Cyrus 3.10 looks the item's internal name up as it is, a
		// deleted or intermediate entry included; a name mailboxes.db
		// lacks fails the item.
		//
		// cyrus: imap/sync_support.c sync_do_annotation; imap/annotate.c
		// annotatemore_findall_mboxname, annotatemore_findall_full (3.10.2)
		e, err := s.sp.LookupName(name)
		if err != nil {
			return nil, err
		}
		uniqueid, owner = e.UniqueID, s.ns.UserIDOf(e.Name)
	} else if name != "" {
		internal, err := s.ns.ParseExternal(name)
		if err != nil {
			return nil, nil // no mailbox matches
		}
		e, err := s.sp.LookupName(internal)
		if errors.Is(err, spool.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if e.Deleted() || e.Intermediate() {
			return nil, nil
		}
		uniqueid, owner = e.UniqueID, s.ns.UserIDOf(internal)
	}
	all, err := s.sp.MailboxAnnotations(uniqueid, owner)
	if err != nil {
		return nil, err
	}
	var out []*protocol.MailboxAnnotation
	for _, a := range all {
		if !a.Deleted && len(a.Value) > 0 {
			out = append(out, &protocol.MailboxAnnotation{MboxName: name, Entry: a.Entry, UserID: a.UserID, Data: string(a.Value)})
		}
	}
	sortAnnotations(out)
	return out, nil
}

// sortAnnotations orders by entry, then userid, as both of Cyrus's lists
// come from its database.
func sortAnnotations(l []*protocol.MailboxAnnotation) {
	slices.SortStableFunc(l, compareAnnotation)
}

func compareAnnotation(a, b *protocol.MailboxAnnotation) int {
	if c := strings.Compare(a.Entry, b.Entry); c != 0 {
		return c
	}
	return strings.Compare(a.UserID, b.UserID)
}

// doSeenItem sends one seen entry (a user's seen state of the mailbox with
// that uniqueid); a user without a seen database has nothing to send, an
// entry the database lacks goes as empty.
//
// cyrus: imap/sync_support.c sync_do_seen (3.6.1)
func (s *syncer) doSeenItem(ctx context.Context, userid, uniqueid string) error {
	path, err := s.sp.SeenPath(userid)
	if err != nil {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil // seen_open(SEEN_SILENT) failing: nothing to do
	}
	locks, err := s.lockUsers(ctx, []string{userid})
	if err != nil {
		return err
	}
	defer locks.release()
	all, err := s.sp.SeenState(userid)
	if err != nil {
		return nil // unreadable: Cyrus's seen_open fails too and does nothing
	}
	entry := spool.Seen{UniqueID: uniqueid}
	for _, sd := range all {
		if sd.UniqueID == uniqueid {
			entry = sd
		}
	}
	s.action("SEEN %s %s", userid, uniqueid)
	return s.do(ctx, &protocol.ApplySeen{Seen: protocol.SeenFromSpool(userid, &entry)})
}

// doSubItem sends SUB or UNSUB for one subscription, whichever the
// master's subscriptions say now.
//
// cyrus: imap/sync_support.c user_sub, sync_set_sub (3.6.1)
func (s *syncer) doSubItem(ctx context.Context, userid, mboxname string) error {
	subs, err := s.sp.Subscriptions(userid)
	if err != nil {
		return err
	}
	unsub := !slices.Contains(subs.Names, mboxname)
	cmd := "SUB"
	if unsub {
		cmd = "UNSUB"
	}
	s.action("%s %s %s", cmd, userid, mboxname)
	return s.do(ctx, &protocol.ApplySub{Unsub: unsub, UserID: userid, MboxName: mboxname})
}

// doUnmailboxItem deletes a mailbox on the replica, but only if the
// master has a tombstone under its name: a mailbox that exists is left
// alone (a later MAILBOX item brings it), a name the master never had is
// only noted.
//
// cyrus: imap/sync_support.c do_unmailbox (3.6.1)
func (s *syncer) doUnmailboxItem(ctx context.Context, name string) error {
	e, err := s.sp.LookupName(name)
	switch {
	case errors.Is(err, spool.ErrNotFound):
		cyruslog.Xsyslog(s.log, cyruslog.LevelNotice, "SYNCNOTICE: attempt to UNMAILBOX without a tombstone", "do_unmailbox", "mailbox", name)
		return nil
	case err != nil:
		s.log.Error(fmt.Sprintf("do_unmailbox: mboxlist_lookup() failed: %s '%s'", name, errText(err)))
		return err
	case !e.Deleted() && !e.Intermediate():
		return nil // still there
	case !e.Deleted():
		s.log.Error(fmt.Sprintf("attempt to UNMAILBOX non-tombstone: \"%s\"", name))
		return nil
	}
	s.action("%s %s", s.local("UNMAILBOX"), name)
	err = s.do(ctx, &protocol.ApplyUnmailbox{Local: s.o.LocalOnly, Name: name})
	if err == nil || isCode(err, protocol.CodeMailboxNonexistent) {
		return nil
	}
	s.log.Error(fmt.Sprintf("do_unmailbox: sync_do_folder_delete(): failed: %s '%s'", name, errText(err)))
	return err
}

// doUnuser deletes a user on the replica, but only if the user's INBOX
// no longer exists on the master. It prints nothing, as in Cyrus.
//
// cyrus: imap/sync_support.c do_unuser (3.6.1)
func (s *syncer) doUnuser(ctx context.Context, userid string) error {
	if userid == "" {
		s.log.Warn("ignoring attempt to do_unuser() without userid")
		return nil
	}
	e, err := s.sp.LookupName(s.ns.UserInbox(userid))
	if err == nil && !e.Deleted() && !e.Intermediate() {
		return nil
	}
	if err != nil && !errors.Is(err, spool.ErrNotFound) {
		return err
	}
	err = s.do(ctx, &protocol.ApplyUnuser{UserID: userid})
	if isCode(err, protocol.CodeMailboxNonexistent) {
		return nil
	}
	return err
}
