package syncclient

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// The steps of a log file after the mailbox groups, in Cyrus's order:
// QUOTA, ANNOTATION, SEEN, SUB, UNMAILBOX, META, USER, UNUSER. Each
// returns false to stop the file (Cyrus's "goto cleanup").
//
// cyrus: imap/sync_support.c sync_do_reader (3.6.1)

// promoteToOwner promotes a failed QUOTA or ANNOTATION item to the USER
// sync of the user whose mailbox it names. Cyrus 3.6 puts the name itself
// where the userid belongs and then syncs a user without a userid
// (undefined behaviour); a shared root or mailbox has no user to fall back
// on, and fails the file instead.
func (l *logRun) promoteToOwner(kind, name string) bool {
	u := l.s.ns.UserIDOf(name)
	if u == "" {
		return false
	}
	l.users.add(u, "")
	l.s.promote(kind+" "+name, "USER "+u)
	return true
}

func (l *logRun) quotas(ctx context.Context) bool {
	for _, root := range l.b.Quotas {
		if l.stopped(ctx) {
			return false
		}
		l.r = l.ops.doQuotaItem(ctx, root)
		switch {
		case l.s.deferrable(l.r):
			l.s.deferItem(ctx, synclog.Quota(root))
		case isBye(l.r):
			return false
		case l.r != nil:
			if !l.promoteToOwner("QUOTA", root) {
				return false
			}
		}
	}
	return true
}

func (l *logRun) annotations(ctx context.Context) bool {
	for _, name := range l.b.Annotations {
		if l.stopped(ctx) {
			return false
		}
		l.r = l.ops.doAnnotationItem(ctx, name)
		if name == "" {
			continue // server annotations: the result is not looked at (but stays in r)
		}
		switch {
		case l.s.deferrable(l.r):
			l.s.deferItem(ctx, synclog.Annotation(name))
		case isBye(l.r):
			return false
		case l.r != nil:
			if !l.promoteToOwner("ANNOTATION", name) {
				return false
			}
		}
	}
	return true
}

func (l *logRun) seens(ctx context.Context) bool {
	for _, a := range l.seen {
		if !a.active {
			continue
		}
		if l.stopped(ctx) {
			return false
		}
		l.r = l.ops.doSeenItem(ctx, a.user, a.name)
		switch {
		case l.s.deferrable(l.r):
			l.s.deferItem(ctx, synclog.Seen(a.user, a.name))
		case isBye(l.r):
			return false
		case l.r != nil:
			// The item names a uniqueid: it is the user's INBOX only if
			// someone wrote a name there.
			what := "SEEN " + a.user + " " + a.name
			if a.user != "" && l.s.ns.UserInbox(a.user) == a.name {
				l.users.add(a.user, "")
				l.s.promote(what, "USER "+a.user)
			} else {
				l.metas.add(a.user, "")
				l.s.promote(what, "META "+a.user)
			}
		}
	}
	return true
}

func (l *logRun) subscriptions(ctx context.Context) bool {
	for _, a := range l.subs {
		if !a.active {
			continue
		}
		if l.stopped(ctx) {
			return false
		}
		l.r = l.ops.doSubItem(ctx, a.user, a.name)
		switch {
		case l.s.deferrable(l.r):
			l.s.deferItem(ctx, synclog.Sub(a.user, a.name))
		case isBye(l.r):
			return false
		case l.r != nil:
			l.metas.add(a.user, "")
			l.s.promote("SUB "+a.user+" "+a.name, "META "+a.user)
		}
	}
	return true
}

func (l *logRun) unmailboxes(ctx context.Context) bool {
	for _, name := range l.b.Unmailboxes {
		if l.stopped(ctx) {
			return false
		}
		l.r = l.ops.doUnmailboxItem(ctx, name)
		switch {
		case l.s.deferrable(l.r):
			l.s.deferItem(ctx, synclog.Unmailbox(name))
		case l.r != nil:
			return false
		}
	}
	return true
}

func (l *logRun) metaItems(ctx context.Context) bool {
	for i := 0; i < len(l.metas); i++ {
		a := l.metas[i]
		if !a.active {
			continue
		}
		if l.stopped(ctx) {
			return false
		}
		l.r = l.ops.doMeta(ctx, a.user)
		switch {
		case l.s.deferrable(l.r):
			l.s.deferItem(ctx, synclog.Meta(a.user))
		case isBye(l.r) || isCode(l.r, protocol.CodeInvalidUser):
			return false
		case l.r != nil:
			l.users.add(a.user, "")
			l.s.promote("META "+a.user, "USER "+a.user)
		}
	}
	return true
}

func (l *logRun) userItems(ctx context.Context) bool {
	for i := 0; i < len(l.users); i++ {
		a := l.users[i]
		if !a.active {
			continue
		}
		if l.stopped(ctx) {
			return false
		}
		l.r = l.ops.doUser(ctx, a.user)
		switch {
		case l.s.deferrable(l.r):
			l.s.deferItem(ctx, synclog.User(a.user))
		case l.r != nil:
			return false
		}
		if l.r = l.ops.restart(ctx); l.r != nil {
			return false
		}
	}
	return true
}

func (l *logRun) unuserItems(ctx context.Context) bool {
	for _, a := range l.unusers {
		if !a.active {
			continue
		}
		if l.stopped(ctx) {
			return false
		}
		l.r = l.ops.doUnuser(ctx, a.user)
		switch {
		case l.s.deferrable(l.r):
			l.s.deferItem(ctx, synclog.Unuser(a.user))
		case l.r != nil:
			return false
		}
	}
	return true
}
