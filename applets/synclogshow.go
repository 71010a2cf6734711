package applets

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// synclogShowFlags is our synclog-show command's command line.
var synclogShowFlags = &getopt.Table{
	Name:  "synclog-show",
	Usage: "usage: " + Binary + " synclog-show [-C imapd.conf] [-n channel]",
	Options: []getopt.Option{
		{Short: 'C', Arg: "FILE", Help: "read FILE instead of " + conf.DefaultPath},
		{Short: 'n', Arg: "CHANNEL", Help: "show the sync log of CHANNEL instead of the default one"},
	},
}

// synclogShowMain is our own `cyrus-replication synclog-show [-C conf]
// [-n channel]`: it prints what a channel's sync log holds (log-run first,
// then log), grouped as sync_client would group it, and the malformed lines
// it would skip. It only reads: nothing is renamed or deleted.
func synclogShowMain(args []string, stdout, stderr io.Writer) int {
	opts, rest, errs := synclogShowFlags.Parse(args[1:])
	if len(errs) > 0 || len(rest) > 0 {
		fmt.Fprintln(stderr, synclogShowFlags.Usage)
		return cyrus.ExitUsage
	}
	var path, channel string
	for _, o := range opts {
		switch o.Name {
		case 'C':
			path = o.Arg
		case 'n':
			channel = o.Arg
		}
	}
	cfg, err := conf.Load(path, "synclog-show", 0)
	if err != nil {
		fmt.Fprintf(stderr, "fatal error: %v\n", err)
		return conf.ExitConfig
	}
	syncDir := filepath.Join(cfg.ConfigDirectory(), "sync")
	live := synclog.LogPath(syncDir, channel)
	batch := synclog.NewBatch(cfg.Namespace())
	total := 0
	for _, file := range []string{live + "-run", live} {
		f, err := os.Open(file)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 74
		}
		items, err := synclog.ReadAll(synclog.NewParser(f, file), func(m *synclog.Malformed) {
			fmt.Fprintf(stdout, "malformed: %v\n", m)
		})
		f.Close()
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 74
		}
		fmt.Fprintf(stdout, "%s: %d items\n", file, len(items))
		for _, it := range items {
			fmt.Fprintf(stdout, "  %s\n", it)
			if err := batch.Add(it); err != nil {
				fmt.Fprintf(stdout, "  (skipped: %v)\n", err)
			}
		}
		total += len(items)
	}
	if total == 0 {
		fmt.Fprintf(stdout, "%s: nothing pending\n", live)
		return 0
	}
	batch.RemoveRedundant()
	fmt.Fprintln(stdout, "as sync_client would do it:")
	for _, g := range batch.Groups() {
		who := g
		if who == "" {
			who = "(shared)"
		}
		fmt.Fprintf(stdout, "  mailboxes of %s: %s\n", who, strings.Join(batch.Mailboxes[g], " "))
	}
	show := func(what string, l []string) {
		if len(l) > 0 {
			fmt.Fprintf(stdout, "  %s: %s\n", what, strings.Join(l, " "))
		}
	}
	pairs := func(l []synclog.UserName) (out []string) {
		for _, p := range l {
			out = append(out, p.UserID+":"+p.Name)
		}
		return out
	}
	show("quota roots", batch.Quotas)
	show("annotations", batch.Annotations)
	show("seen", pairs(batch.Seen))
	show("subscriptions", pairs(batch.Subs))
	show("deleted mailboxes", batch.Unmailboxes)
	show("meta (sieve, seen, subscriptions) of", batch.Metas)
	show("whole users", batch.Users)
	show("deleted users", batch.Unusers)
	return 0
}
