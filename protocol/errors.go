package protocol

import (
	"errors"
	"fmt"
	"strings"
)

// Code is an IMAP_* error token as it appears after NO in a status line.
type Code string

// The codes a Cyrus server sends, with the exact texts it sends them with.
//
// cyrus: imap/sync_support.c sync_response (3.6.1)
const (
	CodeInvalidUser        Code = "IMAP_INVALID_USER"
	CodeMailboxNonexistent Code = "IMAP_MAILBOX_NONEXISTENT"
	CodeMailboxLocked      Code = "IMAP_MAILBOX_LOCKED"
	CodeMailboxMoved       Code = "IMAP_MAILBOX_MOVED"
	CodeMailboxNotSupp     Code = "IMAP_MAILBOX_NOTSUPPORTED"
	CodeSyncChecksum       Code = "IMAP_SYNC_CHECKSUM"
	CodeSyncChanged        Code = "IMAP_SYNC_CHANGED"
	CodeSyncBadSieve       Code = "IMAP_SYNC_BADSIEVE"
	CodeProtocolError      Code = "IMAP_PROTOCOL_ERROR"
	CodeBadParameters      Code = "IMAP_PROTOCOL_BAD_PARAMETERS"
	// CodeRemoteDenied is what a client makes of any NO it does not know
	// ("NO Unknown error", and "NO IMAP_PROTOCOL_BAD_PARAMETERS" because
	// Cyrus's prefix match wants a space after the token).
	CodeRemoteDenied Code = "IMAP_REMOTE_DENIED"
)

// codeTexts are the lines a server sends for each code.
var codeTexts = map[Code]string{
	CodeInvalidUser:        "IMAP_INVALID_USER No Such User",
	CodeMailboxNonexistent: "IMAP_MAILBOX_NONEXISTENT No Such Mailbox",
	CodeMailboxLocked:      "IMAP_MAILBOX_LOCKED Mailbox locked",
	CodeMailboxMoved:       "IMAP_MAILBOX_MOVED Mailbox exists with another name or uniqueid",
	CodeMailboxNotSupp:     "IMAP_MAILBOX_NOTSUPPORTED Operation is not supported on mailbox",
	CodeSyncChecksum:       "IMAP_SYNC_CHECKSUM Checksum Failure",
	CodeSyncChanged:        "IMAP_SYNC_CHANGED Changed since last sync",
	CodeSyncBadSieve:       "IMAP_SYNC_BADSIEVE Sieve script compilation failure",
	CodeProtocolError:      "IMAP_PROTOCOL_ERROR Protocol error",
	CodeBadParameters:      "IMAP_PROTOCOL_BAD_PARAMETERS",
	CodeRemoteDenied:       "Unknown error",
}

// NextStep says what a client does about an error code.
func (c Code) NextStep() string {
	switch c {
	case CodeMailboxNonexistent:
		return "treat as empty for GET USER/META/MAILBOXES, as done for UNMAILBOX/UNUSER"
	case CodeMailboxLocked:
		return "defer the item to the channel's log and retry later"
	case CodeSyncChecksum:
		return "recompute and retry once, then reconcile with GET FULLMAILBOX"
	case CodeSyncChanged, CodeMailboxMoved:
		return "promote the mailbox to a full USER sync"
	case CodeInvalidUser:
		return "abort the log file being processed"
	case CodeMailboxNotSupp:
		return "give up on this user: the replica mailbox is too old"
	}
	return "fail the operation"
}

// RemoteError is a NO from the peer.
type RemoteError struct {
	// Code is the IMAP_* token, CodeRemoteDenied for anything unknown.
	Code Code
	// Text is the whole text after NO.
	Text string
}

func (e *RemoteError) Error() string { return "NO " + e.Text }

// Is lets errors.Is(err, &RemoteError{Code: c}) match on the code.
func (e *RemoteError) Is(target error) bool {
	t, ok := target.(*RemoteError)
	return ok && t.Code == e.Code && (t.Text == "" || t.Text == e.Text)
}

// ErrCode returns a target for errors.Is matching any NO with code c.
func ErrCode(c Code) error { return &RemoteError{Code: c} }

// ErrBye is the peer's BYE: it is shutting down (IMAP_BYE_LOGOUT).
var ErrBye = errors.New("protocol: server said BYE")

// ProtocolError is a line we cannot make sense of, or BAD.
type ProtocolError struct {
	// Line is what was received.
	Line string
	// Why says what is wrong.
	Why string
	// Response and ErrMsg are set when Line is the status of a reply
	// that is not OK, NO or BYE (BAD, say), or on the IMAP transport
	// carries another tag than the command's: the word in the status's
	// place and the rest of the line, which Cyrus's client logs as
	// response=<…> and errmsg=<…>.
	//
	// cyrus: imap/sync_support.c sync_parse_response (3.6.1)
	Response, ErrMsg string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("protocol error: %s: %q", e.Why, e.Line)
}

// parseNo maps the text after "NO " to a RemoteError the way Cyrus's
// client does, except that a trailing space is not required after the token
// (so IMAP_PROTOCOL_BAD_PARAMETERS is recognised; Cyrus calls it
// IMAP_REMOTE_DENIED).
//
// cyrus: imap/sync_support.c sync_parse_response (3.6.1)
func parseNo(text string) *RemoteError {
	tok, _, _ := strings.Cut(text, " ")
	if _, known := codeTexts[Code(tok)]; known && strings.HasPrefix(tok, "IMAP_") {
		return &RemoteError{Code: Code(tok), Text: text}
	}
	return &RemoteError{Code: CodeRemoteDenied, Text: text}
}

// StatusText is the text a server sends after NO for code.
func StatusText(c Code) string {
	if t, ok := codeTexts[c]; ok {
		return t
	}
	return codeTexts[CodeRemoteDenied]
}
