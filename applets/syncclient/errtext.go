package syncclient

import (
	"errors"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// remoteTexts are Cyrus's error_message() texts of the IMAP_* codes a
// replica's NO carries (what Cyrus's client turns the NO into).
//
// cyrus: imap/imap_err.et, imap/sync_support.c sync_parse_response (3.6.1)
var remoteTexts = map[protocol.Code]string{
	protocol.CodeInvalidUser:        "Invalid user",
	protocol.CodeMailboxNonexistent: "Mailbox does not exist",
	protocol.CodeMailboxLocked:      "Mailbox is locked",
	protocol.CodeMailboxMoved:       "Mailbox has been moved to another server",
	protocol.CodeMailboxNotSupp:     "Operation is not supported on mailbox",
	protocol.CodeSyncChecksum:       "Replication inconsistency detected",
	protocol.CodeSyncChanged:        "Mailbox has changed since last sync",
	protocol.CodeSyncBadSieve:       "Sieve script compilation failure",
	protocol.CodeProtocolError:      "Bad protocol",
	// Cyrus's prefix match wants a space after the token, so it makes a
	// bare IMAP_PROTOCOL_BAD_PARAMETERS a denial.
	protocol.CodeBadParameters: "The remote Server(s) denied the operation",
	protocol.CodeRemoteDenied:  "The remote Server(s) denied the operation",
}

// errText is what Cyrus's syslog lines show for err (error_message(r)):
// Cyrus's text for the errors it has a code for; for the others ("System
// I/O error" in Cyrus) that text followed by ours, so that the cause is
// not lost.
func errText(err error) string {
	var re *protocol.RemoteError
	var pe *protocol.ProtocolError
	switch {
	case err == nil:
		return "Success"
	case errors.As(err, &re):
		if t, ok := remoteTexts[re.Code]; ok {
			return t
		}
		return remoteTexts[protocol.CodeRemoteDenied]
	case errors.Is(err, spool.ErrNotFound):
		return "Mailbox does not exist"
	case errors.Is(err, spool.ErrLocked):
		return "Mailbox is locked"
	case errors.Is(err, errAgain):
		return "Retry operation"
	case errors.Is(err, errChanged):
		return "Mailbox has changed since last sync"
	case errors.Is(err, protocol.ErrBye):
		return "LOGOUT received"
	case errors.As(err, &pe) && pe.Response != "":
		// The reply itself is in the "received bad response" line.
		return remoteTexts[protocol.CodeProtocolError]
	case errors.As(err, &pe):
		return "Bad protocol: " + err.Error()
	case errors.Is(err, spool.ErrUnsupported):
		return err.Error()
	}
	return "System I/O error: " + err.Error()
}

// cString is how C's printf("%s") shows a string that may be NULL: an
// unset channel is "(null)" in Cyrus's lines.
func cString(s string) string {
	if s == "" {
		return "(null)"
	}
	return s
}
