package synclog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Our rolling sync_client's own files in a channel's directory (beside its
// log): what `cyrus-replication status` reads. Cyrus 3.6 writes only "log"
// and "log-run" there (and, in the default channel's directory, the other
// channels' directories); its sync_client holds no lock and writes no pid
// file while it follows a channel, so these names are new to that
// directory and Cyrus's files are never touched.
//
// cyrus: imap/sync_log.c sync_log_reader_create_with_channel,
// sync_log_reader_begin; imap/sync_client.c do_daemon (3.6.1)
const (
	// ClientLockName is held (a shared OFD lock) by each of our rolling
	// clients following the channel, for as long as it runs.
	ClientLockName = "cyrus-replication.lock"
	// ClientStateName records the client's last successful cycle.
	ClientStateName = "cyrus-replication.state"
)

// ClientState is what our rolling client records about a channel.
type ClientState struct {
	// PID is the process that wrote the state.
	PID int `json:"pid"`
	// Started is when that process began following the channel.
	Started time.Time `json:"started"`
	// LastCycle is when it last processed a log file completely (zero:
	// not yet); LastItems is how many items that file held.
	LastCycle time.Time `json:"last_cycle,omitzero"`
	LastItems int       `json:"last_items"`
	// LastFailure and LastError are the last log file that failed (kept
	// for the next cycle).
	LastFailure time.Time `json:"last_failure,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// Retrying are the users whose items failed and wait for their own
	// retry (--workers > 1), by userid.
	Retrying []RetryUser `json:"retrying,omitempty"`
}

// RetryUser is a user waiting for a retry: its items were written back to
// the channel's log.
type RetryUser struct {
	// User is the userid; "" stands for shared mailboxes and the server's
	// annotations.
	User string `json:"user"`
	// Attempts is how many times in a row it failed, Since the first.
	Attempts int       `json:"attempts"`
	Since    time.Time `json:"since"`
	// Next is when the retry is due.
	Next time.Time `json:"next"`
	// Error is the last failure; Items how many items it held.
	Error string `json:"error"`
	Items int    `json:"items"`
}

// ChannelDir is the directory of a channel's log.
func ChannelDir(syncDir, channel string) string { return filepath.Dir(LogPath(syncDir, channel)) }

// WriteClientState replaces the channel's state file atomically (a
// temporary file renamed into place), so a reader sees the old state or
// the new one. It is not fsynced: losing it in a crash loses only what
// status shows.
func WriteClientState(dir string, st *ClientState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+ClientStateName+".*")
	if err != nil {
		return fmt.Errorf("client state: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, ClientStateName))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("client state in %s: %w", dir, err)
	}
	return nil
}

// ReadClientState reads the channel's state file; nil, nil when there is
// none.
func ReadClientState(dir string) (*ClientState, error) {
	path := filepath.Join(dir, ClientStateName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st ClientState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &st, nil
}

// HoldChannel takes a shared lock on the channel's lock file (creating the
// directory and the file if need be) and keeps it until the returned file
// is closed. Shared: Cyrus does not stop two clients following one
// channel, and neither do we.
func HoldChannel(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("hold channel: %w", err)
	}
	path := filepath.Join(dir, ClientLockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("hold channel: %w", err)
	}
	lk := syscall.Flock_t{Type: syscall.F_RDLCK, Whence: io.SeekStart}
	if err := syscall.FcntlFlock(f.Fd(), fOFDSetLk, &lk); err != nil {
		f.Close()
		return nil, fmt.Errorf("hold channel: lock %s: %w", path, err)
	}
	return f, nil
}

// ChannelHeld tells whether a rolling client of ours holds the channel.
// It only asks (F_OFD_GETLK) and takes no lock, and the file is none
// that Cyrus's writers lock.
func ChannelHeld(dir string) (bool, error) {
	path := filepath.Join(dir, ClientLockName)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
	if err := syscall.FcntlFlock(f.Fd(), fOFDGetLk, &lk); err != nil {
		return false, fmt.Errorf("fcntl(F_OFD_GETLK) %s: %w", path, err)
	}
	return lk.Type != syscall.F_UNLCK, nil
}
