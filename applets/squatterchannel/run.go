package squatterchannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// runner is one run of the rolling loop or of -f.
type runner struct {
	o      *Options
	log    *slog.Logger
	stdout io.Writer
	ix     Indexer
	mb     mailboxes
	skip   skipRules
	// requeue writes "APPEND <mailbox>" to the channel's live log.
	requeue func(mbox string) error
	// shutdownFiles are msg/shutdown.squatter and msg/shutdown.
	shutdownFiles []string
	// hup receives SIGHUP; daemon is CYRUS_ISDAEMON (a SIGHUP ends the
	// loop gracefully only then).
	hup    <-chan os.Signal
	daemon bool
	gotHup bool
	// idle is how long the loop waits for a log to appear (0.1 s).
	idle time.Duration
	// state records -R's cycles for `cyrus-replication status` (ours).
	state *synclog.Recorder
}

// idlePoll is how often Cyrus's rolling squatter looks for the log while
// there is none.
const idlePoll = 100 * time.Millisecond

// ident is the syslog ident and shutdown file suffix: Cyrus's squatter's.
const ident = "squatter"

// shutdownFilePaths are Cyrus's shutdown files for the squatter, the
// per-service one first.
//
// cyrus: imap/global.c shutdown_file (3.6.1)
func shutdownFilePaths(configDir string) []string {
	base := filepath.Join(configDir, "msg", "shutdown")
	return []string{base + "." + ident, base}
}

// shuttingDown tells whether a shutdown file is there (readable, as
// Cyrus's fopen wants it).
func (r *runner) shuttingDown() bool {
	for _, p := range r.shutdownFiles {
		if f, err := os.Open(p); err == nil {
			f.Close()
			return true
		}
	}
	return false
}

// errShutdown ends a run with EX_TEMPFAIL: a shutdown file, or SIGTERM,
// SIGINT or SIGQUIT.
var errShutdown = errors.New("shut down")

// graceful is Cyrus's NOTICE on a shutdown signal.
func (r *runner) graceful() error {
	r.log.Log(context.Background(), cyruslog.LevelNotice, "graceful shutdown")
	return errShutdown
}

// names collects what a log file asks for: APPEND's mailbox, and every
// mailbox of USER's tree as mailboxes.db lists it now; other items are
// ignored. The result is sorted by bytes, without duplicates.
//
// cyrus: imap/squatter.c read_sync_log_items, do_rolling (3.6.1)
func (r *runner) names(ctx context.Context, p *synclog.Parser) (names []string, items int) {
	all, err := synclog.ReadAll(p, func(m *synclog.Malformed) { r.log.Error(m.Error()) })
	if err != nil {
		// Cyrus's reader ends the file there; what was read is handled.
		r.log.Error(fmt.Sprintf("IOERROR: reading %s: %s", p.File, cyruslog.Strerror(err)))
	}
	for _, it := range all {
		switch it.Type {
		case synclog.TypeAppend:
			names = append(names, it.Arg(0))
		case synclog.TypeUser:
			tree, err := userTree(ctx, r.mb, it.Arg(0))
			if err != nil {
				r.log.Error("reading the mailboxes of a user to index", "user", it.Arg(0), "error", err)
				continue
			}
			names = append(names, tree...)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), len(all)
}

// external is the mailbox's name as Cyrus's squatter logs it (the admin's
// namespace); the internal name if it has none.
func (r *runner) external(name string) string {
	if ext, err := r.skip.ns.External(name); err == nil {
		return ext
	}
	return name
}

// admit is should_index with its log line.
func (r *runner) admit(name string) bool {
	ok, lookupErr := r.skip.shouldIndex(r.mb, name)
	if lookupErr != "" {
		ext := r.external(name)
		if r.o.Verbose > 0 {
			fmt.Fprintf(r.stdout, "error looking up %s: %s\n", ext, lookupErr)
		}
		r.log.Info(fmt.Sprintf("error looking up %s: %s", ext, lookupErr))
	}
	return ok
}

// outcome is one IndexMailbox call's result.
type outcome struct {
	name string
	res  Result
	err  error
}

// index calls the Indexer for one mailbox and writes index_one's lines:
// "indexing mailbox" once the mailbox was opened, "locked, retrying" (-v),
// "error opening". Blocking (-f), a mailbox with more to index is indexed
// again at once, batch after batch, as Cyrus's index_one does; then -S's
// pause.
//
// cyrus: imap/squatter.c index_one (3.6.1)
func (r *runner) index(ctx context.Context, name string, blocking bool) outcome {
	ext := r.external(name)
	for {
		res, err := r.ix.IndexMailbox(ctx, name, blocking)
		var oe *OpenError
		switch {
		case errors.As(err, &oe):
			r.openError(ext, oe.Error())
		case err == nil && res == Locked:
			if r.o.Verbose > 0 {
				r.log.Info(fmt.Sprintf("mailbox %s locked, retrying", ext))
			}
		case err == nil && res == Nonexistent:
			r.openError(ext, "Mailbox does not exist")
		default:
			r.log.Info(fmt.Sprintf("indexing mailbox %s... ", ext))
			if r.o.Verbose > 0 {
				fmt.Fprintf(r.stdout, "Indexing mailbox %s... ", ext)
			}
		}
		if blocking && err == nil && res == Again && ctx.Err() == nil {
			continue
		}
		if r.o.Sleep > 0 {
			sleep(ctx, r.o.Sleep)
		}
		return outcome{name: name, res: res, err: err}
	}
}

func (r *runner) openError(ext, text string) {
	if r.o.Verbose > 0 {
		fmt.Fprintf(r.stdout, "error opening %s: %s\n", ext, text)
	}
	r.log.Info(fmt.Sprintf("error opening %s: %s", ext, text))
}

// sleep waits d, less if ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// endCycle tells a CycleEnder that the cycle is over.
func (r *runner) endCycle() {
	if e, ok := r.ix.(CycleEnder); ok {
		e.EndCycle()
	}
}
