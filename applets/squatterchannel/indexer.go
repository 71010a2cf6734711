package squatterchannel

import (
	"context"
	"log/slog"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/squatindex"
)

// Result is how indexing one mailbox ended, when it did not fail: the
// native indexer's, after Cyrus's index_one return codes.
type Result = squatindex.Result

// The results (see squatindex for each).
const (
	Done        = squatindex.Done
	Again       = squatindex.Again
	Locked      = squatindex.Locked
	Nonexistent = squatindex.Nonexistent
)

// Indexer brings one mailbox's search index up to date: Cyrus's index_one
// less its log lines, which the loop writes from the outcome. It opens the
// mailbox read-locked (waiting for the lock when blocking, else returning
// Locked at once), indexes the messages not yet in the index (expunged
// ones whose files are still there included; for an engine that batches,
// up to search_batchsize of them), and closes it.
//
// An error from opening the mailbox is an *OpenError; any other error
// means the mailbox was opened and indexing it failed. Errors are shown
// in syslog by their text: where Cyrus's error_message() has words for
// the failure, the text should be those words.
//
// IndexMailbox is called for several mailboxes at once with --parallel,
// never twice at a time for one mailbox.
type Indexer interface {
	IndexMailbox(ctx context.Context, mbox string, blocking bool) (Result, error)
}

// CycleEnder is an Indexer that is told when a cycle's mailboxes are all
// done (Cyrus's search_end_update, after each rolling cycle and at the end
// of -f): Cyrus's SQUAT engine logs its totals there ("squat: Total
// indexed N messages …").
type CycleEnder interface {
	EndCycle()
}

// OpenError is a failure to open the mailbox (logged by Cyrus as "error
// opening").
type OpenError struct{ Err error }

func (e *OpenError) Error() string { return e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// Setup is what a NewIndexer gets: the configuration, the spool, the
// logger and the index-mode options of the command line.
type Setup struct {
	Config  *conf.Config
	Spool   *spool.Spool
	Log     *slog.Logger
	Options IndexOptions
	// Verbose is -v's count.
	Verbose int
}

// LockBusy is for an Indexer that finds a mailbox's lock (named name)
// held when not blocking: serving Cyrus 3.10 it logs the line 3.10's
// mboxname_lock writes for every lock it cannot take (3.6 writes none).
//
// cyrus: imap/mboxname.c mboxname_lock (3.10.2)
func (s Setup) LockBusy(name string) {
	if s.Config != nil && s.Config.Version.AtLeast(conf.V3_10) && s.Log != nil {
		cyruslog.Xsyslog(s.Log, cyruslog.LevelErr, "can not lock mailbox", "mboxname_lock",
			"name", name, "error", "Mailbox is locked")
	}
}

// NewIndexer makes the Indexer for a run, once the configuration is read
// (Cyrus's search_begin_update). An error ends the run as Cyrus's "could
// not construct search text receiver" does.
type NewIndexer func(Setup) (Indexer, error)
