// Package cyrsynclog is the cyr_synclog applet: append one item to the sync
// log(s) of an imapd.conf, as Cyrus 3.6's cyr_synclog does.
//
// Usage: cyr_synclog [-C altconfig] [-{type}] value [value2]
//
//	cyr_synclog [-C altconfig] "<raw log line>"
//
// Same flags, exit statuses and files as Cyrus 3.6. Ours in addition: the
// long options of Cyrus 3.8 (--user, --unuser, ...).
//
// cyrus: imap/cyr_synclog.c (3.6.1)
package cyrsynclog

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// itemTypes are the items the type flags write.
var itemTypes = map[byte]string{
	'u': synclog.TypeUser, 'U': synclog.TypeUnuser, 'v': synclog.TypeMeta, 'm': synclog.TypeMailbox,
	'M': synclog.TypeUnmailbox, 'q': synclog.TypeQuota, 'n': synclog.TypeAnnotation,
	's': synclog.TypeSeen, 'b': synclog.TypeSub,
}

// ExitUsageError is exit(-1): Cyrus's cyr_synclog exits 255 on bad usage.
const ExitUsageError = 255

// flags is cyr_synclog's command line, each option once: Cyrus 3.6's
// options with Cyrus 3.8's long names, in 3.6's getopt order. Cyrus's usage
// text (usage) is kept word for word beside it.
//
// cyrus: imap/cyr_synclog.c main (3.6.1, 3.8.0)
var flags = &getopt.Table{
	Name:      "cyr_synclog",
	Usage:     "Usage: cyr_synclog [-C altconfig] [-{type}] value",
	Cyrus:     "3.6",
	LongNames: "3.8",
	Options: []getopt.Option{
		{Short: 'C', Arg: "FILE", Help: "read FILE instead of " + conf.DefaultPath},
		{Short: 'u', Long: "user", Help: "log USER for the userid given"},
		{Short: 'U', Long: "unuser", Help: "log UNUSER for the userid given"},
		{Short: 'v', Long: "sieve", Help: "log META (sieve, seen, subscriptions) for the userid given"},
		{Short: 'm', Long: "mailbox", Help: "log MAILBOX for the mailbox given (internal name)"},
		{Short: 'M', Long: "unmailbox", Help: "log UNMAILBOX for the mailbox given"},
		{Short: 'a', Long: "append", Help: "the value is a complete log line (as with no type option)"},
		{Short: 'c', Long: "acl", Help: "the value is a complete log line (as with no type option)"},
		{Short: 'q', Long: "quota", Help: "log QUOTA for the quota root given"},
		{Short: 'n', Long: "annotation", Help: "log ANNOTATION for the mailbox given"},
		{Short: 's', Long: "seen", Help: "log SEEN for the two values: userid, mailbox uniqueid"},
		{Short: 'b', Long: "subscription", Help: "log SUB for the two values: userid, mailbox"},
	},
}

// Flags is cyr_synclog's command line, for help and man pages.
func Flags() *getopt.Table { return flags }

func usage(w io.Writer, name string) error {
	fmt.Fprintf(w, "Usage: %s [-C altconfig] [-{type}] value\n", name)
	fmt.Fprint(w, "\n\ntypes:\n"+
		"  -u   USER\n  -U   UNUSER\n  -v   SIEVE\n  -m   MAILBOX\n  -M   UNMAILBOX\n"+
		"  -q   QUOTA\n  -n   ANNOTATION\n  -s   SEEN\n  -b   SUBSCRIPTION\n\n"+
		"You may omit the type flag and just specify a complete log line\n")
	return &cyrus.Fatal{Code: ExitUsageError}
}

// Main runs cyr_synclog. argv[0] is the program name as invoked.
func Main(ctx context.Context, argv []string, stdout, stderr io.Writer) error {
	opts, args, errs := flags.Parse(argv[1:])
	for _, e := range errs {
		// getopt prints these and the program carries on, as Cyrus does.
		fmt.Fprintf(stderr, "%s: %v\n", argv[0], e)
	}
	var altConfig string
	var cmd byte
	for _, o := range opts {
		if o.Name == 'C' {
			altConfig = o.Arg
		} else {
			cmd = o.Name // only the last type flag counts
		}
	}
	if len(args) < 1 || args[0] == "" {
		return usage(stderr, argv[0])
	}
	if (cmd == 's' || cmd == 'b') && (len(args) < 2 || args[1] == "") {
		return usage(stderr, argv[0])
	}

	env, err := cyrus.Init(cyrus.Options{ConfigPath: altConfig, Ident: "cyr_synclog"})
	if err != nil {
		return err
	}
	defer env.Close()
	w := synclog.NewWriter(env.Config, env.Log)

	t, typed := itemTypes[cmd]
	if !typed { // -a, -c and no flag: the argument is the whole line
		w.LogBytes(ctx, synclog.Raw(args[0]))
		return nil
	}
	it := synclog.Item{Type: t, Args: args[:1]}
	if cmd == 's' || cmd == 'b' {
		it.Args = args[:2]
	}
	line, err := it.Format()
	if err != nil {
		// Cyrus's writer calls fatal(..., EX_IOERR) for these.
		return &cyrus.Fatal{Msg: unwrapMsg(err), Code: cyrus.ExitIOErr}
	}
	// Like Cyrus, a write failure is logged (by the writer) and the exit
	// status stays 0.
	w.LogBytes(ctx, line)
	return nil
}

// unwrapMsg gives Cyrus's fatal text for a formatting error.
func unwrapMsg(err error) string {
	switch {
	case errors.Is(err, synclog.ErrLineBreak):
		return synclog.ErrLineBreak.Error()
	case errors.Is(err, synclog.ErrWordTooLong):
		return synclog.ErrWordTooLong.Error()
	}
	return err.Error()
}
