// Command squatterrec is our binary with a recording search indexer wired
// into squatter-channel, for the differential test against Cyrus's
// squatter (integration/squatter_channel_test.go): each mailbox it is
// asked to index is appended, one internal name a line, to the file
// $SQUATTER_RECORD, and is done. Nothing is indexed. Run it as
// "squatter-channel" (argv[0]) or with the applet's name first.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/applets"
	"github.com/cyrus-replication/cyrus-replication/applets/squatterchannel"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// recorder appends each mailbox to its file.
type recorder struct {
	mu    sync.Mutex
	path  string
	sp    *spool.Spool
	setup squatterchannel.Setup
}

func (r *recorder) IndexMailbox(ctx context.Context, mbox string, blocking bool) (squatterchannel.Result, error) {
	e, err := r.sp.LookupName(mbox)
	if errors.Is(err, spool.ErrNotFound) {
		return squatterchannel.Nonexistent, nil
	} else if err != nil {
		return 0, &squatterchannel.OpenError{Err: err}
	}
	var l *spool.NamedLock
	if blocking {
		l, err = r.sp.Lock(ctx, spool.MailboxLockName(e), false)
	} else {
		l, err = r.sp.TryLock(spool.MailboxLockName(e), false)
	}
	if errors.Is(err, spool.ErrLocked) {
		r.setup.LockBusy(spool.MailboxLockName(e))
		return squatterchannel.Locked, nil
	} else if err != nil {
		return 0, &squatterchannel.OpenError{Err: err}
	}
	defer l.Release()
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return 0, fmt.Errorf("recording: %w", err)
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, mbox); err != nil {
		return 0, fmt.Errorf("recording: %w", err)
	}
	return squatterchannel.Done, nil
}

func main() {
	path := os.Getenv("SQUATTER_RECORD")
	applets.SquatIndexer = func(s squatterchannel.Setup) (squatterchannel.Indexer, error) {
		if path == "" {
			return nil, fmt.Errorf("SQUATTER_RECORD is not set")
		}
		return &recorder{path: path, sp: s.Spool, setup: s}, nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := applets.Run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
