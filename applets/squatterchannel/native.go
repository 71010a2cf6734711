package squatterchannel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/searchtext"
	"github.com/cyrus-replication/cyrus-replication/spool/squat"
	"github.com/cyrus-replication/cyrus-replication/spool/squatindex"
)

// Native is the built-in SQUAT indexer: spool/squatindex reads the
// mailbox under Cyrus's locks, spool/searchtext turns each message into
// the documents Cyrus's squatter would write, spool/squat writes
// cyrus.squat as Cyrus's does. With -v it logs Cyrus's SQUAT statistics.
func Native(s Setup) (Indexer, error) {
	if s.Spool == nil {
		return nil, errors.New("no spool")
	}
	opt := searchtext.OptionsFrom(s.Config)
	// Always incremental, -i or not: Cyrus's search_update_mailbox hands
	// its flags to the SQUAT receiver's begin_mailbox as "incremental",
	// and index_one always sets SEARCH_UPDATE_BATCH there, so a SQUAT
	// index is never rebuilt from scratch while it reads.
	// cyrus: imap/search_engines.c search_update_mailbox; imap/squatter.c
	// index_one; imap/search_squat.c begin_mailbox (3.6.1)
	// Cyrus 3.10's begin_mailbox looks at SEARCH_UPDATE_INCREMENTAL
	// alone (-i, implied by -R), and its search_update_mailbox indexes
	// messages with parts for an attachment extractor in a second pass.
	// cyrus: imap/search_squat.c begin_mailbox; imap/search_engines.c
	// search_update_mailbox (3.10.2)
	n := &native{sp: s.Spool, log: s.Log, verbose: s.Verbose, incremental: true, setup: s}
	if s.Config.Version.AtLeast(conf.V3_10) {
		n.incremental = s.Options.Incremental
		n.attachPass = searchtext.WantsAttachExtract
		n.v310 = true
	}
	n.extract = func(uid uint32, msg []byte) ([]squat.Document, error) {
		docs, err := searchtext.Documents(uid, msg, opt)
		out := make([]squat.Document, len(docs))
		for i, d := range docs {
			out[i] = squat.Document{Name: d.Name, Text: d.Text}
		}
		return out, err
	}
	n.startCycle()
	return n, nil
}

type native struct {
	sp          *spool.Spool
	log         *slog.Logger
	verbose     int
	incremental bool
	v310        bool
	setup       Setup
	extract     squatindex.Extractor
	attachPass  func([]byte) (bool, error)

	mu        sync.Mutex // the cycle's totals, with --parallel
	total     squatindex.Stats
	mailboxes int
	start     time.Time
}

// IndexMailbox indexes mbox's unindexed messages, all of them (Cyrus's
// SQUAT engine does not batch).
func (n *native) IndexMailbox(ctx context.Context, mbox string, blocking bool) (Result, error) {
	var passes []squatindex.Stats
	opt := squatindex.Options{
		Incremental: n.incremental, Blocking: blocking, Extract: n.extract, Log: n.log, AttachPass: n.attachPass,
		// end_mailbox, once per pass, logs as it ends the pass
		EndPass: func(st squatindex.Stats, began time.Time) {
			passes = append(passes, st)
			if n.verbose > 0 {
				n.stats(mbox, st, began)
			}
		}}
	if n.v310 {
		opt.Busy, opt.Relock = n.setup.LockBusy, func(reacquired bool) { n.relock(mbox, reacquired) }
	}
	res, err := squatindex.IndexMailbox(ctx, n.sp, mbox, opt)
	var oe *squatindex.OpenError
	if errors.As(err, &oe) {
		return 0, &OpenError{Err: oe.Err}
	}
	if err != nil {
		return 0, err
	}
	if res != Done {
		return res, nil
	}
	// end_mailbox, once per pass, counts
	n.mu.Lock()
	for _, st := range passes {
		n.total.Messages += st.Messages
		n.total.Bytes += st.Bytes
		n.total.IndexBytes += st.IndexBytes
		n.mailboxes++
	}
	n.mu.Unlock()
	return Done, nil
}

// relock logs, with -v, the locks let go between Cyrus 3.10's two passes
// and taken again (LOG_DEBUG: seen only with imapd.conf's debug).
//
// cyrus: imap/search_engines.c search_update_mailbox (3.10.2)
func (n *native) relock(mbox string, reacquired bool) {
	if n.verbose == 0 {
		return
	}
	desc := "released mailbox lock"
	if reacquired {
		desc = "reacquired mailbox lock"
	}
	cyruslog.Xsyslog(n.log, cyruslog.LevelDebug, desc, "search_update_mailbox",
		"mboxname", mbox, "unixepoch", time.Now().Unix())
}

// EndCycle logs the cycle's totals as Cyrus's end_update does (with -v,
// for more than one mailbox) and starts counting the next cycle.
func (n *native) EndCycle() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.verbose > 0 && n.mailboxes > 1 {
		n.stats("Total", n.total, n.start)
	}
	n.startCycleLocked()
}

func (n *native) startCycle() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.startCycleLocked()
}

func (n *native) startCycleLocked() {
	n.total, n.mailboxes, n.start = squatindex.Stats{}, 0, time.Now()
}

// stats is Cyrus's print_stats line; seconds are whole wall-clock
// seconds between the two time(NULL) readings.
// cyrus: imap/search_squat.c print_stats (3.6.1)
func (n *native) stats(which string, st squatindex.Stats, start time.Time) {
	n.log.Log(context.Background(), cyruslog.LevelNotice, fmt.Sprintf("squat: %s indexed %d messages (%d bytes) into %d index bytes in %d seconds",
		which, st.Messages, st.Bytes, st.IndexBytes, time.Now().Unix()-start.Unix()))
}
