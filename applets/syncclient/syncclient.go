package syncclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// Exit statuses of sync_client besides cyrus.Exit*.
const exitFailed = 1

// Main runs sync_client. argv[0] is the name it was invoked as.
//
// cyrus: imap/sync_client.c main (3.6.1)
func Main(ctx context.Context, argv []string, stdout, stderr io.Writer) error {
	o, err := ParseArgs(argv[1:])
	var ue *UsageError
	switch {
	case errors.Is(err, errHelp):
		fmt.Fprint(stdout, Help())
		return nil
	case errors.As(err, &ue):
		if strings.HasPrefix(ue.Message, "sync_client: ") {
			// getopt's own complaint names the program as invoked.
			fmt.Fprintf(stderr, "%s: %s\n", argv[0], strings.TrimPrefix(ue.Message, "sync_client: "))
		} else {
			fmt.Fprintf(stderr, "%s\n\n", ue.Message)
		}
		fmt.Fprintln(stderr, usageLine)
		return &cyrus.Fatal{Code: cyrus.ExitUsage}
	case err != nil:
		return err
	}
	if inBackground(o) {
		return startBackground(stderr)
	}
	ctx, hup, stop := cyrusSignals(ctx)
	defer stop()
	var perror io.Writer
	if o.Verbose > 1 {
		perror = stderr // -v -v: syslog lines on stderr too (LOG_PERROR)
	}
	env, err := cyrus.Init(cyrus.Options{ConfigPath: o.Config, Ident: "sync_client", Need: conf.NeedPartitionData, Stderr: perror})
	if err != nil {
		return fatal(stderr, nil, err)
	}
	defer env.Close()
	r := &run{o: o, env: env, stdout: stdout, stderr: stderr, hup: hup}
	return r.main(ctx)
}

// fatal prints Cyrus's sync_client fatal line ("Fatal error: …", stderr
// and syslog) and returns the exit status to end with.
func fatal(stderr io.Writer, env *cyrus.Env, err error) error {
	code := cyrus.ExitSoftware
	var f *cyrus.Fatal
	if errors.As(err, &f) {
		code = f.Code
	}
	fmt.Fprintf(stderr, "Fatal error: %s\n", err)
	if env != nil {
		env.Log.Error(fmt.Sprintf("Fatal error: %s", err))
	}
	return &cyrus.Fatal{Code: code}
}

// run is one invocation.
type run struct {
	o      *Options
	env    *cyrus.Env
	stdout io.Writer
	stderr io.Writer
	s      *syncer
	d      *dialer
	failed bool
	// hup receives SIGHUP, which cuts the rolling loop's waits short.
	hup <-chan os.Signal
	// state is what the rolling loop records for status; nil: nothing.
	state *synclog.Recorder
	// progress is the progress line of -A and -u; nil: none.
	progress *progress
	// workerErr is stderr shared by the workers (--workers > 1).
	workerErr *syncWriter
	// mu guards failed and the state when workers report.
	mu sync.Mutex
}

func (r *run) main(ctx context.Context) error {
	if r.o.Mode == ModeUsers || r.o.Mode == ModeAll {
		if r.progress = newProgress(r.stderr, r.o.Verbose); r.progress != nil {
			r.stderr = r.progress
			defer r.progress.finish()
		}
	}
	if err := r.prepare(); err != nil {
		return err
	}
	if r.o.DelayedStartup > 0 {
		fmt.Fprintf(r.stderr, "Waiting for %d seconds for gdb attach...\n", r.o.DelayedStartup)
		time.Sleep(time.Duration(r.o.DelayedStartup) * time.Second)
	}
	var err error
	if r.o.Mode == ModeRolling {
		return r.rolling(ctx)
	}
	// The worker pool connects its first session with the others, at
	// once (parallel).
	if !r.pooled() {
		if err := r.connect(ctx); err != nil {
			return err
		}
	}
	defer func() {
		if r.s.c != nil {
			r.s.c.Close()
		}
	}()
	switch r.o.Mode {
	case ModeUsers:
		err = r.users(ctx)
	case ModeMailbox:
		err = r.mailboxes(ctx)
	case ModeMeta:
		err = r.metas(ctx)
	case ModeAll:
		err = r.all(ctx)
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		r.env.Log.Log(ctx, cyruslog.LevelNotice, "graceful shutdown")
		return &cyrus.Fatal{Code: cyrus.ExitTempFail}
	}
	if r.failed {
		return &cyrus.Fatal{Code: exitFailed}
	}
	return nil
}

// prepare opens the spool and reads the replica's connection options
// (sync_host not defined: Cyrus's fatal error, exit 70).
func (r *run) prepare() error {
	cfg := r.env.Config
	sp, err := spool.Open(cfg)
	if err != nil {
		return fatal(r.stderr, r.env, err)
	}
	// The master's legacy scripts are stored in #sieve (do_user_main),
	// and a full update may write #sieve records.
	sp.SetSieveCompiler(cyrus.SieveCompiler(os.Args[0], cfg), r.env.Log)
	d, err := newDialer(cfg, r.o, r.stderr)
	if err != nil {
		return fatal(r.stderr, r.env, &cyrus.Fatal{Msg: err.Error(), Code: cyrus.ExitSoftware})
	}
	d.opts.Logger = r.env.Log
	// -a is Cyrus 3.8's; serving 3.6 we accept it without effect, as before
	d.opts.StageToArchive = r.o.StageToArchive && cfg.Version.AtLeast(conf.V3_10)
	if r.o.Verbose > 1 {
		d.opts.Trace = &protocol.Tracer{W: r.stderr}
	}
	r.d = d
	// cyrus: imap/sync_support.c sync_do_enable (3.6.1, 3.10.2)
	d.opts.OnEnable = func(capabilities uint) { r.s.action("ENABLE 0x%x", capabilities) }
	r.s = &syncer{cfg: cfg, ns: cfg.Namespace(), sp: sp, o: r.o, servername: d.servername, log: r.env.Log,
		stdout: r.stdout, partition: r.o.Partition, synclog: synclog.NewWriter(cfg, r.env.Log), progress: r.progress}
	return nil
}

// connect opens the session (retrying as Cyrus does) and, with -O, turns
// on force mode.
func (r *run) connect(ctx context.Context) error { return r.connectTo(ctx, r.s, r.d, false) }

// connectTo is connect for the syncer s (a worker) with the dialer d;
// quiet (a further worker) prints and logs nothing of its own: no
// failure lines (the caller reports), no notes of a #sieve mailbox.
func (r *run) connectTo(ctx context.Context, s *syncer, d *dialer, quiet bool) error {
	c, err := d.connect(ctx)
	if err != nil && quiet {
		return fmt.Errorf("connecting to %s: %w", d.servername, err)
	}
	if errors.Is(err, protocol.ErrNoCompression) {
		msg := fmt.Sprintf("Failed to enable compression to server '%s'", d.servername)
		fmt.Fprintln(r.stderr, msg)
		r.env.Log.Error(msg)
		return &cyrus.Fatal{Code: exitFailed}
	}
	if err != nil {
		if ctx.Err() != nil {
			return &cyrus.Fatal{Code: cyrus.ExitTempFail}
		}
		msg := fmt.Sprintf("Can not connect to server '%s'", d.servername)
		fmt.Fprintln(r.stderr, msg)
		r.env.Log.Error(msg)
		return &cyrus.Fatal{Code: exitFailed}
	}
	if r.o.NoCopyback {
		if _, err := c.Do(ctx, &protocol.ApplyForce{}); err != nil {
			c.Close()
			if quiet {
				return fmt.Errorf("APPLY FORCE: %w", err)
			}
			r.env.Log.Error("SYNCERROR: failed to enable force mode")
			return &cyrus.Fatal{Code: exitFailed}
		}
	}
	s.c = c
	return nil
}

// objects are the operands, or -f's file.
func (r *run) objects() ([]string, error) {
	if r.o.InputFile == "" {
		return r.o.Objects, nil
	}
	f, err := os.Open(r.o.InputFile)
	if err != nil {
		r.env.Log.Log(context.Background(), cyruslog.LevelNotice, fmt.Sprintf("Unable to open %s: %s", r.o.InputFile, cyruslog.Strerror(err)))
		return nil, &cyrus.Fatal{Code: exitFailed}
	}
	defer f.Close()
	return readObjects(f)
}

// bail reports a failed object as Cyrus does ("bailing out!", although it
// carries on with the next one) and remembers to exit 1.
func (r *run) bail(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.o.Verbose > 0 {
		fmt.Fprintf(r.stderr, "Error from %s: bailing out!\n", what)
	}
	r.env.Log.Error(fmt.Sprintf("Error in %s: bailing out!", what))
	r.failed = true
}

// pooled tells whether -A and -u run on the worker pool (pool.go): with
// several workers, or with pipelining, where one worker too sends the next
// user's GET USER ahead (ahead.go).
func (r *run) pooled() bool {
	return (r.o.Mode == ModeAll || r.o.Mode == ModeUsers) && (r.o.Workers > 1 || r.o.Pipeline > 1)
}

// connected connects the first session if it is not (the pool's modes
// connect it late).
func (r *run) connected(ctx context.Context) error {
	if r.s.c != nil {
		return nil
	}
	return r.connect(ctx)
}

func (r *run) users(ctx context.Context) error {
	users, err := r.objects()
	if err != nil {
		if err := r.connected(ctx); err != nil {
			return err
		}
		return err
	}
	r.progress.setTotal(len(users))
	if r.pooled() && len(users) > 1 {
		return r.usersParallel(ctx, users)
	}
	if err := r.connected(ctx); err != nil {
		return err
	}
	for _, u := range users {
		if ctx.Err() != nil {
			break
		}
		if err := r.s.doUser(ctx, u); err != nil {
			r.bail(fmt.Sprintf("sync_do_user(%s)", u))
		}
		r.progress.userDone()
	}
	return nil
}

func (r *run) mailboxes(ctx context.Context) error {
	names, err := r.objects()
	if err != nil {
		return err
	}
	var internal []string
	for _, n := range names {
		in, err := r.s.ns.ParseExternal(n)
		if err != nil {
			// ours: Cyrus has no such line (mboxname_from_external never fails)
			r.env.Log.Error("invalid mailbox name "+n, "error", err, "mailbox", n)
			r.failed = true
			continue
		}
		internal = append(internal, in)
	}
	if err := r.s.doMailboxes(ctx, internal); err != nil {
		r.bail("sync_do_mailboxes()")
	}
	return nil
}

func (r *run) metas(ctx context.Context) error {
	for _, u := range r.o.Objects {
		if ctx.Err() != nil {
			break
		}
		if err := r.s.doMeta(ctx, u); err != nil {
			r.bail(fmt.Sprintf("sync_do_meta(%s)", u))
		}
	}
	return nil
}

// all walks every mailbox (-A), a user at a time, shared mailboxes one by
// one; an optional operand restricts the walk to names with that prefix.
//
// cyrus: imap/sync_client.c cb_allmbox, imap/mboxlist.c mboxlist_allmbox (3.6.1)
func (r *run) all(ctx context.Context) error {
	prefix := ""
	if len(r.o.Objects) > 0 {
		prefix = r.o.Objects[0]
	}
	if r.pooled() {
		return r.allParallel(ctx, prefix)
	}
	list, err := r.s.sp.MailboxList()
	if err != nil {
		r.failed = true
		return nil
	}
	if r.progress != nil {
		r.progress.setTotal(r.countUsers(ctx, list, prefix))
	}
	for t, err := range r.allTargets(ctx, list, prefix) {
		if err != nil {
			r.failed = true
			return nil
		}
		// cb_allmbox reconnects after a failure at the next mailbox it is
		// called for, one it then skips too.
		if r.s.c == nil {
			if err := r.connect(ctx); err != nil {
				return err
			}
		}
		if !t.skip {
			r.syncAllTarget(ctx, r.s, t)
		}
	}
	return nil
}

// allTarget is one step of -A: a user (userid set) or a shared mailbox;
// skip marks a mailbox cb_allmbox is called for and passes over (a deleted
// user's, or a user's after its first).
type allTarget struct {
	userid, name string
	skip         bool
}

// allTargets walks mailboxes.db as mboxlist_allmbox without flags (no
// tombstones, no intermediates), names starting with prefix: each user
// once, at its first mailbox, and each shared mailbox; the rest of a
// user's mailboxes and deleted users' come as skip steps. It stops when
// ctx ends.
func (r *run) allTargets(ctx context.Context, list *spool.MailboxList, prefix string) iter.Seq2[allTarget, error] {
	return func(yield func(allTarget, error) bool) {
		prev := ""
		for e, err := range list.Entries(ctx) {
			if err != nil {
				yield(allTarget{}, err)
				return
			}
			if !strings.HasPrefix(e.Name, prefix) || e.Deleted() || e.Intermediate() || ctx.Err() != nil {
				continue
			}
			m := r.s.ns.ParseInternal(e.Name)
			userid := m.UserID()
			t := allTarget{userid: userid, name: e.Name}
			switch {
			case userid != "" && m.Deleted != 0, userid != "" && userid == prev:
				t.skip = true
			case userid != "":
				prev = userid
			}
			if !yield(t, nil) {
				return
			}
		}
	}
}

// syncAllTarget syncs one step of -A on s: a locked user or mailbox is
// skipped (said with -v), a failure bails out as Cyrus's cb_allmbox does
// and closes the session, which the next step opens again.
func (r *run) syncAllTarget(ctx context.Context, s *syncer, t allTarget) error {
	var err error
	if t.userid != "" {
		err = s.doUser(ctx, t.userid)
		r.progress.userDone()
	} else {
		err = s.doMailboxes(ctx, []string{t.name})
	}
	if errors.Is(err, spool.ErrLocked) {
		if r.o.Verbose > 0 {
			if t.userid != "" {
				fmt.Fprintf(r.stderr, "Skipping locked user %s\n", t.userid)
			} else {
				fmt.Fprintf(r.stderr, "Skipping locked mailbox %s\n", t.name)
			}
		}
		return nil
	}
	if err != nil && ctx.Err() == nil {
		what := t.userid
		if what == "" {
			what = t.name
		}
		r.bail(fmt.Sprintf("do_user(%s)", what))
		s.c.Close()
		s.c = nil
	}
	return err
}
