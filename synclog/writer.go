package synclog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// retries is SYNC_LOG_RETRIES: how often the writer re-opens a log that was
// renamed away between its open and its lock.
const retries = 64

// Writer appends items to the sync log files of a configuration. It is the
// one writer every applet uses. It is safe for concurrent use.
type Writer struct {
	// Dir is {configdirectory}/sync.
	Dir string
	// Enabled is the sync_log switch: off, Log writes nothing.
	Enabled bool
	// Channels are the channels Log writes to ("" is the default channel).
	Channels []string
	// Unsuppressable are the channels Log still writes to once Suppress
	// was called.
	Unsuppressable []string
	// Logger receives Cyrus's syslog lines for write failures.
	Logger *slog.Logger

	suppressed bool
}

// NewWriter returns the writer configured by c (sync_log,
// sync_log_channels, sync_log_unsuppressable_channels).
func NewWriter(c *conf.Config, logger *slog.Logger) *Writer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Writer{
		Dir:            filepath.Join(c.ConfigDirectory(), "sync"),
		Enabled:        c.SyncLog(),
		Channels:       c.SyncLogChannels(),
		Unsuppressable: c.SyncLogUnsuppressableChannels(),
		Logger:         logger,
	}
}

// Suppress stops Log from writing to all but the unsuppressable channels;
// sync_server calls it unless sync_log_chain is on.
func (w *Writer) Suppress() { w.suppressed = true }

// LogPath is the live log file of a channel.
func LogPath(syncDir, channel string) string {
	if channel == "" {
		return filepath.Join(syncDir, "log")
	}
	// The channel is one path component, used verbatim, as in Cyrus.
	return syncDir + "/" + channel + "/log"
}

// enabled is Cyrus's sync_log_enabled.
func (w *Writer) enabled(channel string) bool {
	if !w.Enabled {
		return false
	}
	if !w.suppressed {
		return true
	}
	for _, u := range w.Unsuppressable {
		if u == channel {
			return true
		}
	}
	return false
}

// Log writes an item to every channel that should get it (sync_log on, and
// not suppressed unless unsuppressable). It returns the first error; Cyrus
// only syslogs them, which Log does too.
//
// cyrus: imap/sync_log.c sync_log (3.6.1)
func (w *Writer) Log(ctx context.Context, it Item) error {
	line, err := it.Format()
	if err != nil {
		return err
	}
	return w.LogBytes(ctx, line)
}

// LogBytes is Log for an already formatted line (see Raw).
func (w *Writer) LogBytes(ctx context.Context, line []byte) error {
	var first error
	for _, ch := range w.Channels {
		if !w.enabled(ch) {
			continue
		}
		if err := w.appendTo(ctx, ch, line); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// LogChannel writes an item to one channel whatever sync_log and
// suppression say: sync_client and squatter use it to re-queue work on their
// own channel.
//
// cyrus: imap/sync_log.c sync_log_channel (3.6.1)
func (w *Writer) LogChannel(ctx context.Context, channel string, it Item) error {
	line, err := it.Format()
	if err != nil {
		return err
	}
	return w.appendTo(ctx, channel, line)
}

// appendTo is Cyrus's sync_log_base: open for append (creating the
// directories if needed), lock, check the file was not renamed meanwhile,
// write, fsync, unlock.
func (w *Writer) appendTo(ctx context.Context, channel string, line []byte) error {
	fname := LogPath(w.Dir, channel)
	var f *os.File
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		f, err = openLog(fname)
		if err != nil {
			w.Logger.Error(fmt.Sprintf("sync_log(): Unable to write to log file %s: %s", fname, cyruslog.Strerror(err)),
				"channel", channel)
			return fmt.Errorf("sync_log: open %s: %w", fname, err)
		}
		if err := lockFile(f, true); err != nil {
			f.Close()
			w.Logger.Error(fmt.Sprintf("sync_log(): Failed to lock %s for %s: %s", fname, line, cyruslog.Strerror(err)),
				"channel", channel)
			return fmt.Errorf("sync_log: lock %s: %w", fname, err)
		}
		if sameInode(f, fname) {
			break
		}
		unlockFile(f)
		f.Close()
		if attempt >= retries {
			w.Logger.Error(fmt.Sprintf("sync_log(): Failed to lock %s for %s after %d attempts", fname, line, attempt),
				"channel", channel)
			return fmt.Errorf("sync_log: %s renamed away %d times in a row", fname, attempt)
		}
	}
	defer f.Close()
	defer unlockFile(f)
	if _, err := f.Write(line); err != nil {
		w.Logger.Error(fmt.Sprintf("write() to %s failed: %s", fname, cyruslog.Strerror(err)), "channel", channel)
		return fmt.Errorf("sync_log: write %s: %w", fname, err)
	}
	// Cyrus ignores the result of this fsync; we report it, since an item
	// not on disk can be lost.
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync_log: fsync %s: %w", fname, err)
	}
	return nil
}

func openLog(fname string) (*os.File, error) {
	f, err := os.OpenFile(fname, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if errors.Is(err, os.ErrNotExist) {
		if os.MkdirAll(filepath.Dir(fname), 0o755) == nil {
			f, err = os.OpenFile(fname, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		}
	}
	return f, err
}

// sameInode reports whether the open file is still the one at path.
func sameInode(f *os.File, path string) bool {
	var a, b syscall.Stat_t
	if syscall.Fstat(int(f.Fd()), &a) != nil || syscall.Stat(path, &b) != nil {
		return false
	}
	return a.Ino == b.Ino && a.Dev == b.Dev
}
