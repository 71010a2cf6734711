package syncclient

import (
	"path/filepath"

	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// holdChannel starts recording the rolling loop for `cyrus-replication
// status` (ours: Cyrus's sync_client records nothing; see
// synclog.Recorder); the returned function lets the channel go.
func (r *run) holdChannel() func() {
	dir := synclog.ChannelDir(filepath.Join(r.env.Config.ConfigDirectory(), "sync"), r.o.Channel)
	r.state = synclog.Record(dir, func(msg string) { r.env.Log.Warn(msg) })
	return r.state.Close
}

// recordCycle notes a log file processed completely, with n items, and
// the users waiting for a retry.
func (r *run) recordCycle(n int, retry []synclog.RetryUser) { r.state.Cycle(n, retry) }

// recordFailure notes a log file that failed (it stays for the next
// cycle).
func (r *run) recordFailure(err error, retry []synclog.RetryUser) {
	r.state.Failure(errText(err), retry)
}
