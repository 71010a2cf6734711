package syncserver

import (
	"context"
	"errors"
	"strconv"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
	"log/slog"
)

// levelNotice is syslog's LOG_NOTICE.
const levelNotice = slog.Level(2)

// dispatchMore runs the commands dispatch does not: the APPLYs that change
// a user's state beyond one mailbox, and RESTORE.
func (r *replica) dispatchMore(ctx context.Context, s *protocol.Session, req protocol.Request, out *reply) error {
	switch req.(type) {
	case *protocol.ApplyForce:
		return r.applyForce(ctx)
	}
	r.log.Error("SYNCERROR: unknown command command=<" + req.Key() + ">")
	return remote(protocol.CodeProtocolError)
}

// logMailbox writes MAILBOX <name> to the sync log (suppressed unless
// sync_log_chain), as Cyrus's commit of a changed mailbox does.
func (r *replica) logMailbox(ctx context.Context, name string) {
	r.synclog.Log(ctx, synclog.Item{Type: synclog.TypeMailbox, Args: []string{name}})
}

// errorText is Cyrus's error_message() text of an error, for log lines
// that quote it.
func errorText(err error) string {
	var re *protocol.RemoteError
	var errno syscall.Errno
	switch {
	case errors.As(err, &re):
		return protocol.StatusText(re.Code)
	case errors.Is(err, spool.ErrNotFound):
		return "Mailbox does not exist"
	case errors.Is(err, spool.ErrLocked):
		return "Mailbox is locked"
	case errors.As(err, &errno):
		return "System I/O error"
	}
	return err.Error()
}

func itoa(n int) string { return strconv.Itoa(n) }
