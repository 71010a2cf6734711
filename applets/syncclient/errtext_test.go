package syncclient

import (
	"fmt"
	"os"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

func TestErrText(t *testing.T) {
	_, openErr := os.Open("/nonexistent/x")
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, "Success"},
		{&protocol.RemoteError{Code: protocol.CodeRemoteDenied, Text: "Unknown error"}, "The remote Server(s) denied the operation"},
		{fmt.Errorf("x: %w", &protocol.RemoteError{Code: protocol.CodeMailboxNonexistent}), "Mailbox does not exist"},
		{&protocol.RemoteError{Code: protocol.CodeBadParameters}, "The remote Server(s) denied the operation"},
		{fmt.Errorf("spool: %w", spool.ErrNotFound), "Mailbox does not exist"},
		{errAgain, "Retry operation"},
		{errChanged, "Mailbox has changed since last sync"},
		{openErr, "System I/O error: open /nonexistent/x: no such file or directory"},
		// A BAD: its text is in the "received bad response" line.
		{fmt.Errorf("x: %w", &protocol.ProtocolError{Line: "BAD oops", Why: "bad status", Response: "BAD", ErrMsg: "oops"}), "Bad protocol"},
	} {
		if got := errText(c.err); got != c.want {
			t.Errorf("errText(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	if got := cyruslog.Strerror(openErr); got != "No such file or directory" {
		t.Errorf("strerror = %q", got)
	}
}
