// Package squatterchannel is the squatter-channel applet: Cyrus 3.6's
// squatter in its rolling mode (-R: follow the "squatter" sync log
// channel and keep the SQUAT search indexes of the mailboxes it names up
// to date) and its sync log file mode (-f), as a drop-in: the same command
// line, start-up checks, skip rules, re-queueing, shutdown files, signals,
// exit statuses and syslog lines. Cyrus's other squatter modes (indexing
// named mailboxes, search, audit, list, compaction) are refused: Cyrus's
// own squatter does them.
//
// The search index itself is written by an Indexer given to Command;
// without one the applet refuses to start.
//
// Ours in addition: --parallel N indexes several mailboxes at once.
//
// cyrus: imap/squatter.c (3.6.1)
package squatterchannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/libc"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// Command is the applet's main with the indexer newIndexer makes; nil
// means no indexer was built in, and every run that would index refuses
// to start.
func Command(newIndexer NewIndexer) func(ctx context.Context, argv []string, stdout, stderr io.Writer) error {
	return func(ctx context.Context, argv []string, stdout, stderr io.Writer) error {
		return Main(ctx, argv, stdout, stderr, newIndexer)
	}
}

// Main runs squatter-channel. argv[0] is the name it was invoked as.
//
// cyrus: imap/squatter.c main (3.6.1)
func Main(ctx context.Context, argv []string, stdout, stderr io.Writer, newIndexer NewIndexer) error {
	background := cyrus.IsBackground()
	o, err := ParseArgs(argv[1:])
	var ue *UsageError
	var no *NotOursError
	switch {
	case errors.Is(err, errHelp):
		fmt.Fprint(stdout, flags.Help())
		return nil
	case errors.As(err, &ue):
		if ue.Message != "" {
			fmt.Fprintf(stderr, "%s: %s\n", argv[0], ue.Message)
		}
		if !ue.NoUsage {
			fmt.Fprint(stderr, flags.Help())
		}
		return &cyrus.Fatal{Code: cyrus.ExitUsage}
	case errors.As(err, &no):
		fmt.Fprintf(stderr, "%s: %s\n", argv[0], no.Error())
		return &cyrus.Fatal{Code: cyrus.ExitUsage}
	case err != nil:
		return err
	}
	if newIndexer == nil {
		return &cyrus.Fatal{Msg: "squatter-channel: this binary has no search indexer built in (the native SQUAT indexer is not wired yet); nothing was indexed", Code: cyrus.ExitSoftware}
	}
	// Cyrus's signal handlers: SIGINT and SIGTERM cancel ctx already;
	// SIGQUIT too; SIGHUP is caught (ends a daemon's loop).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	quit := make(chan os.Signal, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGQUIT)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(quit)
	// SIGHUP stays caught until the process exits, as Cyrus's handler
	// does: restored to its default on return, a SIGHUP from master
	// arriving as a daemon ends would kill it (master logs "signaled to
	// death ... terminated abnormally"). cyrus: lib/signals.c (3.6.1)
	go func() {
		select {
		case <-quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	status := waitDaemonStatus()

	env, err := cyrus.Init(cyrus.Options{ConfigPath: o.Config, Ident: ident, Need: conf.NeedPartitionData, Stderr: stderr})
	if err != nil {
		return err
	}
	defer env.Close()
	cfg := env.Config
	isDaemon := underMaster(cfg.Version)
	// Ours only writes SQUAT indexes, so it refuses any other engine at
	// once, with the status Cyrus's ends with when it has no engine to
	// index with (search_engine: none): -R fails at the first mailbox
	// ("could not construct search text receiver", 78), -f exits 75.
	//
	// cyrus: imap/squatter.c do_rolling, do_synclogfile;
	// imap/search_engines.c search_begin_update (3.6.1)
	if engine := cfg.SearchEngine(); engine != "squat" {
		code := cyrus.ExitConfig
		if !o.Rolling {
			code = cyrus.ExitTempFail
		}
		return &cyrus.Fatal{Msg: fmt.Sprintf("search_engine is %q: squatter-channel writes SQUAT indexes only (search_engine: squat)", engine), Code: code}
	}
	sp, err := spool.Open(cfg)
	if err != nil {
		return &cyrus.Fatal{Msg: err.Error(), Code: cyrus.ExitConfig}
	}
	ix, err := newIndexer(Setup{Config: cfg, Spool: sp, Log: env.Log, Options: o.Index, Verbose: o.Verbose})
	if err != nil {
		// cyrus: imap/squatter.c do_rolling: fatal(..., EX_CONFIG);
		// do_synclogfile: exit 75
		code := cyrus.ExitConfig
		if !o.Rolling {
			code = cyrus.ExitTempFail
		}
		return &cyrus.Fatal{Msg: fmt.Sprintf("could not construct search text receiver: %v", err), Code: code}
	}
	sub, _ := cfg.String("jmapsubmissionfolder")
	skip := skipRules{ns: cfg.Namespace(), startName: o.StartName, sieveFolder: cfg.SieveFolder(), submissionFolder: sub,
		skipDomains: cfg.SearchIndexSkipDomains(), skipUsers: cfg.SearchIndexSkipUsers()}
	if cfg.Version.AtLeast(conf.V3_10) {
		skip.jmapFolders = true
		skip.uploadFolder, _ = cfg.String("jmapuploadfolder")
		skip.notificationFolder, _ = cfg.String("jmapnotificationfolder")
	}
	r := &runner{o: o, log: env.Log, stdout: stdout, ix: ix, mb: sp, hup: hup, daemon: isDaemon, idle: idlePoll,
		shutdownFiles: shutdownFilePaths(cfg.ConfigDirectory()), skip: skip}
	if !o.Rolling {
		return exitStatus(r.file(ctx, o.File))
	}
	if !o.Foreground && !isDaemon && !background {
		// become_daemon, after the configuration was checked, as in Cyrus
		return cyrus.StartBackground(stderr, true)
	}
	if status != nil {
		status.Write([]byte("ok\r\n"))
		status.Close()
	}
	w := synclog.NewWriter(cfg, env.Log)
	r.requeue = func(mbox string) error {
		return w.LogChannel(context.Background(), o.Channel, synclog.Append(mbox))
	}
	syncDir := filepath.Join(cfg.ConfigDirectory(), "sync")
	r.state = synclog.Record(synclog.ChannelDir(syncDir, o.Channel), func(msg string) { env.Log.Warn(msg) })
	defer r.state.Close()
	reader := synclog.NewChannelReader(syncDir, o.Channel, env.Log)
	return exitStatus(r.rolling(ctx, reader))
}

// exitStatus is squatter's: 0, or EX_TEMPFAIL for any failure.
func exitStatus(err error) error {
	if err == nil {
		return nil
	}
	var f *cyrus.Fatal
	if errors.As(err, &f) {
		return f
	}
	return &cyrus.Fatal{Code: cyrus.ExitTempFail}
}

// underMaster is whether CYRUS_ISDAEMON says master runs us (a SIGHUP
// then ends the loop, and -R stays in the foreground): Cyrus 3.6 asks
// getenv() for it, set at all, even empty; 3.10 wants a number other
// than 0.
//
// cyrus: imap/squatter.c main, do_rolling (3.6.1, 3.10.2)
func underMaster(v conf.Version) bool {
	if v.AtLeast(conf.V3_10) {
		return libc.Atoi(os.Getenv("CYRUS_ISDAEMON")) != 0
	}
	_, set := os.LookupEnv("CYRUS_ISDAEMON")
	return set
}

// statusFD is master's STATUS_FD.
//
// cyrus: master/service.h (3.6.1)
const statusFD = 3

// waitDaemonStatus is master's readiness pipe of a wait daemon (DAEMON
// with wait=y): fd 3, a pipe open for writing, with CYRUS_ISDAEMON set to
// a number other than 0. Looked at before anything else can open fd 3.
// Cyrus 3.10's squatter writes "ok\r\n" there once it is ready; 3.6's
// does not, so master 3.6 cannot run it with wait=y.
//
// cyrus: imap/squatter.c main (3.10.2); master/master.c spawn_waitdaemon (3.6.1)
func waitDaemonStatus() *os.File {
	if libc.Atoi(os.Getenv("CYRUS_ISDAEMON")) == 0 {
		return nil
	}
	var st syscall.Stat_t
	if syscall.Fstat(statusFD, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return nil
	}
	fl, err := fcntl(statusFD, syscall.F_GETFL)
	if err != nil || fl&syscall.O_ACCMODE == syscall.O_RDONLY {
		return nil
	}
	return os.NewFile(statusFD, "master status pipe")
}

func fcntl(fd, cmd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
