// Package syncreset is the sync_reset applet: on a replica, remove users
// whole — mailboxes, subscriptions, seen state, sieve scripts, quota roots,
// annotations — so that the next sync seeds them again, on Cyrus 3.6's
// command line.
//
// Usage: sync_reset [-C altconfig] [-v] -f user...
//
// Ours in addition: a user may also be named by the INBOX as the
// administrator sees it ("user/fred"), where Cyrus's bails out (the
// failure of cyrus-imapd issue 6017); Cyrus 3.8's long options (--force,
// --verbose, --local-only); a failure exits 70 (Cyrus: 0).
//
// cyrus: imap/sync_reset.c (3.6.1, 3.8.0)
package syncreset

import (
	"context"
	"fmt"
	"io"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// usageLine is Cyrus's usage text for a bad option.
const usageLine = "usage: sync_reset [-C <alt_config>] [-v] [-f] user..."

// flags is sync_reset's command line: Cyrus 3.6's getopt("C:vfL") with
// Cyrus 3.8's long names, and our --help.
//
// cyrus: imap/sync_reset.c main (3.6.1, 3.8.0)
var flags = &getopt.Table{
	Name:      "sync_reset",
	Usage:     usageLine,
	Cyrus:     "3.6",
	LongNames: "3.8",
	Options: []getopt.Option{
		{Short: 'C', Arg: "FILE", Help: "read FILE instead of " + conf.DefaultPath},
		{Short: 'v', Long: "verbose", Help: "accepted; prints nothing more, as in Cyrus"},
		{Short: 'f', Long: "force", Help: "really remove the users (without it nothing is done)"},
		{Short: 'L', Long: "local-only", Help: "accepted and without effect: the users are always removed locally only, as in Cyrus"},
		{Short: 'h', Long: "help", Help: "print this help", Ours: true},
	},
}

// Flags is sync_reset's command line, for help and man pages.
func Flags() *getopt.Table { return flags }

// Main runs sync_reset. argv[0] is the program name as invoked.
func Main(ctx context.Context, argv []string, stdout, stderr io.Writer) error {
	opts, users, errs := flags.Parse(argv[1:])
	if len(errs) > 0 {
		// glibc's getopt message, then Cyrus's usage
		fmt.Fprintf(stderr, "%s: %v\n%s\n", argv[0], errs[0], usageLine)
		return &cyrus.Fatal{Code: cyrus.ExitUsage}
	}
	var config string
	force := false
	for _, o := range opts {
		switch o.Name {
		case 'C':
			config = o.Arg
		case 'f':
			force = true
		case 'h':
			fmt.Fprint(stdout, flags.Help())
			return nil
		}
	}
	env, err := cyrus.Init(cyrus.Options{ConfigPath: config, Ident: "sync_reset", Need: conf.NeedPartitionData})
	if err != nil {
		return err
	}
	defer env.Close()
	if !force {
		// Cyrus's safety net: a reminder on stderr, and exit 0
		fmt.Fprint(stderr, "Usage: sync_reset -f user user user ...\n         -f [force] is obligatory for safety\n")
		return nil
	}
	sp, err := spool.Open(env.Config)
	if err != nil {
		return &cyrus.Fatal{Msg: err.Error(), Code: cyrus.ExitConfig}
	}
	w := synclog.NewWriter(env.Config, env.Log)
	for _, arg := range users {
		u := userOf(sp, env.Config.Namespace(), arg)
		if u != arg {
			fmt.Fprintf(stdout, "%s names the INBOX of user %s: resetting %s\n", arg, u, u)
		}
		res, err := sp.ResetUser(ctx, u)
		logResult(ctx, w, u, res)
		for _, name := range res.Missing {
			fmt.Fprintf(stdout, "skipping already removed mailbox %s\n", name)
		}
		if err != nil {
			cyruslog.Xsyslog(env.Log, cyruslog.LevelErr, "IOERROR: sync_reset failed", "reset_single",
				"userid", u, "error", err.Error())
			fmt.Fprintf(stderr, "sync_reset: %s: %v\nBailing out!\n", u, err)
			return &cyrus.Fatal{Code: cyrus.ExitSoftware}
		}
	}
	return nil
}

// userOf is the user an operand names: a userid, as Cyrus takes it. Ours
// also takes the user's INBOX as an administrator names it ("user/fred",
// "user/fred@example.com"), on which Cyrus's sync_reset looks up the INBOX
// of a user called "user/fred", finds none and bails out (cyrus-imapd
// issue 6017).
func userOf(sp *spool.Spool, ns conf.Namespace, arg string) string {
	if _, err := sp.LookupName(ns.UserInbox(arg)); err == nil {
		return arg
	}
	intname, err := ns.ParseExternal(arg)
	if err != nil {
		return arg
	}
	m := ns.ParseInternal(intname)
	if m.LocalPart == "" || len(m.Boxes) != 0 || m.Deleted != 0 {
		return arg
	}
	if _, err := sp.LookupName(intname); err != nil {
		return arg
	}
	return m.UserID()
}

// logResult writes the sync log items Cyrus's library writes as it resets
// a user: SUB for each subscription dropped, UNMAILBOX for each mailbox
// deleted, UNUSER once the user's data is gone.
//
// cyrus: imap/mboxlist.c mboxlist_changesub, mboxlist_deletemailbox;
// imap/user.c user_deletedata (3.6.1)
func logResult(ctx context.Context, w *synclog.Writer, userid string, res *spool.ResetResult) {
	for _, name := range res.Unsubscribed {
		w.Log(ctx, synclog.Item{Type: synclog.TypeSub, Args: []string{userid, name}})
	}
	for _, name := range res.Deleted {
		w.Log(ctx, synclog.Item{Type: synclog.TypeUnmailbox, Args: []string{name}})
	}
	if res.DataDeleted {
		w.Log(ctx, synclog.Item{Type: synclog.TypeUnuser, Args: []string{userid}})
	}
}
