package squatterchannel

import (
	"context"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// maxSkips is how often, in all, -f puts a locked mailbox back at the end
// of its list before it gives up.
const maxSkips = 10000

// file is -f FILE: index the mailboxes the file names, waiting for locks;
// a mailbox with more to index is indexed again at once, one still locked
// goes to the end of the list. The file is kept. nil is exit 0; any
// failure (the file, more than maxSkips skips, an indexing error) exit 75.
//
// cyrus: imap/squatter.c do_synclogfile, index_one (3.6.1)
func (r *runner) file(ctx context.Context, path string) error {
	reader := synclog.NewFileReader(path, r.log)
	p, err := reader.Begin()
	if err != nil {
		return fmt.Errorf("sync log file %s: %w", path, err)
	}
	names, _ := r.names(ctx, p)
	reader.Close()
	if ctx.Err() != nil {
		return r.graceful()
	}
	failed := false
	skipped := 0
	before := func(name string) bool {
		if !r.admit(name) {
			return false
		}
		if r.o.Verbose > 1 {
			r.log.Info(fmt.Sprintf("do_synclogfile: indexing %s", name))
		}
		return true
	}
	r.dispatch(ctx, names, r.o.Parallel, true, before, func(o outcome) ([]string, bool) {
		switch {
		case o.err == nil && (o.res == Locked || o.res == Again):
			skipped++
			if skipped > maxSkips {
				cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: skipped too many times", "do_synclogfile",
					"mailbox", o.name)
				failed = true
				return nil, true
			}
			return []string{o.name}, false
		case o.err != nil:
			cyruslog.Xsyslog(r.log, cyruslog.LevelErr, "IOERROR: failed to index", "do_synclogfile",
				"mailbox", o.name, "error", o.err.Error())
			failed = true
			return nil, true
		}
		return nil, false
	})
	r.endCycle()
	if ctx.Err() != nil {
		return r.graceful()
	}
	if failed {
		return errShutdown
	}
	return nil
}
