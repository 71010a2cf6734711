package synclog

import (
	"os"
	"sync"
	"time"
)

// Recorder is what a rolling client of ours (sync_client -r/-R,
// squatter-channel -R) keeps for `cyrus-replication status` while it
// follows a channel: the channel's lock file held, and the state file
// rewritten after each log file. A failure to do either is reported once
// through warn and costs only what status shows: it never stops the
// client. A nil *Recorder records nothing.
type Recorder struct {
	mu   sync.Mutex
	dir  string
	st   ClientState
	lock *os.File
	warn func(string)
}

// Record takes the lock of the channel whose directory is dir and records
// the start. The last cycles of an earlier client stay: they are the
// channel's.
func Record(dir string, warn func(string)) *Recorder {
	f, err := HoldChannel(dir)
	if err != nil {
		warn("status will not show this client: " + err.Error())
		return nil
	}
	r := &Recorder{dir: dir, lock: f, warn: warn}
	if old, err := ReadClientState(dir); err == nil && old != nil {
		r.st = *old
	}
	r.st.PID, r.st.Started = os.Getpid(), time.Now()
	r.write()
	return r
}

// Cycle notes a log file processed completely, with n items, and the
// users waiting for a retry.
func (r *Recorder) Cycle(n int, retry []RetryUser) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.LastCycle, r.st.LastItems, r.st.Retrying = time.Now(), n, retry
	r.write()
}

// Failure notes a log file that failed (it stays for the next cycle).
func (r *Recorder) Failure(errText string, retry []RetryUser) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.LastFailure, r.st.LastError, r.st.Retrying = time.Now(), errText, retry
	r.write()
}

// Close lets the channel's lock go.
func (r *Recorder) Close() {
	if r != nil {
		r.lock.Close()
	}
}

func (r *Recorder) write() {
	if r.dir == "" {
		return
	}
	if err := WriteClientState(r.dir, &r.st); err != nil {
		r.warn("status will not show this client's cycles: " + err.Error())
		r.dir = ""
	}
}
