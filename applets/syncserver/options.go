package syncserver

import (
	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
	"github.com/cyrus-replication/cyrus-replication/internal/libc"
)

// flags is sync_server's command line: Cyrus 3.6's program options, the
// options of Cyrus master's service wrapper (taken before the program
// sees its own, each a word of its own), and ours.
//
// cyrus: imap/sync_server.c service_init; master/service.c main (3.6.1)
var flags = &getopt.Table{
	Name:  "sync_server",
	Usage: "sync_server [-C <alt_config>] [-p <ssf>] [-U <uses>] [-T <timeout>] [-D] [-X] | sync_server [-C <alt_config>] --listen <address>",
	Cyrus: "3.6",
	Options: []getopt.Option{
		{Short: 'C', Arg: "FILE", Help: "read FILE instead of /etc/imapd.conf", Separate: true},
		{Short: 'p', Arg: "SSF", Help: "an external security layer of strength SSF protects the connection (e.g. stunnel); above 0 allows plaintext logins", Separate: true},
		{Short: 'f', Help: "accepted and without effect, as in Cyrus 3.6-3.12 (force mode is the client's APPLY FORCE)", Separate: true},
		{Short: 'U', Arg: "USES", Help: "service wrapper: serve at most USES connections, then exit (default 250)", Separate: true},
		{Short: 'T', Arg: "SECONDS", Help: "service wrapper: exit when idle for SECONDS to 2*SECONDS after the first session (default 60, 0: never)", Separate: true},
		{Short: 'D', Help: "service wrapper: run imapd.conf's debug_command first", Separate: true},
		{Short: 'X', Help: "service wrapper: serve one session on standard input and output, without master", Separate: true},
		{Long: "listen", Arg: "ADDRESS", Help: "serve without Cyrus master on ADDRESS (host:port, or a UNIX socket path starting with /), a goroutine per connection, until TERM", Ours: true},
		{Short: 'h', Long: "help", Help: "print this help", Ours: true},
	},
}

// Flags is sync_server's command line, for help and man pages.
func Flags() *getopt.Table { return flags }

// programFlags are the options sync_server's own getopt("p:f") reads once
// the wrapper has taken its own.
var programFlags = &getopt.Table{Name: "sync_server", Usage: usageLine, Cyrus: "3.6", Options: []getopt.Option{
	flags.Options[1], flags.Options[2],
}}

// listenFlags are the options of our --listen mode, where no wrapper runs.
var listenFlags = &getopt.Table{Name: "sync_server", Usage: "sync_server [-C <alt_config>] [-p <ssf>] --listen <address>", Cyrus: "3.6",
	Options: []getopt.Option{flags.Options[0], flags.Options[1], flags.Options[2], flags.Options[7]}}

// cAtoi is C's atoi.
func cAtoi(s string) int { return libc.Atoi(s) }
