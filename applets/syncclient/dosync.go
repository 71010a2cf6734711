package syncclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// action is one entry of Cyrus's sync_action_list: a user (USER, UNUSER,
// META), or a user and a name (SEEN: a uniqueid; SUB: a mailbox).
// Redundant entries stay in the list, inactive, so that a promotion adding
// them again makes them active in their first place.
type action struct {
	user, name string
	active     bool
}

// actions is a sync_action_list: ordered, each (user, name) once.
//
// cyrus: imap/sync_support.c sync_action_list_add (3.6.1)
type actions []*action

func (l *actions) add(user, name string) {
	for _, a := range *l {
		if a.user == user && a.name == name {
			a.active = true
			return
		}
	}
	*l = append(*l, &action{user: user, name: name, active: true})
}

// deactivate is remove_meta: every entry of user becomes inactive.
func (l actions) deactivate(user string) {
	for _, a := range l {
		if a.user == user {
			a.active = false
		}
	}
}

func userActions(users []string) actions {
	l := make(actions, 0, len(users))
	for _, u := range users {
		l = append(l, &action{user: u, active: true})
	}
	return l
}

func pairActions(pairs []synclog.UserName) actions {
	l := make(actions, 0, len(pairs))
	for _, p := range pairs {
		l = append(l, &action{user: p.UserID, name: p.Name, active: true})
	}
	return l
}

// itemOps are the operations the items of a log file become (the
// syncer's; tests substitute their own).
type itemOps interface {
	doMailboxes(ctx context.Context, names []string) error
	doQuotaItem(ctx context.Context, root string) error
	doAnnotationItem(ctx context.Context, name string) error
	doSeenItem(ctx context.Context, userid, uniqueid string) error
	doSubItem(ctx context.Context, userid, mboxname string) error
	doUnmailboxItem(ctx context.Context, name string) error
	doMeta(ctx context.Context, userid string) error
	doUser(ctx context.Context, userid string) error
	doUnuser(ctx context.Context, userid string) error
	restart(ctx context.Context) error
}

// logRun is the processing of one sync log file. r is Cyrus's r: each
// step sets it and a later step may leave it as it was, so that what the
// file returns is what Cyrus's sync_do_reader returns.
type logRun struct {
	s   *syncer
	ops itemOps
	b   *synclog.Batch
	r   error

	users, unusers, metas, seen, subs actions
}

// doReader processes the items of one sync log file as Cyrus's rolling
// client does (cyrus: imap/sync_client.c do_sync (3.6.1)): grouped and de-duplicated, items a
// USER, UNUSER or META covers dropped, then mailboxes by user, QUOTA,
// ANNOTATION, SEEN, SUB, UNMAILBOX, META, USER, UNUSER. A failed mailbox
// group, quota root, annotation, seen or subscription item is promoted to
// a USER or META sync later in the same file; with a channel, an item
// whose user is locked is written back to the channel's log for a later
// cycle. It returns an error when the file must be kept (and processed
// again).
//
// cyrus: imap/sync_support.c sync_do_reader (3.6.1)
func (s *syncer) doReader(ctx context.Context, items []synclog.Item) error {
	return s.runLog(ctx, items, s)
}

// runLog is doReader with the operations given.
func (s *syncer) runLog(ctx context.Context, items []synclog.Item, ops itemOps) error {
	b := synclog.NewBatch(s.ns)
	for _, it := range items {
		if err := b.Add(it); err != nil {
			s.log.Error(err.Error()) // "Unknown action type: X", as Cyrus logs it
		}
	}
	l := &logRun{s: s, ops: ops, b: b, users: userActions(b.Users), unusers: userActions(b.Unusers),
		metas: userActions(b.Metas), seen: pairActions(b.Seen), subs: pairActions(b.Subs)}
	l.removeRedundant()
	steps := []func(context.Context) bool{l.mailboxes, l.quotas, l.annotations, l.seens, l.subscriptions,
		l.unmailboxes, l.metaItems, l.userItems, l.unuserItems}
	for _, step := range steps {
		if !step(ctx) {
			break
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if l.r != nil && !errors.Is(l.r, protocol.ErrBye) {
		s.log.Error(fmt.Sprintf("Error in do_sync(): bailing out! %s", errText(l.r)))
	}
	return l.r
}

// removeRedundant is Cyrus's "optimise out redundant clauses": a USER
// covers the user's META, SEEN and SUB items, an UNUSER those and the
// USER, a META the SEEN and SUB items.
func (l *logRun) removeRedundant() {
	for _, a := range l.users {
		l.metas.deactivate(a.user)
		l.seen.deactivate(a.user)
		l.subs.deactivate(a.user)
	}
	for _, a := range l.unusers {
		l.metas.deactivate(a.user)
		l.seen.deactivate(a.user)
		l.subs.deactivate(a.user)
		l.users.deactivate(a.user)
	}
	for _, a := range l.metas {
		l.seen.deactivate(a.user)
		l.subs.deactivate(a.user)
	}
}

// stopped records a cancelled context as the run's result.
func (l *logRun) stopped(ctx context.Context) bool {
	if ctx.Err() != nil {
		l.r = ctx.Err()
		return true
	}
	return false
}

// locked tells whether err is Cyrus's IMAP_MAILBOX_LOCKED: our sync lock
// was busy (-N) or the replica said the mailbox is locked.
func locked(err error) bool {
	return errors.Is(err, spool.ErrLocked) || isCode(err, protocol.CodeMailboxLocked)
}

// isBye is IMAP_BYE_LOGOUT: the replica is shutting down.
func isBye(err error) bool { return errors.Is(err, protocol.ErrBye) }

// deferrable tells whether a failed item goes back to the channel's log:
// only a locked one, and only with -n.
func (s *syncer) deferrable(err error) bool { return s.o.Channel != "" && locked(err) }

// deferItem appends the item to our own channel's log, for a later cycle,
// and says so in syslog ("  Deferred: MAILBOX user.fred", always logged,
// the names unquoted; Cyrus's format ends in a newline, which syslog
// drops).
//
// cyrus: imap/sync_support.c sync_do_reader, do_mailboxes (3.6.1)
func (s *syncer) deferItem(ctx context.Context, it synclog.Item) {
	switch {
	case s.own != nil:
		s.own.write(ctx, it) // a failure is logged by the writer
	case s.synclog != nil:
		s.synclog.LogChannel(ctx, s.o.Channel, it) // a failure is logged by the writer
	}
	s.requeued = true
	s.log.Info(fmt.Sprintf("  Deferred: %s %s", it.Type, strings.Join(it.Args, " ")))
}

// promote logs Cyrus's "  Promoting: <what> -> <to>" line.
func (s *syncer) promote(what, to string) {
	s.log.Info(fmt.Sprintf("  Promoting: %s -> %s", what, to))
}

// mailboxes syncs the mailbox groups, one per user (shared mailboxes
// together), each with the former names of its mailboxes. As in Cyrus a
// failing group does not stop the others, and the result is the last
// group's.
//
// cyrus: imap/sync_support.c split_user_mailboxes (3.6.1)
func (l *logRun) mailboxes(ctx context.Context) bool {
	if len(l.b.Mailboxes) == 0 {
		return true
	}
	for _, g := range l.b.Groups() {
		if l.stopped(ctx) {
			return false
		}
		names := l.s.withFormerNames(l.b.Mailboxes[g])
		l.s.log.Debug(fmt.Sprintf("sync_mailboxes: doing %d", len(names)))
		l.r = l.mailboxGroup(ctx, names)
		if l.r == nil {
			l.r = l.ops.restart(ctx)
		}
	}
	return l.r == nil
}

// withFormerNames adds, after each name that exists locally (tombstones
// and intermediates included), every name its mailbox had before.
func (s *syncer) withFormerNames(names []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, n := range names {
		add(n)
		e, err := s.sp.LookupName(n)
		if err != nil {
			continue
		}
		byID, err := s.sp.LookupUniqueID(e.UniqueID)
		if err != nil {
			continue
		}
		for _, h := range byID.History {
			add(h.Name)
		}
	}
	return out
}

// mailboxGroup syncs one group. Locked: every name is deferred. Another
// error (not BYE): each user mailbox is promoted to its user's USER sync,
// and the group fails only if it held a shared mailbox.
//
// cyrus: imap/sync_support.c do_mailboxes (3.6.1)
func (l *logRun) mailboxGroup(ctx context.Context, names []string) error {
	s := l.s
	err := l.ops.doMailboxes(ctx, names)
	switch {
	case err == nil:
		return nil
	case s.deferrable(err):
		for _, n := range names {
			s.deferItem(ctx, synclog.Mailbox(n))
		}
		return nil
	case isBye(err) || ctx.Err() != nil:
		return err
	}
	nonuser := false
	for _, n := range names {
		u := s.ns.UserIDOf(n)
		if u == "" {
			nonuser = true
			continue
		}
		l.users.add(u, "")
		s.promote("MAILBOX "+n, "USER "+u)
	}
	if nonuser {
		return err
	}
	return nil
}

// restart is RESTART: the replica drops what it staged.
func (s *syncer) restart(ctx context.Context) error {
	err := s.c.Restart(ctx)
	s.logNo("RESTART", err)
	return err
}
