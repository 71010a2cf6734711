// Package syncclient is the sync_client applet: replicate a Cyrus master's
// mail to a replica, on Cyrus 3.6's command line.
//
// cyrus: imap/sync_client.c (3.6.1)
package syncclient

import (
	"errors"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/libc"
)

// Mode is what sync_client replicates.
type Mode int

// The modes: exactly one is given on the command line.
const (
	ModeNone    Mode = iota
	ModeUsers        // -u
	ModeMailbox      // -m
	ModeMeta         // -s
	ModeAll          // -A
	ModeRolling      // -r, -R
)

// Options is sync_client's command line.
type Options struct {
	// Config is -C: the imapd.conf to read.
	Config string
	// Verbose is how often -v was given: 1 prints each action on stdout,
	// 2 also traces the protocol on stderr.
	Verbose int
	// VerboseLogging is -l: each action also goes to syslog.
	VerboseLogging bool
	// LocalOnly is -L: LOCAL_MAILBOX, LOCAL_RENAME, LOCAL_UNMAILBOX.
	LocalOnly bool
	// Server is -S: the replica, instead of sync_host.
	Server string
	// ShutdownFile is -F (rolling mode).
	ShutdownFile string
	// InputFile is -f: objects for -u/-m, a log file in rolling mode.
	InputFile string
	// Channel is -n.
	Channel string
	// DelayedStartup is -w: seconds to sleep before connecting.
	DelayedStartup int
	// Timeout is -t (rolling mode): seconds before a connection is
	// recycled; 600 by default.
	Timeout int
	// Delay is -d (rolling mode): the minimum cycle, seconds.
	Delay int
	// Mode is the mode given.
	Mode Mode
	// Background is -r: rolling in the background.
	Background bool
	// Once is -1 (rolling mode).
	Once bool
	// SkipLocked is -N: a user another client is syncing is "locked".
	SkipLocked bool
	// ConnectOnce is -o: no retry when the first connection fails (3.10;
	// parsed and without effect in 3.6, as in Cyrus).
	ConnectOnce bool
	// NoCopyback is -O: APPLY FORCE, no copy-back from the replica.
	NoCopyback bool
	// Partition is -p: the replica partition for -u and -m.
	Partition string
	// RequireCompression is -z.
	RequireCompression bool
	// StageToArchive is -a (Cyrus 3.8+): ask the replica to enable
	// REPLICATION-ARCHIVE (it then stages uploads on its archive
	// partition); without effect when serving Cyrus 3.6.
	StageToArchive bool
	// Poll is --poll (ours): the rolling loop only looks for the sync log
	// once a cycle, as Cyrus does, instead of also waking when it is
	// written.
	Poll bool
	// Workers is --workers (ours): how many users are replicated at once,
	// each worker over its own connection, in -u, -A and rolling mode;
	// 1 (or 0) is Cyrus's single serial connection.
	Workers int
	// Pipeline is --pipeline (ours): how many commands one connection
	// sends before the replies to them, at most; 1 (or 0) waits for each
	// reply, as Cyrus does.
	Pipeline int
	// Objects are the operands: users, mailboxes, or an -A prefix.
	Objects []string
}

// DefaultWorkers is --workers' default, from BenchmarkRollingCatchup (the
// catch-up of 10,000 queued items against Cyrus 3.6's sync_server on a
// 2-core machine, two runs each): with 8 users 1, 2, 4 and 8 workers took
// 3.9-4.1, 3.1, 2.9-3.1 and 2.9-3.0 s (Cyrus's client 3.9-4.9 s), with
// 4 users 3.9-4.3, 3.0-4.3, 3.1-3.2 and 3.4-3.8 s (Cyrus's 4.2-4.4 s).
// Beyond 4 the replica's CPU and disk, not the round trips, are the
// limit, and each worker costs memory and a session.
const DefaultWorkers = 4

// UsageError is a command line Cyrus refuses with its usage text (exit 64).
type UsageError struct {
	// Message is printed before the usage line ("" for none).
	Message string
}

func (e *UsageError) Error() string { return e.Message }

// usageLine is Cyrus's usage text.
const usageLine = "Usage: sync_client -S <servername> [-C <alt_config>] [-r] [-v] mailbox..."

// flags is sync_client's command line, each option once: Cyrus 3.6's
// options, with Cyrus 3.8's long names and its -a, and our --help. Its
// order is Cyrus 3.6's getopt string's.
//
// cyrus: imap/sync_client.c main (3.6.1, 3.8.0)
var flags = &getopt.Table{
	Name:      "sync_client",
	Usage:     usageLine,
	Cyrus:     "3.6",
	LongNames: "3.8",
	Options: []getopt.Option{
		{Short: 'C', Arg: "FILE", Help: "read FILE instead of " + conf.DefaultPath},
		{Short: 'v', Long: "verbose", Help: "print each action on stdout; twice: also the protocol on stderr"},
		{Short: 'l', Long: "verbose-logging", Help: "log each action to syslog"},
		{Short: 'L', Long: "local-only", Help: "LOCAL_* operations (no mupdate on the replica)"},
		{Short: 'S', Long: "server", Arg: "HOST", Help: "replica HOST (instead of sync_host)"},
		{Short: 'F', Long: "shutdown-file", Arg: "FILE", Help: "rolling: stop when FILE appears"},
		{Short: 'f', Long: "input-file", Arg: "FILE", Help: "objects from FILE; rolling: process this log file once"},
		{Short: 'w', Long: "delayed-startup", Arg: "SECONDS", Help: "sleep SECONDS before connecting"},
		{Short: 't', Long: "timeout", Arg: "SECONDS", Help: "rolling: recycle the connection after SECONDS (600)"},
		{Short: 'd', Long: "delay", Arg: "SECONDS", Help: "rolling: minimum cycle SECONDS"},
		{Short: 'n', Long: "channel", Arg: "CHANNEL", Help: "the sync log of CHANNEL and the <channel>_ options"},
		{Short: 'r', Long: "rolling", Help: "rolling mode, in the background"},
		{Short: 'R', Long: "foreground-rolling", Help: "rolling mode, in the foreground"},
		{Short: 'N', Long: "skip-locked", Help: "skip users another client is syncing"},
		{Short: 'u', Long: "userids", Help: "mode: the operands are users"},
		{Short: 'm', Long: "mailboxes", Help: "mode: the operands are mailboxes (external names)"},
		{Short: 's', Long: "sieve-mode", Help: "mode: seen, subscriptions and sieve of the operand users"},
		{Short: 'o', Long: "connect-once", Help: "do not retry connecting (no effect in 3.6)"},
		{Short: 'z', Long: "require-compression", Help: "fail unless the connection is compressed"},
		{Short: 'O', Long: "no-copyback", Help: "APPLY FORCE: never copy back from the replica"},
		{Short: 'A', Long: "all-users", Help: "mode: every mailbox (operand: internal name prefix)"},
		{Short: 'p', Long: "dest-partition", Arg: "PARTITION", Help: "replica PARTITION for -u and -m"},
		{Short: '1', Long: "rolling-once", Help: "rolling: one log file, then exit"},
		{Short: 'a', Long: "stage-to-archive", Since: "3.8", Help: "ask the replica to stage uploads on its archive partition (REPLICATION-ARCHIVE; no effect serving 3.6)"},
		{Long: "poll", Ours: true, Help: "rolling: look for the sync log once a cycle (-d), as Cyrus does; by default also as soon as it is written"},
		{Long: "workers", Arg: "N", Ours: true, Help: fmt.Sprintf("-u, -A, rolling: replicate N users at once, each over its own connection; 1: one connection, as Cyrus does (default %d, but 1 with -v or -l, whose lines are then Cyrus's in Cyrus's order)", DefaultWorkers)},
		{Long: "pipeline", Arg: "N", Ours: true, Help: fmt.Sprintf("send a user's mailbox updates back to back, at most N commands unanswered; 1: wait for each reply, as Cyrus does (default %d, but 1 with -v or -l, whose lines are then Cyrus's in Cyrus's order)", DefaultPipeline)},
		{Short: 'h', Long: "help", Ours: true, Help: "print this help and exit"},
	},
}

// Flags is sync_client's command line, for help and man pages.
func Flags() *getopt.Table { return flags }

// modes are the options that choose the mode.
var modes = map[byte]Mode{'u': ModeUsers, 'm': ModeMailbox, 's': ModeMeta, 'A': ModeAll, 'r': ModeRolling, 'R': ModeRolling}

// ParseArgs reads sync_client's command line (without argv[0]) once, as
// Cyrus's getopt loop does: bundles (-vv), attached values (-nchan),
// operands anywhere; the options are taken in order and the first problem
// ends it — an unknown option, a second mode option ("Mutually exclusive
// options defined") — then no mode at all is "No replication mode
// specified". -h or --help anywhere asks for the help instead.
func ParseArgs(args []string) (*Options, error) {
	opts, operands, errs := flags.Parse(args)
	for _, opt := range opts {
		if opt.Name == 'h' {
			return nil, errHelp
		}
	}
	firstErr := len(opts) + 1
	if len(errs) > 0 {
		var ge *getopt.Error
		if errors.As(errs[0], &ge) {
			firstErr = ge.After
		}
	}
	o := &Options{Timeout: 600}
	for i, opt := range opts {
		if i >= firstErr {
			break
		}
		if m, ok := modes[opt.Name]; ok {
			if o.Mode != ModeNone {
				return nil, &UsageError{Message: "Mutually exclusive options defined"}
			}
			o.Mode = m
		}
		o.set(opt)
	}
	if len(errs) > 0 {
		return nil, &UsageError{Message: "sync_client: " + errs[0].Error()}
	}
	if o.Mode == ModeNone {
		return nil, &UsageError{Message: "No replication mode specified"}
	}
	o.Objects = operands
	if o.Workers == 0 {
		// -v and -l print each action: without --workers they show
		// Cyrus's transcript, in Cyrus's order.
		o.Workers = DefaultWorkers
		if o.Verbose > 0 || o.VerboseLogging {
			o.Workers = 1
		}
	}
	if o.Pipeline == 0 {
		o.Pipeline = DefaultPipeline
		if o.Verbose > 0 || o.VerboseLogging {
			o.Pipeline = 1
		}
	}
	return o, nil
}

// set takes one option (not a mode's choice, which ParseArgs checks).
func (o *Options) set(opt getopt.Opt) {
	switch opt.Name {
	case 'C':
		o.Config = opt.Arg
	case 'v':
		o.Verbose++
	case 'l':
		o.VerboseLogging = true
	case 'L':
		o.LocalOnly = true
	case 'S':
		o.Server = opt.Arg
	case 'F':
		o.ShutdownFile = opt.Arg
	case 'f':
		o.InputFile = opt.Arg
	case 'n':
		o.Channel = opt.Arg
	case 'w':
		o.DelayedStartup = libc.Atoi(opt.Arg) // Cyrus: atoi()
	case 't':
		o.Timeout = libc.Atoi(opt.Arg)
	case 'd':
		o.Delay = libc.Atoi(opt.Arg)
	case 'r':
		o.Background = true
	case '1':
		o.Once = true
	case 'N':
		o.SkipLocked = true
	case 'o':
		o.ConnectOnce = true
	case 'O':
		o.NoCopyback = true
	case 'z':
		o.RequireCompression = true
	case 'p':
		o.Partition = opt.Arg
	case 'a':
		o.StageToArchive = true
	case 0:
		switch opt.Long {
		case "poll":
			o.Poll = true
		case "workers":
			o.Workers = max(libc.Atoi(opt.Arg), 1)
		case "pipeline":
			o.Pipeline = max(libc.Atoi(opt.Arg), 1)
		}
	}
}

var errHelp = errors.New("help requested")

// Help is the --help text (ours: Cyrus 3.6 has none).
func Help() string {
	return flags.Help()
}
