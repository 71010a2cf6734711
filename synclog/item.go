// Package synclog writes and reads Cyrus's sync log: the append-only files
// ({configdirectory}/sync/log, sync/<channel>/log) in which every process that
// changes mail records one line per change, and from which sync_client and
// squatter learn what to look at.
//
// The writer is byte-for-byte Cyrus 3.6's: the same item lines and quoting,
// the same files per channel, the same fcntl lock and inode re-check, so that
// Cyrus's imapd and lmtpd append to the same files beside us.
//
// The reader differs from Cyrus on purpose in one way: a malformed line is
// reported (file, line number, content) and skipped, and the rest of the file
// is still read. Cyrus stops at an unparsable argument and silently drops the
// rest of the file, deleting it afterwards.
package synclog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// The item types of the sync log. SIEVE and UNSUB are accepted when read;
// no Cyrus 3.x writer emits them.
const (
	TypeUser          = "USER"
	TypeUnuser        = "UNUSER"
	TypeMeta          = "META"
	TypeSieve         = "SIEVE"
	TypeMailbox       = "MAILBOX"
	TypeAppend        = "APPEND"
	TypeDoubleMailbox = "DOUBLEMAILBOX"
	TypeUnmailbox     = "UNMAILBOX"
	TypeRename        = "RENAME"
	TypeQuota         = "QUOTA"
	TypeAnnotation    = "ANNOTATION"
	TypeSeen          = "SEEN"
	TypeSub           = "SUB"
	TypeUnsub         = "UNSUB"
)

// Item is one sync log entry: a type and one or two arguments.
type Item struct {
	// Type is the upper-case item type, e.g. MAILBOX.
	Type string
	// Args are the arguments, unquoted: mailbox names in internal form,
	// userids, quota roots or a mailbox uniqueid (SEEN's second argument).
	Args []string
}

func (it Item) String() string {
	var b bytes.Buffer
	b.WriteString(it.Type)
	for _, a := range it.Args {
		b.WriteByte(' ')
		b.Write(quote(a))
	}
	return b.String()
}

// Arg returns argument i, "" if absent.
func (it Item) Arg(i int) string {
	if i < len(it.Args) {
		return it.Args[i]
	}
	return ""
}

// Constructors for the items Cyrus writes (imap/sync_log.h, 3.6.1).

// User asks for a whole user to be synced.
func User(userid string) Item { return Item{TypeUser, []string{userid}} }

// Unuser records a deleted user.
func Unuser(userid string) Item { return Item{TypeUnuser, []string{userid}} }

// Meta records changed per-user metadata (sieve scripts); cyr_synclog -v.
func Meta(userid string) Item { return Item{TypeMeta, []string{userid}} }

// Mailbox records a changed mailbox.
func Mailbox(mboxname string) Item { return Item{TypeMailbox, []string{mboxname}} }

// Append records messages appended to a mailbox.
func Append(mboxname string) Item { return Item{TypeAppend, []string{mboxname}} }

// DoubleMailbox records a copy or move between two mailboxes.
func DoubleMailbox(from, to string) Item { return Item{TypeDoubleMailbox, []string{from, to}} }

// Unmailbox records a deleted mailbox.
func Unmailbox(mboxname string) Item { return Item{TypeUnmailbox, []string{mboxname}} }

// Rename records a rename; it is written as three lines, RENAME then MAILBOX
// for each name, in one write.
func Rename(from, to string) Item { return Item{TypeRename, []string{from, to}} }

// Quota records a changed quota root.
func Quota(root string) Item { return Item{TypeQuota, []string{root}} }

// Annotation records changed annotations of a mailbox ("" for the server).
func Annotation(mboxname string) Item { return Item{TypeAnnotation, []string{mboxname}} }

// Seen records changed seen state of userid on the mailbox with uniqueid.
func Seen(userid, uniqueid string) Item { return Item{TypeSeen, []string{userid, uniqueid}} }

// Sub records a subscription added or removed.
func Sub(userid, mboxname string) Item { return Item{TypeSub, []string{userid, mboxname}} }

// maxQuoted is how long one quoted argument may grow before Cyrus's writer
// gives up with "word too long": MAX_MAILBOX_BUFFER (1024) including the
// opening quote.
const maxQuoted = 1024

// maxItem is the size of Cyrus's formatting buffer: an item longer than
// this is cut short (only raw lines get there in practice).
const maxItem = 4096

// ErrLineBreak is Cyrus's "Illegal line break in folder name": a CR or LF in
// an argument, which would break the log's line structure.
//
//lint:ignore ST1005 Cyrus's own wording, printed as Cyrus prints it
var ErrLineBreak = errors.New("Illegal line break in folder name")

// ErrWordTooLong is Cyrus's "word too long": an argument over 1023 bytes
// once escaped.
var ErrWordTooLong = errors.New("word too long")

// quote writes a value as Cyrus's sync_quote_name does: `\`, `"`, `{`, `}`
// are backslash-escaped and force quotes; space, TAB, `(`, `)` force quotes;
// the empty string is `""`; anything else (8-bit bytes included) is bare.
//
// cyrus: imap/sync_log.c sync_quote_name (3.6.1)
func quote(s string) []byte {
	need := s == ""
	out := make([]byte, 0, len(s)+2)
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"', '{', '}':
			need = true
			out = append(out, '\\', c)
		case ' ', '\t', '(', ')':
			need = true
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	if !need {
		return out[1:]
	}
	return append(out, '"')
}

// checkArg applies the writer's two fatal checks to one argument. Cyrus
// counts the opening quote and the escaped bytes against its 1024-byte
// buffer whether or not the value ends up quoted.
func checkArg(s string) error {
	if strings.ContainsAny(s, "\r\n") {
		return fmt.Errorf("%w: %q", ErrLineBreak, s)
	}
	escaped := len(s)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', '"', '{', '}':
			escaped++
		}
	}
	if 1+escaped > maxQuoted {
		return fmt.Errorf("%w: %d bytes", ErrWordTooLong, len(s))
	}
	return nil
}

// Format returns the bytes Cyrus writes for an item, trailing LF included.
func (it Item) Format() ([]byte, error) {
	for _, a := range it.Args {
		if err := checkArg(a); err != nil {
			return nil, fmt.Errorf("sync log %s item: %w", it.Type, err)
		}
	}
	var b []byte
	b = append(b, it.String()...)
	b = append(b, '\n')
	if it.Type == TypeRename && len(it.Args) == 2 {
		b = append(b, Mailbox(it.Args[0]).String()...)
		b = append(b, '\n')
		b = append(b, Mailbox(it.Args[1]).String()...)
		b = append(b, '\n')
	}
	return truncateItem(b), nil
}

// Raw formats a whole log line given as text, as `cyr_synclog "<line>"`
// does: not quoted, LF appended if missing.
//
// Cyrus uses the text as a printf-style format: "%x" becomes "x", and "%s" or
// "%d" read arguments that do not exist (undefined behaviour in C). We write
// "%s" and "%d" as they are, and drop a lone trailing '%'.
func Raw(line string) []byte {
	var b []byte
	for i := 0; i < len(line) && len(b) < maxItem; i++ {
		c := line[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+1 == len(line) {
			break
		}
		i++
		switch line[i] {
		case 's', 'd':
			b = append(b, '%', line[i])
		default:
			b = append(b, line[i])
		}
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return b
}

// truncateItem cuts an item to Cyrus's buffer, keeping the final LF.
func truncateItem(b []byte) []byte {
	if len(b) <= maxItem {
		return b
	}
	b = b[:maxItem]
	if b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return b
}
