package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// NamedLock is a held Cyrus named lock: an fcntl lock on
// <lockdir>/<path>.lock (docs/spool-layout.md, docs/locking.md). It is an
// OFD lock, so it conflicts with the classic POSIX locks Cyrus takes.
type NamedLock struct {
	name string
	f    *os.File
}

// Name returns the lock's name.
func (l *NamedLock) Name() string { return l.name }

// Release drops the lock. It is safe to call on nil.
func (l *NamedLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := ofd.Unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// UserLockName returns the name of the user namespace lock of userid
// ("*U*<userid>" with '.' as '^'; "*U*" for the shared namespace).
//
// cyrus: imap/user.c _namelock_name_from_userid (3.6.1)
func UserLockName(userid string) string {
	b := []byte("*U*")
	for i := 0; i < len(userid); i++ {
		c := userid[i]
		if c == '.' {
			c = '^'
		}
		b = append(b, c)
	}
	return string(b)
}

// MailboxLockName returns the name of e's mailbox lock: the uniqueid, or
// the internal name for legacy-layout entries.
//
// cyrus: imap/mailbox.c mailbox_open_advanced (3.6.1)
func MailboxLockName(e *Entry) string {
	if e.LegacyDirs() || e.UniqueID == "" {
		return e.Name
	}
	return e.UniqueID
}

// Lock takes the named lock name, shared or exclusive, waiting for
// conflicting holders. Like Cyrus it creates a missing lock file (and its
// directories); a file created by a root process is given to the owner of
// the lock directory, so that Cyrus can still open it read-write.
//
// cyrus: imap/mboxname.c mboxname_lock (3.6.1)
func (s *Spool) Lock(ctx context.Context, name string, exclusive bool) (*NamedLock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := s.LockPath(name)
	f, err := s.openLockFile(path)
	if err != nil {
		return nil, fmt.Errorf("spool: lock %s: %w", name, err)
	}
	if exclusive {
		err = ofd.LockExclusive(f)
	} else {
		err = ofd.LockShared(f)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: lock %s: %s: %w", name, path, err)
	}
	return &NamedLock{name: name, f: f}, nil
}

// ErrLocked is TryLock's answer when another holder has the lock.
var ErrLocked = errors.New("locked")

// TryLock is Lock without waiting: it returns an error wrapping ErrLocked
// when another process holds a conflicting lock (Cyrus's LOCK_NONBLOCK).
func (s *Spool) TryLock(name string, exclusive bool) (*NamedLock, error) {
	path := s.LockPath(name)
	f, err := s.openLockFile(path)
	if err != nil {
		return nil, fmt.Errorf("spool: lock %s: %w", name, err)
	}
	var ok bool
	if exclusive {
		ok, err = ofd.TryLockExclusive(f)
	} else {
		ok, err = ofd.TryLockShared(f)
	}
	if err == nil && !ok {
		err = ErrLocked
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: lock %s: %s: %w", name, path, err)
	}
	return &NamedLock{name: name, f: f}, nil
}

func (s *Spool) openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return f, err
	}
	if err := s.mkdirOwned(filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if errors.Is(err, os.ErrExist) {
		return os.OpenFile(path, os.O_RDWR, 0)
	}
	if err != nil {
		return nil, err
	}
	s.giveToLockOwner(path)
	return f, nil
}

// mkdirOwned creates dir and missing parents below the lock directory.
func (s *Spool) mkdirOwned(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := s.mkdirOwned(filepath.Dir(dir)); err != nil && dir != s.lockDir {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	s.giveToLockOwner(dir)
	return nil
}

// giveToLockOwner chowns path to the owner of the lock directory when we
// run as root (Cyrus itself never runs as root).
func (s *Spool) giveToLockOwner(path string) {
	if os.Geteuid() != 0 {
		return
	}
	var st syscall.Stat_t
	if syscall.Stat(s.lockDir, &st) == nil {
		os.Lchown(path, int(st.Uid), int(st.Gid))
	}
}
