package status

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// FileBacklog is what one of a channel's log files holds.
type FileBacklog struct {
	// Name is "log-run" or "log"; Path the file.
	Name string `json:"name"`
	Path string `json:"path"`
	// Items are the complete items in it; Malformed the lines
	// sync_client would skip; Bytes its size (a line being written
	// included).
	Items     int   `json:"items"`
	Malformed int   `json:"malformed_lines"`
	Bytes     int64 `json:"bytes"`
	// Since is when its oldest item was written, as far as the file
	// tells: its birth time (the log was created with its first item,
	// and log-run is the same file renamed), or else its modification
	// time, which is later (SinceFrom says which).
	Since     time.Time `json:"since"`
	SinceFrom string    `json:"since_from"`

	ino uint64
}

// openLog opens a log file for reading; nil, nil when there is none.
// Reading takes no lock: Cyrus's writers lock the log to append, and a
// reader must never make them wait.
func openLog(path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return f, err
}

// countLog reads an open log file: items, malformed lines, size and age.
// Only complete lines count: a writer may be half-way through the last.
func countLog(f *os.File, name string) (FileBacklog, error) {
	fb := FileBacklog{Name: name, Path: f.Name()}
	var stx unix.Statx_t
	err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH, unix.STATX_BTIME|unix.STATX_MTIME|unix.STATX_SIZE|unix.STATX_INO, &stx)
	if err != nil {
		return fb, fmt.Errorf("statx %s: %w", f.Name(), err)
	}
	fb.Bytes, fb.ino = int64(stx.Size), stx.Ino
	if stx.Mask&unix.STATX_BTIME != 0 {
		fb.Since, fb.SinceFrom = time.Unix(stx.Btime.Sec, int64(stx.Btime.Nsec)), "birth time"
	} else {
		fb.Since, fb.SinceFrom = time.Unix(stx.Mtime.Sec, int64(stx.Mtime.Nsec)), "modification time"
	}
	complete, err := completeLength(f, fb.Bytes)
	if err != nil {
		return fb, err
	}
	p := synclog.NewParser(io.NewSectionReader(f, 0, complete), f.Name())
	for {
		_, err := p.Next()
		var m *synclog.Malformed
		switch {
		case err == io.EOF:
			return fb, nil
		case errors.As(err, &m):
			fb.Malformed++
		case err != nil:
			return fb, fmt.Errorf("reading %s: %w", f.Name(), err)
		default:
			fb.Items++
		}
	}
}

// completeLength is how much of the first size bytes of f ends with its
// last newline.
func completeLength(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("reading %s: %w", f.Name(), err)
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// channelBacklog counts a channel's log-run and log. log is opened first:
// a client that renames it to log-run meanwhile makes both names one
// file, counted once (as log-run); in the other order the items would be
// missed.
func channelBacklog(syncDir, channel string) ([]FileBacklog, error) {
	live := synclog.LogPath(syncDir, channel)
	var files []*os.File
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for _, path := range []string{live, live + "-run"} {
		f, err := openLog(path)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	var out []FileBacklog
	for i, name := range []string{"log-run", "log"} {
		f := files[1-i]
		if f == nil {
			continue
		}
		fb, err := countLog(f, name)
		if err != nil {
			return nil, err
		}
		if len(out) > 0 && out[0].ino == fb.ino {
			continue // log became log-run between the two opens
		}
		out = append(out, fb)
	}
	return out, nil
}
