package syncclient

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// coalesceWindow is how long the rolling loop waits, once the sync log
// has appeared, for the rest of a burst of changes (an LMTP delivery to
// many users, a multi-message APPEND) to be written, so that it is taken
// as one file.
const coalesceWindow = 50 * time.Millisecond

// logWaker wakes the rolling loop when a channel's sync log is created or
// written (ours): Cyrus sleeps a whole sync_repeat_interval between looks
// at the log. It watches the log's directory with inotify; where the
// directory does not exist yet (nothing was ever logged to the channel)
// or inotify is unavailable, waiting is plain sleeping, as in Cyrus.
type logWaker struct {
	log, dir string
	// fd is the inotify descriptor, f the same for reading: f.Fd() would
	// make it blocking, out of the poller's reach.
	fd     int
	f      *os.File
	events chan struct{}

	mu sync.Mutex
	wd int // the watch, -1 when there is none
}

// watchMask: a writer creates the log (IN_CREATE) or appends to it
// (IN_MODIFY); a rename into place is IN_MOVED_TO.
const watchMask = syscall.IN_CREATE | syscall.IN_MODIFY | syscall.IN_MOVED_TO | syscall.IN_CLOSE_WRITE

// newLogWaker watches for logPath; nil if inotify cannot be had.
func newLogWaker(logPath string) *logWaker {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil
	}
	// A non-blocking descriptor: os.File reads it through the poller, and
	// Close ends a read in progress.
	w := &logWaker{log: logPath, dir: filepath.Dir(logPath), fd: fd, f: os.NewFile(uintptr(fd), "inotify"),
		events: make(chan struct{}, 1), wd: -1}
	w.watch()
	go w.read()
	return w
}

// watch adds the directory's watch if it is missing; false if it cannot.
func (w *logWaker) watch() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wd >= 0 {
		return true
	}
	wd, err := syscall.InotifyAddWatch(w.fd, w.dir, watchMask)
	if err != nil {
		return false
	}
	w.wd = wd
	return true
}

// read turns the inotify events about the log into a pending wake-up,
// until the waker is closed.
func (w *logWaker) read() {
	buf := make([]byte, 64*(syscall.SizeofInotifyEvent+syscall.NAME_MAX+1))
	name := []byte(filepath.Base(w.log))
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			end := off + syscall.SizeofInotifyEvent + int(ev.Len)
			if end > n {
				break
			}
			evName := bytes.TrimRight(buf[off+syscall.SizeofInotifyEvent:end], "\x00")
			switch {
			case ev.Mask&syscall.IN_IGNORED != 0:
				// The directory went away: watch it again next time.
				w.mu.Lock()
				if int(ev.Wd) == w.wd {
					w.wd = -1
				}
				w.mu.Unlock()
			case ev.Mask&watchMask != 0 && bytes.Equal(evName, name):
				select {
				case w.events <- struct{}{}:
				default:
				}
			}
			off = end
		}
	}
}

// wait returns after d, when ctx is done, on a signal from interrupt, or
// — once the log exists — after the coalescing window.
func (w *logWaker) wait(ctx context.Context, d time.Duration, interrupt <-chan os.Signal) {
	if !w.watch() {
		sleepInterruptible(ctx, d, interrupt)
		return
	}
	select {
	case <-w.events: // from before now: the log is looked at below
	default:
	}
	if _, err := os.Lstat(w.log); err == nil {
		sleepInterruptible(ctx, coalesceWindow, interrupt)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-interrupt:
	case <-w.events:
		sleepInterruptible(ctx, coalesceWindow, interrupt)
	}
}

// waitGrowth is wait for a log that holds what we wrote back to it
// ourselves (seen as was): only a log that is no longer that file, or
// has grown beyond it, ends the wait early.
func (w *logWaker) waitGrowth(ctx context.Context, d time.Duration, interrupt <-chan os.Signal, was os.FileInfo) {
	if !w.watch() {
		sleepInterruptible(ctx, d, interrupt)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-w.events:
		default:
		}
		if st, err := os.Lstat(w.log); err == nil && (!os.SameFile(st, was) || st.Size() != was.Size()) {
			sleepInterruptible(ctx, coalesceWindow, interrupt)
			return
		}
		select {
		case <-t.C:
			return
		case <-ctx.Done():
			return
		case <-interrupt:
			return
		case <-w.events:
		}
	}
}

// Close stops watching.
func (w *logWaker) Close() error { return w.f.Close() }

// sleepInterruptible sleeps d, less if ctx ends or a signal comes.
func sleepInterruptible(ctx context.Context, d time.Duration, interrupt <-chan os.Signal) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-interrupt:
	}
}
