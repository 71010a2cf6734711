// Package syncclient is the sync_client applet: replicate a Cyrus master's
// mail to a replica, on Cyrus 3.6's command line.
//
// cyrus: imap/sync_client.c (3.6.1)
package syncclient

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
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
	// ConnectOnce is -o: parsed, and without effect in 3.6 as in Cyrus.
	ConnectOnce bool
	// NoCopyback is -O: APPLY FORCE, no copy-back from the replica.
	NoCopyback bool
	// Partition is -p: the replica partition for -u and -m.
	Partition string
	// RequireCompression is -z.
	RequireCompression bool
	// StageToArchive is -a (Cyrus 3.8+).
	StageToArchive bool
	// Objects are the operands: users, mailboxes, or an -A prefix.
	Objects []string
}

// UsageError is a command line Cyrus refuses with its usage text (exit 64).
type UsageError struct {
	// Message is printed before the usage line ("" for none).
	Message string
}

func (e *UsageError) Error() string { return e.Message }

// usageLine is Cyrus's usage text.
const usageLine = "Usage: sync_client -S <servername> [-C <alt_config>] [-r] [-v] mailbox..."

// optstring is Cyrus 3.6's getopt string, plus 'a' of 3.8.
const optstring = "C:vlLS:F:f:w:t:d:n:rRNumsozOAp:1a"

// longs are Cyrus 3.8's long options (an extension over 3.6).
var longs = []getopt.Long{
	{Name: "verbose", Short: 'v'}, {Name: "verbose-logging", Short: 'l'}, {Name: "local-only", Short: 'L'},
	{Name: "server", Short: 'S'}, {Name: "shutdown-file", Short: 'F'}, {Name: "input-file", Short: 'f'},
	{Name: "channel", Short: 'n'}, {Name: "delayed-startup", Short: 'w'}, {Name: "timeout", Short: 't'},
	{Name: "delay", Short: 'd'}, {Name: "rolling", Short: 'r'}, {Name: "foreground-rolling", Short: 'R'},
	{Name: "skip-locked", Short: 'N'}, {Name: "userids", Short: 'u'}, {Name: "mailboxes", Short: 'm'},
	{Name: "sieve-mode", Short: 's'}, {Name: "connect-once", Short: 'o'}, {Name: "require-compression", Short: 'z'},
	{Name: "no-copyback", Short: 'O'}, {Name: "all-users", Short: 'A'}, {Name: "dest-partition", Short: 'p'},
	{Name: "rolling-once", Short: '1'}, {Name: "stage-to-archive", Short: 'a'},
}

// ParseArgs reads sync_client's command line (without argv[0]) exactly as
// Cyrus's getopt loop does — bundles (-vv), attached values (-nchan),
// operands anywhere, the first unknown option is a usage error, a second
// mode flag is "Mutually exclusive options defined", none is "No
// replication mode specified" — and then hands the canonical form to
// urfave/cli, which holds the flags' definitions and help.
func ParseArgs(args []string) (*Options, error) {
	for _, a := range args {
		if a == "--help" || a == "-h" && !strings.Contains(optstring, "h") {
			return nil, errHelp
		}
	}
	opts, operands, errs := getopt.Parse(args, optstring, longs)
	if len(errs) > 0 {
		return nil, &UsageError{Message: "sync_client: " + errs[0].Error()}
	}
	mode := ModeNone
	verbose := 0
	canon := []string{"sync_client"}
	for _, o := range opts {
		if o.Name == 'v' {
			verbose++ // counted here: urfave/cli counts bundles its own way
		}
		var m Mode
		switch o.Name {
		case 'r', 'R':
			m = ModeRolling
		case 'u':
			m = ModeUsers
		case 'm':
			m = ModeMailbox
		case 's':
			m = ModeMeta
		case 'A':
			m = ModeAll
		}
		if m != ModeNone {
			if mode != ModeNone {
				return nil, &UsageError{Message: "Mutually exclusive options defined"}
			}
			mode = m
		}
		canon = append(canon, "-"+string(o.Name))
		if strings.IndexByte(optstring, o.Name) >= 0 && strings.Contains(optstring, string(o.Name)+":") {
			canon = append(canon, o.Arg)
		}
	}
	if mode == ModeNone {
		return nil, &UsageError{Message: "No replication mode specified"}
	}
	canon = append(canon, "--")
	canon = append(canon, operands...)

	o := &Options{Mode: mode, Timeout: 600, Verbose: verbose}
	app := newApp(o)
	if err := app.Run(canon); err != nil {
		return nil, &UsageError{Message: err.Error()}
	}
	return o, nil
}

var errHelp = errors.New("help requested")

// newApp defines sync_client's flags for urfave/cli; Action copies them
// into o.
func newApp(o *Options) *cli.App {
	str := func(name, alias, usage string, dst *string) cli.Flag {
		return &cli.StringFlag{Name: name, Aliases: []string{alias}, Usage: usage, Destination: dst}
	}
	boolean := func(name, alias, usage string, dst *bool) cli.Flag {
		return &cli.BoolFlag{Name: name, Aliases: []string{alias}, Usage: usage, Destination: dst}
	}
	num := func(name, alias, usage string, dst *int) cli.Flag {
		// atoi(): Cyrus takes the leading number and ignores the rest.
		return &cli.StringFlag{Name: name, Aliases: []string{alias}, Usage: usage,
			Action: func(_ *cli.Context, v string) error { *dst = atoi(v); return nil }}
	}
	var rolling, foreground, users, mailboxes, meta, all bool
	return &cli.App{
		Name:      "sync_client",
		Usage:     "replicate a Cyrus master to a replica",
		UsageText: usageLine,
		HideHelp:  true,
		Writer:    io.Discard,
		ErrWriter: io.Discard,
		Flags: []cli.Flag{
			str("C", "config", "read `FILE` instead of /etc/imapd.conf", &o.Config),
			&cli.BoolFlag{Name: "v", Aliases: []string{"verbose"},
				Usage: "print each action on stdout; twice: also the protocol on stderr"},
			boolean("l", "verbose-logging", "log each action to syslog", &o.VerboseLogging),
			boolean("L", "local-only", "LOCAL_* operations (no mupdate on the replica)", &o.LocalOnly),
			str("S", "server", "replica `HOST` (instead of sync_host)", &o.Server),
			str("F", "shutdown-file", "rolling: stop when `FILE` appears", &o.ShutdownFile),
			str("f", "input-file", "objects from `FILE`; rolling: process this log file once", &o.InputFile),
			str("n", "channel", "sync log channel and <channel>_ options", &o.Channel),
			num("w", "delayed-startup", "sleep `SECONDS` before connecting", &o.DelayedStartup),
			num("t", "timeout", "rolling: recycle the connection after `SECONDS` (600)", &o.Timeout),
			num("d", "delay", "rolling: minimum cycle `SECONDS`", &o.Delay),
			boolean("r", "rolling", "rolling mode, in the background", &rolling),
			boolean("R", "foreground-rolling", "rolling mode, in the foreground", &foreground),
			boolean("1", "rolling-once", "rolling: one log file, then exit", &o.Once),
			boolean("N", "skip-locked", "skip users another client is syncing", &o.SkipLocked),
			boolean("u", "userids", "mode: the operands are users", &users),
			boolean("m", "mailboxes", "mode: the operands are mailboxes (external names)", &mailboxes),
			boolean("s", "sieve-mode", "mode: seen, subscriptions and sieve of the operand users", &meta),
			boolean("A", "all-users", "mode: every mailbox (operand: internal name prefix)", &all),
			boolean("o", "connect-once", "do not retry connecting (no effect in 3.6)", &o.ConnectOnce),
			boolean("z", "require-compression", "fail unless the connection is compressed", &o.RequireCompression),
			boolean("O", "no-copyback", "APPLY FORCE: never copy back from the replica", &o.NoCopyback),
			str("p", "dest-partition", "replica `PARTITION` for -u and -m", &o.Partition),
			boolean("a", "stage-to-archive", "stage uploads on the replica's archive partition (3.8)", &o.StageToArchive),
		},
		Action: func(c *cli.Context) error {
			o.Background = rolling
			o.Objects = c.Args().Slice()
			return nil
		},
	}
}

// atoi is C's atoi.
func atoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	end := 0
	if end < len(s) && (s[end] == '+' || s[end] == '-') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

// Help is the --help text (ours: Cyrus 3.6 has none).
func Help() string {
	var b bytes.Buffer
	app := newApp(&Options{})
	fmt.Fprintf(&b, "%s\n\nOptions (Cyrus 3.6's, with 3.8's long names):\n", usageLine)
	for _, f := range app.Flags {
		fmt.Fprintf(&b, "  %s\n", cli.FlagStringer(f))
	}
	b.WriteString("\nRolling mode (-r, -R, -1, -d, -t, -F) is not available yet: those flags exit 64.\n")
	return b.String()
}
