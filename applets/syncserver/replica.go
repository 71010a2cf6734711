package syncserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// replica runs the GET, APPLY and RESTORE commands of one session against
// the spool: Cyrus's sync_server command handlers.
//
// cyrus: imap/sync_server.c cmd_get, cmd_apply, cmd_restore;
// imap/sync_support.c sync_get_*, sync_apply_*, sync_restore_* (3.6.1)
type replica struct {
	srv     *server
	sp      *spool.Spool
	log     *slog.Logger
	stage   *staging
	synclog *synclog.Writer
	// force is APPLY FORCE for this session only (see applyForce).
	force bool
}

func newReplica(s *server, stageName string) *replica {
	w := synclog.NewWriter(s.env.Config, s.env.Log)
	if !s.env.Config.SyncLogChain() {
		w.Suppress() // only the unsuppressable channels (squatter) hear us
	}
	return &replica{srv: s, sp: s.spool, log: s.env.Log, synclog: w, stage: newStaging(s.spool, stageName, s.env.Log)}
}

// Command implements protocol.Handler.
func (r *replica) Command(ctx context.Context, s *protocol.Session, verb, key string, arg dlist.Value) ([]protocol.Item, error) {
	req, err := protocol.ParseRequest(verb, key, arg)
	switch {
	case errors.Is(err, protocol.ErrUnknownCommand):
		if verb != "GET" {
			cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "SYNCERROR: unknown command", "sync_apply", "command", key)
		}
		return nil, remote(protocol.CodeProtocolError)
	case err != nil:
		r.log.Info(fmt.Sprintf("%s %s: %v", verb, key, err), "command", verb+" "+key)
		return nil, remote(protocol.CodeBadParameters)
	}
	if err := checkNames(req); err != nil {
		r.log.Error(fmt.Sprintf("%s %s refused", verb, key), "command", verb+" "+key, "error", err)
		return nil, remote(protocol.CodeBadParameters)
	}
	out := &reply{}
	err = r.dispatch(ctx, s, req, out)
	return out.items, err
}

// dispatch runs one typed command.
func (r *replica) dispatch(ctx context.Context, s *protocol.Session, req protocol.Request, out *reply) error {
	switch q := req.(type) {
	case *protocol.GetUser:
		return r.getUser(ctx, s, q, out)
	case *protocol.GetMeta:
		return r.getMeta(ctx, s, q.UserID, out)
	case *protocol.GetMailboxes:
		return r.getMailboxes(ctx, s, q, out)
	case *protocol.GetUniqueIDs:
		return r.getUniqueIDs(ctx, s, q, out)
	case *protocol.GetFullMailbox:
		return r.getFullMailbox(ctx, q, out)
	case *protocol.GetQuota:
		return r.getQuota(q.Root, out)
	case *protocol.GetAnnotation:
		return r.getAnnotation(ctx, q, out)
	case *protocol.GetFetch:
		return r.getFetch(q, out)
	case *protocol.GetFetchSieve:
		return r.getFetchSieve(ctx, q, out)
	case *protocol.ApplyReserve:
		return r.applyReserve(ctx, q, out)
	case *protocol.ApplyMessage:
		return r.applyMessage(q)
	case *protocol.ApplyMailbox:
		return r.applyMailbox(ctx, s, q)
	case *protocol.ApplyExpunge:
		return r.applyExpunge(ctx, q)
	}
	return r.dispatchMore(ctx, s, req, out)
}

// reply collects the untagged items of a command's answer.
type reply struct {
	items []protocol.Item
}

func (o *reply) add(b protocol.Body) {
	o.items = append(o.items, protocol.Item{Key: b.Key(), Value: b.Value()})
}

// Files implements protocol.Handler: APPLY MESSAGE's file literals go to
// the staging area while the line is read.
func (r *replica) Files(s *protocol.Session) dlist.FileFunc {
	return func(partition, guidText string, size int64, rd io.Reader) error {
		return r.stage.receive(partition, guidText, size, rd, s.Archive)
	}
}

// Restart implements protocol.Handler: RESTART, EXIT and the end of the
// session drop what was staged.
//
// cyrus: imap/sync_server.c cmd_restart (3.6.1)
func (r *replica) Restart(*protocol.Session) { r.stage.reset() }

// remote returns the NO a Cyrus server sends for code.
func remote(code protocol.Code) error {
	return &protocol.RemoteError{Code: code, Text: protocol.StatusText(code)}
}

// errNo maps a spool error to the NO Cyrus's sync_server would send.
func errNo(err error) error {
	var re *protocol.RemoteError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return err
	case errors.Is(err, spool.ErrNotFound):
		return remote(protocol.CodeMailboxNonexistent)
	}
	return err
}
