package syncclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// idlePoll is how often Cyrus looks for the log when the minimum cycle
// is 0.
const idlePoll = 100 * time.Millisecond

// rolling is -r and -R (with -1, or -f FILE): follow the channel's sync
// log, or process one log file.
//
// cyrus: imap/sync_client.c main (3.6.1)
func (r *run) rolling(ctx context.Context) error {
	if r.o.InputFile != "" {
		return r.rollingFile(ctx)
	}
	// Held before the waker starts: it may create the channel's directory,
	// which the waker can then watch from the start.
	release := r.holdChannel()
	defer release()
	d := r.newDaemon()
	if d.waker != nil {
		defer d.waker.Close()
	}
	return d.run(ctx)
}

// newDaemon reads the loop's settings: the shutdown file (-F, else the
// channel's sync_shutdown_file), the minimum cycle (-d, else the
// channel's sync_repeat_interval; Cyrus counts whole seconds), -t.
func (r *run) newDaemon() *daemon {
	ch := r.env.Config.Channel(r.o.Channel)
	shutdown := r.o.ShutdownFile
	if shutdown == "" {
		shutdown, _ = ch.ShutdownFile()
	}
	minDelta := time.Duration(max(r.o.Delay, 0)) * time.Second
	if r.o.Delay == 0 {
		minDelta = ch.RepeatInterval().Truncate(time.Second)
	}
	d := &daemon{r: r, shutdown: shutdown, minDelta: minDelta, timeout: int64(r.o.Timeout), now: time.Now,
		retryFirst: retryFirst, retryMax: retryMax,
		reader: synclog.NewChannelReader(filepath.Join(r.env.Config.ConfigDirectory(), "sync"), r.o.Channel, r.env.Log)}
	if !r.o.Poll && !r.o.Once {
		d.waker = newLogWaker(d.reader.LogFile)
	}
	return d
}

// graceful ends a run stopped by SIGTERM, SIGINT or SIGQUIT: Cyrus's
// NOTICE and EX_TEMPFAIL.
func (r *run) graceful() error {
	r.env.Log.Log(context.Background(), cyruslog.LevelNotice, "graceful shutdown")
	return &cyrus.Fatal{Code: cyrus.ExitTempFail}
}

// disconnect ends the session (EXIT or LOGOUT), if there is one.
func (r *run) disconnect() {
	if r.s.c != nil {
		r.s.c.Close()
		r.s.c = nil
	}
}

// rollingFile is -r/-R -f FILE: connect, process FILE once, never delete
// it, exit with its result. Cyrus notes "Reprocessing sync log file FILE"
// every time, and its "-f -" (stdin) does not work: "No sync log
// filename", as here.
//
// cyrus: imap/sync_client.c do_sync_filename; imap/sync_log.c
// sync_log_reader_begin (3.6.1)
func (r *run) rollingFile(ctx context.Context) error {
	if err := r.connect(ctx); err != nil {
		if ctx.Err() != nil {
			return r.graceful()
		}
		return err
	}
	defer r.disconnect()
	var err error
	if r.o.InputFile == "-" {
		r.env.Log.Error("No sync log filename")
		err = fmt.Errorf("sync log from stdin: not supported by Cyrus 3.6's sync_client")
	} else {
		rd := synclog.NewFileReader(r.o.InputFile, r.env.Log)
		var p *synclog.Parser
		if p, err = rd.Begin(); err == nil {
			_, err = r.processLog(ctx, p)
			rd.Close()
		}
	}
	if ctx.Err() != nil {
		return r.graceful()
	}
	if code := fileExitStatus(err); code != 0 {
		return &cyrus.Fatal{Code: code}
	}
	return nil
}

// processLog reads a taken log file and processes its items; it returns
// how many there were. A malformed line is logged (file, line, content)
// and skipped.
func (r *run) processLog(ctx context.Context, p *synclog.Parser) (int, error) {
	items, err := synclog.ReadAll(p, func(m *synclog.Malformed) { r.env.Log.Error(m.Error()) })
	if err != nil {
		r.env.Log.Error(fmt.Sprintf("IOERROR: reading %s: %s", p.File, cyruslog.Strerror(err)))
		return 0, fmt.Errorf("reading %s: %w", p.File, err)
	}
	return len(items), r.s.doReader(ctx, items)
}

// daemon is the rolling loop: Cyrus's do_daemon and do_daemon_work.
type daemon struct {
	r        *run
	reader   *synclog.Reader
	waker    *logWaker
	shutdown string
	minDelta time.Duration
	// timeout is -t, seconds; <= 0: never recycle the connection.
	timeout int64
	now     func() time.Time
	// ws are the workers (--workers > 1; see rollwork.go), made at the
	// first file; retry is the users waiting for their retry, with the
	// back-off's bounds.
	ws                   []*syncer
	retired              map[*syncer]bool // workers that could not connect this session
	retry                map[string]*retrying
	retryFirst, retryMax time.Duration
	// own writes back to our own log (--workers > 1).
	own *ownLog
}

// run connects (retrying as long as it takes) and works until the work
// stops: the shutdown file, -1, or a failure. A failed log file with the
// replica still answering a NOOP means reconnecting and trying again at
// once (the file is still there: it goes first); with the replica gone,
// sync_client exits 0 and leaves the file for the next start. -t
// recycles the connection. The result is always 0 (but 75 for a signal,
// 1 when connecting fails for good).
//
// cyrus: imap/sync_client.c do_daemon (3.6.1)
func (d *daemon) run(ctx context.Context) error {
	r := d.r
	for {
		if err := r.connect(ctx); err != nil {
			if ctx.Err() != nil {
				return r.graceful()
			}
			return err
		}
		restart, err := d.work(ctx)
		if d.ws != nil {
			closeWorkers(d.ws)
			clear(d.retired)
		}
		if ctx.Err() != nil {
			r.disconnect()
			return r.graceful()
		}
		if err != nil && !r.o.Once && !errors.Is(err, errReplicaGone) && r.s.c != nil && r.s.c.Noop(ctx) == nil {
			restart = true
		}
		r.disconnect()
		if !restart {
			return nil
		}
	}
}

// work processes the channel's log, a file per cycle, until there is a
// reason to stop; it tells whether to reconnect.
//
// cyrus: imap/sync_client.c do_daemon_work (3.6.1)
func (d *daemon) work(ctx context.Context) (restart bool, err error) {
	r := d.r
	sessionStart := d.now().Unix()
	for {
		cycleStart := d.now().Unix()
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if d.shutdown != "" {
			if _, err := os.Stat(d.shutdown); err == nil {
				os.Remove(d.shutdown)
				return false, nil
			}
		}
		if d.timeout > 0 && !r.o.Once && cycleStart-sessionStart > d.timeout {
			break
		}
		p, err := d.reader.Begin()
		if err != nil {
			if r.o.Once {
				if errors.Is(err, synclog.ErrNoLog) {
					err = nil
				}
				return false, err
			}
			// No log (or it could not be taken: logged): look again later.
			// A log that is there but cannot be taken must not wake us
			// at once, over and over.
			wait := d.minDelta
			if wait <= 0 {
				wait = idlePoll
			}
			d.pause(ctx, wait, errors.Is(err, synclog.ErrNoLog))
			continue
		}
		r.s.requeued = false
		var n int
		var wrote bool
		if r.o.Workers > 1 {
			n, wrote, err = d.processParallel(ctx, p)
		} else {
			n, err = r.processLog(ctx, p)
		}
		if err != nil {
			d.reader.Close()
			if ctx.Err() == nil {
				r.env.Log.Error(fmt.Sprintf("Processing sync log file %s failed: %s", d.reader.WorkFile, errText(err)))
				r.recordFailure(err, d.retryState())
			}
			return false, err
		}
		if err := d.reader.End(); err != nil {
			r.recordFailure(err, d.retryState())
			return false, err
		}
		r.recordCycle(n, d.retryState())
		if r.o.Once {
			return false, nil
		}
		if wrote {
			d.pauseAfterWrite(ctx, time.Unix(cycleStart, 0))
			continue
		}
		if delta := time.Duration(d.now().Unix()-cycleStart) * time.Second; delta < d.minDelta {
			// What we wrote back to our own log (deferrals) must not wake
			// us: the next look is a whole cycle later, as in Cyrus.
			d.pause(ctx, d.minDelta-delta, !r.s.requeued)
		}
	}
	if err := r.s.restart(ctx); err != nil {
		r.env.Log.Error(fmt.Sprintf("sync_client RESTART failed: %s", errText(err)))
	} else {
		r.env.Log.Info("sync_client RESTART succeeded")
	}
	return true, nil
}

// pause waits d between cycles; with the waker (and wake), less if the
// log appears meanwhile.
func (d *daemon) pause(ctx context.Context, wait time.Duration, wake bool) {
	if wake && d.waker != nil {
		d.waker.wait(ctx, wait, d.r.hup)
		return
	}
	sleepInterruptible(ctx, wait, d.r.hup)
}
