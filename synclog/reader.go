package synclog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// ErrNoLog is returned by Begin when a channel has nothing to read: neither
// log-run nor log exists (Cyrus's IMAP_AGAIN, "try again later").
var ErrNoLog = errors.New("no sync log to process")

// Reader takes a channel's log away from the writers and reads it, as
// sync_client and squatter do: a leftover log-run (from a crash or a failed
// run) is processed first; otherwise log is renamed to log-run. End deletes
// log-run once everything in it has been handled.
//
// cyrus: imap/sync_log.c sync_log_reader_* (3.6.1)
type Reader struct {
	// LogFile is the live log; "" when reading a named file (-f).
	LogFile string
	// WorkFile is log-run, or the named file.
	WorkFile string
	// Logger receives Cyrus's syslog lines.
	Logger *slog.Logger
	// MaxWord bounds words of the parser (0: DefaultMaxWord).
	MaxWord int

	f *os.File
}

// NewChannelReader reads a channel's log ("" is the default channel).
func NewChannelReader(syncDir, channel string, logger *slog.Logger) *Reader {
	l := LogPath(syncDir, channel)
	return &Reader{LogFile: l, WorkFile: l + "-run", Logger: orDiscard(logger)}
}

// NewFileReader reads a named file once and never deletes it.
func NewFileReader(path string, logger *slog.Logger) *Reader {
	return &Reader{WorkFile: path, Logger: orDiscard(logger)}
}

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// Begin takes the log and returns a parser over it. It returns ErrNoLog
// when a channel has no log.
func (r *Reader) Begin() (*Parser, error) {
	if r.f != nil {
		if err := r.End(); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(r.WorkFile); err == nil {
		r.Logger.Log(context.Background(), cyruslog.LevelNotice, fmt.Sprintf("Reprocessing sync log file %s", r.WorkFile))
	} else if r.LogFile == "" {
		r.Logger.Error("No sync log filename", "file", r.WorkFile)
		return nil, fmt.Errorf("sync log %s: %w", r.WorkFile, err)
	} else {
		if _, err := os.Stat(r.LogFile); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, ErrNoLog
			}
			r.Logger.Error(fmt.Sprintf("Failed to stat %s: %s", r.LogFile, cyruslog.Strerror(err)))
			return nil, fmt.Errorf("sync log: %w", err)
		}
		if err := os.Rename(r.LogFile, r.WorkFile); err != nil {
			r.Logger.Error(fmt.Sprintf("Rename %s -> %s failed: %s", r.LogFile, r.WorkFile, cyruslog.Strerror(err)))
			return nil, fmt.Errorf("sync log: %w", err)
		}
	}
	f, err := os.OpenFile(r.WorkFile, os.O_RDWR, 0)
	if err != nil {
		r.Logger.Error(fmt.Sprintf("Failed to open %s: %s", r.WorkFile, cyruslog.Strerror(err)))
		return nil, fmt.Errorf("sync log: %w", err)
	}
	// A barrier: a writer that opened the file before the rename and holds
	// the lock finishes its line before we get it; every later writer sees
	// the inode change and starts a new log.
	if err := lockFile(f, true); err != nil {
		f.Close()
		r.Logger.Error(fmt.Sprintf("Failed to lock %s: %s", r.WorkFile, cyruslog.Strerror(err)))
		return nil, fmt.Errorf("sync log: lock %s: %w", r.WorkFile, err)
	}
	unlockFile(f)
	r.f = f
	p := NewParser(f, r.WorkFile)
	p.MaxWord = r.MaxWord
	return p, nil
}

// End closes the file and, for a channel, deletes log-run. Call it only once
// every item has been handled: an error before leaves log-run for the next
// run, which processes it first.
func (r *Reader) End() error {
	if r.f == nil {
		return nil
	}
	r.f.Close()
	r.f = nil
	if r.LogFile != "" {
		if err := os.Remove(r.WorkFile); err != nil {
			r.Logger.Error(fmt.Sprintf("Unlink %s failed: %s", r.WorkFile, cyruslog.Strerror(err)))
			return fmt.Errorf("sync log: %w", err)
		}
	}
	return nil
}

// Close closes the file without deleting anything (for an aborted run).
func (r *Reader) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// ReadAll reads every item of p, reporting each malformed line to report
// (which may be nil) and carrying on.
func ReadAll(p *Parser, report func(*Malformed)) ([]Item, error) {
	var items []Item
	for {
		it, err := p.Next()
		var m *Malformed
		switch {
		case err == io.EOF:
			return items, nil
		case errors.As(err, &m):
			if report != nil {
				report(m)
			}
		case err != nil:
			return items, err
		default:
			items = append(items, it)
		}
	}
}
