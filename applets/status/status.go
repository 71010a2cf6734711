// Package status is our `cyrus-replication status` command (no Cyrus
// program has it): per sync log channel, the backlog waiting in log-run
// and log, the age of its oldest item, whether a rolling sync_client of
// ours follows the channel and its last successful cycle. It only reads,
// and takes no lock, so it is safe beside running Cyrus.
package status

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// Exit statuses.
const (
	exitUsage = 64 // EX_USAGE
	exitIO    = 74 // EX_IOERR: a log or directory that cannot be read
)

// Flags is the command line.
func Flags() *getopt.Table { return flags }

var flags = &getopt.Table{
	Name:  "status",
	Usage: "usage: cyrus-replication status [-C imapd.conf] [-n channel] [--format text|json|prometheus]",
	Options: []getopt.Option{
		{Short: 'C', Arg: "FILE", Help: "read FILE instead of " + conf.DefaultPath, Ours: true},
		{Short: 'n', Arg: "CHANNEL", Help: "only CHANNEL (\"\" is the default channel), instead of every channel of sync_log_channels", Ours: true},
		{Long: "format", Arg: "FORMAT", Help: "FORMAT is text (the default), json or prometheus (text exposition format)", Ours: true},
		{Short: 'h', Long: "help", Help: "show this help", Ours: true},
	},
}

// helpNotes follow the options in --help.
const helpNotes = `
Ours: no Cyrus version has this command. It reads each channel's sync log
(log-run, then log) without locking it, so it never holds up imapd or lmtpd.
The age of the oldest item is that of the file holding it (birth time, or
modification time where the file system has none: then it is a lower
bound). "Client running", the last cycle and the users waiting for retry
(with --workers > 1: their items failed, were written back to the log, and
wait for their own back-off) are known only for our rolling
sync_client, which holds cyrus-replication.lock and writes
cyrus-replication.state beside the channel's log; Cyrus's own sync_client
takes no lock and records nothing, so it cannot be seen.
`

// Channel is the status of one channel.
type Channel struct {
	// Name is the channel, "" for the default one; Dir its directory.
	Name string `json:"channel"`
	Dir  string `json:"dir"`
	// Files are the log files that exist, log-run first.
	Files []FileBacklog `json:"files"`
	// Items, Bytes and Malformed add up Files.
	Items     int   `json:"backlog_items"`
	Bytes     int64 `json:"backlog_bytes"`
	Malformed int   `json:"malformed_lines"`
	// Oldest is Since of the first file that is not empty.
	Oldest     time.Time `json:"oldest_item,omitzero"`
	OldestAge  float64   `json:"oldest_age_seconds"`
	OldestFrom string    `json:"oldest_from,omitempty"`
	// ClientRunning: a rolling client of ours holds the channel.
	ClientRunning bool `json:"client_running"`
	// Client is what our rolling client last recorded; nil if never.
	Client *synclog.ClientState `json:"client,omitempty"`
}

// Collect reads the status of channels in configdirectory/sync.
func Collect(configDir string, channels []string, now time.Time) ([]Channel, error) {
	syncDir := filepath.Join(configDir, "sync")
	var out []Channel
	for _, name := range channels {
		ch := Channel{Name: name, Dir: synclog.ChannelDir(syncDir, name)}
		files, err := channelBacklog(syncDir, name)
		if err != nil {
			return nil, err
		}
		ch.Files = files
		for _, f := range files {
			ch.Items += f.Items
			ch.Bytes += f.Bytes
			ch.Malformed += f.Malformed
		}
		for _, f := range files { // log-run first: its items are older
			if f.Bytes > 0 {
				ch.Oldest = f.Since
				ch.OldestAge = max(now.Sub(ch.Oldest).Seconds(), 0)
				ch.OldestFrom = f.SinceFrom + " of " + f.Name
				break
			}
		}
		if ch.ClientRunning, err = synclog.ChannelHeld(ch.Dir); err != nil {
			return nil, err
		}
		if ch.Client, err = synclog.ReadClientState(ch.Dir); err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// Main runs `cyrus-replication status`; args[0] is "status".
func Main(args []string, stdout, stderr io.Writer) int {
	opts, rest, errs := flags.Parse(args[1:])
	if len(errs) > 0 || len(rest) > 0 {
		for _, e := range errs {
			fmt.Fprintf(stderr, "status: %v\n", e)
		}
		fmt.Fprintln(stderr, flags.Usage)
		return exitUsage
	}
	var path, format string
	var channel *string
	for _, o := range opts {
		switch {
		case o.Name == 'C':
			path = o.Arg
		case o.Name == 'n':
			channel = &o.Arg
		case o.Long == "format":
			format = o.Arg
		case o.Name == 'h':
			fmt.Fprint(stdout, flags.Help()+helpNotes)
			return 0
		}
	}
	write, ok := formats[format]
	if !ok {
		fmt.Fprintf(stderr, "status: unknown format %q (text, json or prometheus)\n", format)
		return exitUsage
	}
	cfg, err := conf.Load(path, "status", 0)
	if err != nil {
		fmt.Fprintf(stderr, "status: %v\n", err)
		return conf.ExitConfig
	}
	channels := cfg.SyncLogChannels()
	if channel != nil {
		channels = []string{*channel}
	}
	now := time.Now()
	st, err := Collect(cfg.ConfigDirectory(), channels, now)
	if err != nil {
		fmt.Fprintf(stderr, "status: %v\n", err)
		return exitIO
	}
	if err := write(stdout, st, now); err != nil {
		fmt.Fprintf(stderr, "status: %v\n", err)
		return exitIO
	}
	return 0
}
