package syncserver

import (
	"fmt"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// Names from the wire become parts of paths (by-name mailbox directories,
// uuid directories, per-user files, the sieve directory) or database keys.
// Before any command runs, every such name is checked: one that could
// escape its directory or break a key — a '/', a NUL or other control
// byte, an empty level, "." or "..", over-long — is refused as bad
// parameters. Cyrus relies on its callers' policy checks, which
// sync_server does not all reach; real Cyrus names never fail these.
const (
	maxMailboxName = 490 // MAX_MAILBOX_NAME
	maxWord        = 255 // a path component
)

// badName says what is wrong with a name that must stay inside its
// directory, or "".
func badName(kind, s string, max int, levels bool) string {
	switch {
	case len(s) > max:
		return fmt.Sprintf("%s of %d bytes (limit %d)", kind, len(s), max)
	case strings.ContainsAny(s, "/\x00\r\n"):
		return fmt.Sprintf("%s %q holds '/' or a control byte", kind, s)
	case s == "." || s == "..":
		return fmt.Sprintf("%s %q", kind, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return fmt.Sprintf("%s %q holds a control byte", kind, s)
		}
	}
	if levels && s != "" && (strings.Contains(s, "..") || s[0] == '.' || s[len(s)-1] == '.') {
		return fmt.Sprintf("%s %q has an empty level", kind, s)
	}
	return ""
}

// checkNames returns a bad-parameters error naming the first unsafe name
// of req, or nil.
func checkNames(req protocol.Request) error {
	var problems []string
	mbox := func(s string) { problems = append(problems, badName("mailbox name", s, maxMailboxName, true)) }
	word := func(kind, s string) { problems = append(problems, badName(kind, s, maxWord, false)) }
	switch q := req.(type) {
	case *protocol.GetUser:
		word("userid", q.UserID)
	case *protocol.GetMeta:
		word("userid", q.UserID)
	case *protocol.GetFullMailbox:
		mbox(q.Name)
	case *protocol.GetFetch:
		mbox(q.MboxName)
		word("partition", q.Partition)
		word("uniqueid", q.UniqueID)
	case *protocol.GetFetchSieve:
		word("userid", q.UserID)
		word("sieve script", q.FileName)
	case *protocol.ApplyReserve:
		word("partition", q.Partition)
	case *protocol.ApplyMessage:
		for _, f := range q.Files {
			word("partition", f.Partition)
		}
	case *protocol.ApplyMailbox:
		mbox(q.Mailbox.Name)
		word("uniqueid", q.Mailbox.UniqueID)
		word("partition", q.Mailbox.Partition)
	case *protocol.RestoreMailbox:
		mbox(q.Mailbox.Name)
		word("uniqueid", q.Mailbox.UniqueID)
		word("partition", q.Mailbox.Partition)
	case *protocol.ApplyExpunge:
		mbox(q.MboxName)
	case *protocol.ApplyRename:
		mbox(q.OldName)
		mbox(q.NewName)
		word("partition", q.Partition)
	case *protocol.ApplyUnmailbox:
		mbox(q.Name)
	case *protocol.ApplyQuota:
		mbox(q.Quota.Root)
	case *protocol.ApplyUnquota:
		mbox(q.Root)
	case *protocol.ApplySeen:
		word("userid", q.Seen.UserID)
		word("uniqueid", q.Seen.UniqueID)
	case *protocol.ApplySub:
		word("userid", q.UserID)
		mbox(q.MboxName)
	case *protocol.ApplyAnnotation:
		annotationNames(&problems, q.Annotation.MboxName, q.Annotation.Entry, q.Annotation.UserID)
	case *protocol.ApplyUnannotation:
		annotationNames(&problems, q.MboxName, q.Entry, q.UserID)
	case *protocol.ApplySieve:
		word("userid", q.Sieve.UserID)
		word("sieve script", q.Sieve.FileName)
	case *protocol.ApplyUnsieve:
		word("userid", q.UserID)
		word("sieve script", q.FileName)
	case *protocol.ApplyUnactivateSieve:
		word("userid", q.UserID)
	case *protocol.ApplyUnuser:
		word("userid", q.UserID)
	}
	for _, p := range problems {
		if p != "" {
			return &badParams{why: p}
		}
	}
	return nil
}

// annotationNames checks what an annotation write uses: the mailbox (""
// for the server), and an entry and userid that must not break the
// database key (NUL-separated).
func annotationNames(problems *[]string, mboxname, entry, userid string) {
	if mboxname != "" {
		*problems = append(*problems, badName("mailbox name", mboxname, maxMailboxName, true))
	}
	if strings.IndexByte(entry, 0) >= 0 || strings.IndexByte(userid, 0) >= 0 || len(entry) > 1024 || len(userid) > maxWord {
		*problems = append(*problems, fmt.Sprintf("annotation %q of %q holds a NUL or is over-long", entry, userid))
	}
}

// badParams is a refused name; it answers NO IMAP_PROTOCOL_BAD_PARAMETERS.
type badParams struct{ why string }

func (e *badParams) Error() string { return "bad parameters: " + e.why }
