// Package ofd takes Linux open-file-description (OFD) fcntl locks on Cyrus
// spool files, and opens files for shared reading with the inode re-check
// Cyrus performs after locking.
//
// OFD locks conflict with the classic POSIX record locks Cyrus takes
// (docs/locking.md), but belong to the open file description rather than the
// process, so closing another descriptor of the same file in this process
// does not drop them.
//
// cyrus: lib/lock_fcntl.c lock_reopen_ex (3.6.1) — lock, then compare the
// inode of the descriptor with the inode of the path, reopen if different.
package ofd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// fcntl commands for OFD locks on linux (include/uapi/asm-generic/fcntl.h).
// golang.org/x/sys is not available to this module, so they are spelled out.
const (
	cmdGetLK  = 36 // F_OFD_GETLK
	cmdSetLK  = 37 // F_OFD_SETLK
	cmdSetLKW = 38 // F_OFD_SETLKW
)

// maxReopen bounds how often OpenShared re-opens a file that keeps being
// replaced under it before giving up.
const maxReopen = 100

// lock applies a whole-file OFD lock of type typ (syscall.F_RDLCK,
// F_WRLCK or F_UNLCK) on f, waiting for conflicting locks to go away.
func lock(f *os.File, typ int16) error {
	lk := syscall.Flock_t{Type: typ, Whence: io.SeekStart}
	for {
		err := syscall.FcntlFlock(f.Fd(), cmdSetLKW, &lk)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		return err
	}
}

// LockShared takes a shared (read) whole-file OFD lock on f, waiting if a
// writer holds an exclusive lock.
func LockShared(f *os.File) error {
	if err := lock(f, syscall.F_RDLCK); err != nil {
		return fmt.Errorf("fcntl(F_OFD_SETLKW, F_RDLCK) %s: %w", f.Name(), err)
	}
	return nil
}

// LockExclusive takes an exclusive (write) whole-file OFD lock on f, which
// must be open for writing, waiting for other locks to go away.
func LockExclusive(f *os.File) error {
	if err := lock(f, syscall.F_WRLCK); err != nil {
		return fmt.Errorf("fcntl(F_OFD_SETLKW, F_WRLCK) %s: %w", f.Name(), err)
	}
	return nil
}

// Unlock releases an OFD lock taken on f.
func Unlock(f *os.File) error {
	if err := lock(f, syscall.F_UNLCK); err != nil {
		return fmt.Errorf("fcntl(F_OFD_SETLKW, F_UNLCK) %s: %w", f.Name(), err)
	}
	return nil
}

// Held reports whether another open file description holds a lock on f that
// would conflict with a lock of type typ (syscall.F_RDLCK or F_WRLCK).
func Held(f *os.File, typ int16) (bool, error) {
	lk := syscall.Flock_t{Type: typ, Whence: io.SeekStart}
	if err := syscall.FcntlFlock(f.Fd(), cmdGetLK, &lk); err != nil {
		return false, fmt.Errorf("fcntl(F_OFD_GETLK) %s: %w", f.Name(), err)
	}
	return lk.Type != syscall.F_UNLCK, nil
}

// TryLockShared takes a shared OFD lock on f without waiting; it returns
// TryLockShared takes a shared lock without waiting; false if another
// holder prevents it.
func TryLockShared(f *os.File) (bool, error) { return tryLock(f, syscall.F_RDLCK) }

// TryLockExclusive takes an exclusive lock without waiting; false if
// another holder prevents it.
func TryLockExclusive(f *os.File) (bool, error) { return tryLock(f, syscall.F_WRLCK) }

func tryLock(f *os.File, typ int16) (bool, error) {
	lk := syscall.Flock_t{Type: typ, Whence: io.SeekStart}
	err := syscall.FcntlFlock(f.Fd(), cmdSetLK, &lk)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("fcntl(F_OFD_SETLK) %s: %w", f.Name(), err)
	}
	return true, nil
}

// OpenShared opens path read-only and takes a shared OFD lock on it. After
// locking it compares the inode of the open file with the inode the path now
// names; if the file was replaced (Cyrus repacks twoskip files and rewrites
// cyrus.header by rename), it closes, reopens and locks again. The caller
// must call Unlock (or just Close, which drops the OFD lock with the last
// descriptor of the description) when done.
func OpenShared(path string) (*os.File, error) {
	return openLocked(path, os.O_RDONLY, LockShared)
}

// OpenExclusive opens path read-write and locks it exclusively, reopening
// when the file was replaced (renamed over) while waiting, as Cyrus's
// lock_reopen does.
//
// cyrus: lib/lock_fcntl.c lock_reopen_ex (3.6.1)
func OpenExclusive(path string) (*os.File, error) {
	return openLocked(path, os.O_RDWR, LockExclusive)
}

// openLocked opens path with flag, locks it and reopens while the path
// names another inode than the one locked.
func openLocked(path string, flag int, lock func(*os.File) error) (*os.File, error) {
	for range maxReopen {
		f, err := os.OpenFile(path, flag, 0)
		if err != nil {
			return nil, err
		}
		if err := lock(f); err != nil {
			f.Close()
			return nil, err
		}
		same, err := sameInode(f, path)
		if err != nil {
			f.Close()
			return nil, err
		}
		if same {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("open %s: file replaced %d times while locking", path, maxReopen)
}

// sameInode reports whether f and path name the same inode on the same
// device.
func sameInode(f *os.File, path string) (bool, error) {
	var a, b syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &a); err != nil {
		return false, fmt.Errorf("fstat %s: %w", path, err)
	}
	if err := syscall.Stat(path, &b); err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return false, nil
		}
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	return a.Dev == b.Dev && a.Ino == b.Ino, nil
}
