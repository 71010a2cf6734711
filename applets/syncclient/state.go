package syncclient

import (
	"os"
	"path/filepath"
	"time"

	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// clientState is what the rolling loop records for `cyrus-replication
// status` (ours: Cyrus's sync_client records nothing): it holds the
// channel's lock file while it runs and rewrites the channel's state
// file after each log file, in the channel's directory (synclog's
// ClientLockName, ClientStateName). A failure to do either costs only
// what status can show, and never stops replication.
type clientState struct {
	dir  string // "" when nothing is recorded
	st   synclog.ClientState
	lock *os.File
}

// holdChannel takes the channel's lock file and records the start; the
// returned function lets it go.
func (r *run) holdChannel() func() {
	dir := synclog.ChannelDir(filepath.Join(r.env.Config.ConfigDirectory(), "sync"), r.o.Channel)
	f, err := synclog.HoldChannel(dir)
	if err != nil {
		r.env.Log.Warn("status will not show this client: " + err.Error())
		return func() {}
	}
	cs := &clientState{dir: dir, lock: f}
	// The last cycles of an earlier client stay: they are the channel's.
	if old, err := synclog.ReadClientState(dir); err == nil && old != nil {
		cs.st = *old
	}
	cs.st.PID, cs.st.Started = os.Getpid(), time.Now()
	r.state = cs
	r.writeState()
	return func() { f.Close() }
}

// recordCycle notes a log file processed completely, with n items, and
// the users waiting for a retry.
func (r *run) recordCycle(n int, retry []synclog.RetryUser) {
	if r.state == nil {
		return
	}
	r.state.st.LastCycle, r.state.st.LastItems, r.state.st.Retrying = time.Now(), n, retry
	r.writeState()
}

// recordFailure notes a log file that failed (it stays for the next
// cycle).
func (r *run) recordFailure(err error, retry []synclog.RetryUser) {
	if r.state == nil {
		return
	}
	r.state.st.LastFailure, r.state.st.LastError, r.state.st.Retrying = time.Now(), errText(err), retry
	r.writeState()
}

func (r *run) writeState() {
	if err := synclog.WriteClientState(r.state.dir, &r.state.st); err != nil {
		r.env.Log.Warn("status will not show this client's cycles: " + err.Error())
		r.state = nil
	}
}
