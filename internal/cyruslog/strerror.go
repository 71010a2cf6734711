package cyruslog

import (
	"errors"
	"os"
	"strings"
	"syscall"
)

// Strerror is what Cyrus's lines show for a failed system call, strerror(3)
// or %m: the C library's text of the errno inside err, which glibc
// capitalises ("No such file or directory"). An error without an errno
// shows its own text (a *os.PathError's without the path).
func Strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return pe.Err.Error()
		}
		return err.Error()
	}
	s := errno.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
