package synclog

import (
	"os"
	"syscall"
)

// Open-file-description locks (Linux 3.15+). They conflict with the classic
// fcntl locks Cyrus takes (Debian builds Cyrus with fcntl locking), and unlike
// classic locks they are not dropped when some other descriptor of the same
// file in this process is closed.
const (
	fOFDGetLk  = 36 // F_OFD_GETLK
	fOFDSetLk  = 37 // F_OFD_SETLK
	fOFDSetLkW = 38 // F_OFD_SETLKW
)

// lockFile takes a blocking whole-file lock on f: exclusive if excl, else
// shared. It retries on EINTR.
func lockFile(f *os.File, excl bool) error {
	typ := int16(syscall.F_RDLCK)
	if excl {
		typ = syscall.F_WRLCK
	}
	return fcntlLock(f, typ)
}

// unlockFile releases the lock taken by lockFile.
func unlockFile(f *os.File) error { return fcntlLock(f, syscall.F_UNLCK) }

func fcntlLock(f *os.File, typ int16) error {
	lk := syscall.Flock_t{Type: typ, Whence: 0, Start: 0, Len: 0}
	for {
		err := syscall.FcntlFlock(f.Fd(), fOFDSetLkW, &lk)
		if err != syscall.EINTR {
			return err
		}
	}
}
