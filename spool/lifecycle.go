package spool

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Refusals of CreateMailbox, DeleteMailbox and RenameMailbox, named after
// the Cyrus error codes they stand for (a missing mailbox is ErrNotFound).
// They arrive wrapped in a *MailboxError.
var (
	// ErrMailboxExists is IMAP_MAILBOX_EXISTS.
	ErrMailboxExists = errors.New("mailbox already exists")
	// ErrMailboxReserved is IMAP_MAILBOX_RESERVED: the name is held by a
	// mailbox being created.
	ErrMailboxReserved = errors.New("mailbox is reserved")
	// ErrPermissionDenied is IMAP_PERMISSION_DENIED, e.g. a user
	// sub-mailbox whose user INBOX does not exist.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrPartitionUnknown is IMAP_PARTITION_UNKNOWN.
	ErrPartitionUnknown = errors.New("unknown/invalid partition")
	// ErrBadName is IMAP_MAILBOX_BADNAME.
	ErrBadName = errors.New("invalid mailbox name")
	// ErrQuotaExceeded is IMAP_QUOTA_EXCEEDED (number of folders).
	ErrQuotaExceeded = errors.New("over quota")
	// ErrNotSupported is IMAP_MAILBOX_NOTSUPPORTED, e.g. renaming a user
	// INBOX without allowusermoves.
	ErrNotSupported = errors.New("operation is not supported on mailbox")
)

// MailboxError is a failed mailbox create, delete or rename.
type MailboxError struct {
	// Op is "create", "delete" or "rename".
	Op string
	// Name is the internal mailbox name (for a rename, "old -> new").
	Name string
	// Err is one of the Err* values above, ErrNotFound, or the failure
	// underneath.
	Err error
}

func (e *MailboxError) Error() string { return "spool: " + e.Op + " " + e.Name + ": " + e.Err.Error() }
func (e *MailboxError) Unwrap() error { return e.Err }

func mboxErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var me *MailboxError
	if errors.As(err, &me) {
		return err
	}
	return &MailboxError{Op: op, Name: name, Err: err}
}

// lockUsers takes the user namespace locks of the owners of names,
// exclusive, in byte order of the names as sync_apply_rename does; an
// owner is locked once. Shared mailboxes use "*U*".
//
// cyrus: imap/user.c user_namespacelock_full; imap/sync_support.c sync_apply_rename (3.6.1)
func (s *Spool) lockUsers(ctx context.Context, names ...string) (release func(), err error) {
	sorted := append([]string(nil), names...)
	if len(sorted) == 2 && sorted[1] < sorted[0] {
		sorted[0], sorted[1] = sorted[1], sorted[0]
	}
	var locks []*NamedLock
	release = func() {
		for i := len(locks) - 1; i >= 0; i-- {
			locks[i].Release()
		}
	}
	done := map[string]bool{}
	for _, n := range sorted {
		owner := s.layout.NS.UserIDOf(n)
		if done[owner] {
			continue
		}
		done[owner] = true
		l, err := s.Lock(ctx, UserLockName(owner), true)
		if err != nil {
			release()
			return nil, err
		}
		locks = append(locks, l)
	}
	return release, nil
}

// maxMailboxName is MAX_MAILBOX_NAME.
const maxMailboxName = 490

// policyCheck refuses names Cyrus's mboxname_policycheck refuses for a
// mailboxes.db writer: empty, too long, empty levels, control characters
// and 8-bit bytes (internal names are modified UTF-7).
//
// cyrus: imap/mboxname.c mboxname_policycheck (3.6.1)
func policyCheck(intname string) error {
	if intname == "" || len(intname) > maxMailboxName {
		return ErrBadName
	}
	if _, rest, ok := strings.Cut(intname, "!"); ok {
		intname = rest
	}
	for _, level := range strings.Split(intname, ".") {
		if level == "" {
			return ErrBadName
		}
	}
	for i := 0; i < len(intname); i++ {
		if c := intname[i]; c < 0x20 || c >= 0x7f {
			return ErrBadName
		}
	}
	return nil
}

// newUniqueID is makeuuid as Debian's Cyrus builds it (without libuuid):
// 24 characters from 0-9a-z.
//
// cyrus: lib/util.c makeuuid (3.6.1)
func newUniqueID() (string, error) {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// mkdirLike creates dir and missing parents (0755, like cyrus_mkdir) and,
// when we run as root, gives what it created to the owner of ref (the
// partition root), so that Cyrus can write there.
func mkdirLike(dir, ref string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirLike(parent, ref); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	chownLike(dir, ref)
	return nil
}

// chownLike gives path to the owner of ref when we run as root.
func chownLike(path, ref string) {
	if os.Geteuid() != 0 {
		return
	}
	var st syscall.Stat_t
	if syscall.Stat(ref, &st) == nil {
		os.Lchown(path, int(st.Uid), int(st.Gid))
	}
}

// findQuotaRoot is quota_findroot: intname itself or its nearest ancestor
// that has a quota file, else the domain's quota, else "".
//
// cyrus: imap/quota_db.c quota_findroot (3.6.1)
func (s *Spool) findQuotaRoot(intname string) string {
	dom, mbox, hasDom := cutDomain(intname)
	if !s.layout.NS.VirtDomains {
		dom, mbox, hasDom = "", intname, false
	}
	prefix := ""
	if hasDom {
		prefix = dom + "!"
	}
	for name := mbox; ; {
		if _, err := os.Stat(s.QuotaPath(prefix + name)); err == nil {
			return prefix + name
		}
		i := strings.LastIndexByte(name, '.')
		if i < 0 {
			break
		}
		name = name[:i]
	}
	if hasDom {
		if _, err := os.Stat(s.QuotaPath(prefix)); err == nil {
			return prefix
		}
	}
	return ""
}
