package syncclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// errAgain is Cyrus's IMAP_AGAIN inside the client: renames were sent, so
// the replica's state must be read again.
var errAgain = errors.New("replica state changed: try again")

// errChanged is IMAP_SYNC_CHANGED: a user or rename loop did not settle.
//
//lint:ignore ST1005 Cyrus's wording of IMAP_SYNC_CHANGED
var errChanged = errors.New("Changed since last sync")

// syncer is one sync_client run: configuration, local spool, connection.
type syncer struct {
	cfg        *conf.Config
	ns         conf.Namespace
	sp         *spool.Spool
	c          *protocol.Client
	o          *Options
	servername string
	log        *slog.Logger
	stdout     io.Writer
	// partition is -p, "" for each mailbox's own.
	partition string
	// synclog receives the MAILBOX lines of master mailboxes a full
	// update changed, as Cyrus's mailbox_unlock_index writes them.
	synclog *synclog.Writer
	// makeFlagsBuf is Cyrus's static make_flags buffer (see lastFlag).
	makeFlagsBuf string
	// progress is the progress line of -A and -u on a terminal; nil:
	// none.
	progress *progress
	// requeued is set when an item was written back to our own channel's
	// log (a deferral) while a log file was processed.
	requeued bool
	// own, in rolling mode with several workers, writes the deferrals,
	// so that the loop knows them from others' writes.
	own *ownLog
	// ahead are the GET USERs sent early (ahead.go).
	ahead []*userAhead
}

// logMailbox writes "MAILBOX name" to the sync log channels. A failure is
// logged by the writer and does not stop the sync (as in Cyrus).
func (s *syncer) logMailbox(name string) {
	if s.synclog != nil {
		s.synclog.Log(context.Background(), synclog.Item{Type: synclog.TypeMailbox, Args: []string{name}})
	}
}

// action prints what is being done (-v on stdout, -l to syslog), in
// Cyrus's words: "USER fred", "MAILBOX user.fred", …
func (s *syncer) action(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if s.o.Verbose > 0 {
		fmt.Fprintln(s.stdout, line)
	}
	if s.o.VerboseLogging {
		s.log.Info(line)
	}
}

// local is the name of a command, and of its -v line, with -L: the
// LOCAL_ form (LOCAL_MAILBOX, LOCAL_RENAME, LOCAL_UNMAILBOX).
func (s *syncer) local(cmd string) string {
	if s.o.LocalOnly {
		return "LOCAL_" + cmd
	}
	return cmd
}

// targetPartition is where a mailbox goes on the replica.
func (s *syncer) targetPartition(local string) string {
	if s.partition != "" {
		return s.partition
	}
	return local
}

// isSieveMailbox tells whether intname is a user's #sieve mailbox.
func (s *syncer) isSieveMailbox(intname string) bool {
	m := s.ns.ParseInternal(intname)
	return m.LocalPart != "" && len(m.Boxes) == 1 && m.Boxes[0] == "#sieve"
}

// do sends a typed request and logs a NO as Cyrus does.
func (s *syncer) do(ctx context.Context, req protocol.Request) error {
	_, err := s.c.Do(ctx, req)
	s.logNo(req.Key(), err)
	return err
}

// logNo writes what Cyrus's client logs for a reply to cmd that is not
// OK: "<CMD> received NO response: <text>" for a NO, and for a status
// it cannot read (BAD, as a replica whose disk is full answers an
// upload) "IOERROR: received bad response".
//
// cyrus: imap/sync_support.c sync_parse_response (3.6.1)
func (s *syncer) logNo(cmd string, err error) {
	var re *protocol.RemoteError
	var pe *protocol.ProtocolError
	switch {
	case errors.As(err, &re):
		s.log.Error(fmt.Sprintf("%s received NO response: %s", strings.ToUpper(cmd), re.Text), "command", cmd)
	case errors.As(err, &pe) && pe.Response != "":
		cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "IOERROR: received bad response", "sync_parse_response",
			"command", strings.ToUpper(cmd), "response", pe.Response, "errmsg", pe.ErrMsg)
	}
}

// isCode tells whether err is a NO with code c.
func isCode(err error, c protocol.Code) bool { return errors.Is(err, protocol.ErrCode(c)) }
