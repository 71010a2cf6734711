package syncserver

import (
	"context"
	"errors"
	"strconv"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// dispatchMore runs the commands dispatch does not: the APPLYs that change
// a user's state beyond one mailbox, and RESTORE.
func (r *replica) dispatchMore(ctx context.Context, s *protocol.Session, req protocol.Request, out *reply) error {
	switch q := req.(type) {
	case *protocol.ApplyForce:
		return r.applyForce(ctx)
	case *protocol.ApplyRename:
		return r.applyRename(ctx, q)
	case *protocol.ApplyUnmailbox:
		return r.applyUnmailbox(ctx, q)
	case *protocol.ApplySeen:
		return r.applySeen(ctx, q)
	case *protocol.ApplySub:
		return r.applySub(ctx, q)
	case *protocol.ApplyQuota:
		return r.applyQuota(ctx, q)
	case *protocol.ApplyUnquota:
		return r.applyUnquota(ctx, q)
	case *protocol.ApplyAnnotation:
		a := q.Annotation
		return r.applyAnnotation(ctx, a.MboxName, a.Entry, a.UserID, []byte(a.Data))
	case *protocol.ApplyUnannotation:
		return r.applyAnnotation(ctx, q.MboxName, q.Entry, q.UserID, nil)
	case *protocol.ApplyUnuser:
		return r.applyUnuser(ctx, q)
	case *protocol.RestoreMailbox:
		return r.restoreMailbox(ctx, s, q)
	case *protocol.ApplySieve, *protocol.ApplyUnsieve, *protocol.ApplyUnactivateSieve:
		return r.applySieve(ctx, q)
	}
	cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "SYNCERROR: unknown command", "sync_apply", "command", req.Key())
	return remote(protocol.CodeProtocolError)
}

// logMailbox writes MAILBOX <name> to the sync log (suppressed unless
// sync_log_chain), as Cyrus's commit of a changed mailbox does.
func (r *replica) logMailbox(ctx context.Context, name string) {
	r.logItem(ctx, synclog.TypeMailbox, name)
}

// logItem writes what Cyrus's library code logs for a change made on the
// replica: to every channel with sync_log_chain, else only to the
// unsuppressable ones (squatter).
//
// cyrus: imap/sync_log.c sync_log_suppress (3.6.1)
func (r *replica) logItem(ctx context.Context, typ string, args ...string) {
	r.synclog.Log(ctx, synclog.Item{Type: typ, Args: args})
}

// errorText is Cyrus's error_message() text of an error, for log lines
// that quote it.
func errorText(err error) string {
	var re *protocol.RemoteError
	var errno syscall.Errno
	for _, e := range []struct {
		err  error
		text string
	}{
		{spool.ErrNotFound, "Mailbox does not exist"}, {spool.ErrLocked, "Mailbox is locked"},
		{spool.ErrPermissionDenied, "Permission denied"}, {spool.ErrPartitionUnknown, "Unknown/invalid partition"},
		{spool.ErrMailboxExists, "Mailbox already exists"}, {spool.ErrBadName, "Invalid mailbox name"},
		{spool.ErrQuotaExceeded, "Over quota"}, {spool.ErrMailboxReserved, "Mailbox is currently reserved"},
		{spool.ErrNotSupported, "Operation is not supported on mailbox"},
	} {
		if errors.Is(err, e.err) {
			return e.text
		}
	}
	switch {
	case errors.As(err, &re):
		return protocol.StatusText(re.Code)
	case errors.As(err, &errno):
		return "System I/O error"
	}
	return err.Error()
}

func itoa(n int) string { return strconv.Itoa(n) }
