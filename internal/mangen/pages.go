package main

import (
	"github.com/cyrus-replication/cyrus-replication/applets"
	"github.com/cyrus-replication/cyrus-replication/conf"
)

// Options every applet reads as Cyrus's cyrus_init does, and those of the
// mail spool (mailboxes.db, mailbox directories, locks).
var (
	confInit  = []string{"cyrus_user", "cyrus_group", "umask", "syslog_prefix", "syslog_facility", "configdirectory"}
	confSpool = []string{"defaultpartition", "partition-NAME", "metapartition-NAME", "metapartition_files",
		"archivepartition-NAME", "hashimapspool", "fulldirhash", "mailbox_legacy_dirs", "virtdomains", "defaultdomain",
		"unixhierarchysep", "altnamespace", "deletedprefix", "mboxname_lockpath", "mboxlist_db", "mboxlist_db_path",
		"quota_db", "quota_db_path", "annotation_db", "annotation_db_path", "seenstate_db", "subscription_db",
		"sievedir", "sieveusehomedir", "sieve_folder", "conversations", "search_engine", "temp_path", "proc_path"}
	confSyncLog = []string{"sync_log", "sync_log_channels"}
)

func join(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// exitConfig is the status of a configuration Cyrus refuses.
var exitConfig = Status{"78", "The configuration could not be read (a missing " + conf.DefaultPath + " or partition, a bad value); the message names the file."}

func pages() []*Page {
	seeAlso := []string{"cyrus-replication(8)", "sync_client(8)", "sync_server(8)", "sync_reset(8)", "cyr_synclog(8)", "squatter-channel(8)", "imapd.conf(5)", "cyrus.conf(5)"}
	others := func(self string) []string {
		var out []string
		for _, s := range seeAlso {
			if s != self+"(8)" {
				out = append(out, s)
			}
		}
		return out
	}
	return []*Page{
		{
			Name:    "sync_client",
			Summary: "replicate a Cyrus IMAP master's mail to a replica",
			Synopsis: []string{
				"[-C FILE] [-v] [-l] [-L] [-z] [-S HOST] [-n CHANNEL] [-p PARTITION] [-O] -u | -m | -s [-f FILE] OBJECT...",
				"[-C FILE] [-v] [-l] [-L] [-z] [-S HOST] [-n CHANNEL] [-O] -A [PREFIX]",
				"[-C FILE] [-v] [-l] [-L] [-z] [-S HOST] [-n CHANNEL] -r | -R [-1] [-N] [-d SECONDS] [-t SECONDS] [-F FILE] [-f FILE]",
			},
			Description: []string{
				"`sync_client` is the master's side of Cyrus replication: it sends a Cyrus 3.6 spool's users, mailboxes, messages, flags, quota roots, subscriptions, seen state, annotations and sieve scripts to a replica's `sync_server`, over the csync protocol (or IMAP with `sync_try_imap`). It is a drop-in for Cyrus 3.6's program of the same name: the same command line, exit statuses, syslog lines, imapd.conf options, sync log files and locks, so that it runs from `cyrus.conf`, cron and scripts beside Cyrus's imapd and lmtpd.",
				"Exactly one mode is given: `-u` users, `-m` mailboxes, `-s` the seen state, subscriptions and sieve scripts of users, `-A` every user, or rolling replication (`-r` in the background, `-R` in the foreground), which follows the sync log that imapd and lmtpd write (`sync_log: 1`) and replicates what it names, cycle after cycle. With `-1` rolling mode processes one log file and exits; `-f FILE` with `-r` processes that file and keeps it.",
				"When the replica has changes of its own, the full update does what Cyrus's does: records more recent on the replica are taken over, messages only the replica has are copied back, a split brain gives both messages new UIDs on both sides. Where it would have to write annotations, mailboxes.db or the conversations database for that, it stops with an error naming the mailbox before changing anything.",
				"In rolling mode ours wakes as soon as the sync log is written (inotify) instead of sleeping a whole cycle; `--poll` restores Cyrus's polling.",
			},
			Flags: applets.Flags("sync_client"),
			Exit: []Status{
				{"0", "Everything was replicated; in rolling mode also when the replica closed the connection (the sync log is kept for the next run)."},
				{"1", "A sync failed, or the replica could not be reached or refused compression required by `-z`."},
				{"64", "Bad command line (Cyrus's message and usage line on stderr)."},
				{"70", "No replica: neither `-S` nor `sync_host`."},
				{"75", "Stopped by SIGTERM, SIGINT or SIGQUIT."},
				exitConfig,
			},
			Conf: join(confInit, confSpool, confSyncLog, []string{"servername", "sync_host", "sync_port", "sync_authname",
				"sync_realm", "sync_password", "sync_try_imap", "sync_timeout", "sync_repeat_interval", "sync_reconnect_maxwait",
				"sync_shutdown_file", "sync_batchsize", "client_bind", "client_bind_name", "client_timeout", "force_sasl_client_mech",
				"tls_client_cert", "tls_client_key", "tls_server_ca_file", "tls_server_ca_dir", "archive_enabled"}),
			ConfNote: "With `-n CHANNEL` each `sync_` option above is looked up first as `CHANNEL_option` (`CHANNEL_sync_host` ...), and the sync log read is the channel's: `configdirectory/sync/CHANNEL/log`. `sync_batchsize` is read and, as in Cyrus 3.6, has no effect.",
			Files: []Status{
				{"configdirectory/sync/log, configdirectory/sync/CHANNEL/log", "The sync log rolling mode reads; it is renamed to `log-run` while processed, then removed."},
				{"cyrus-replication.lock, cyrus-replication.state", "Beside the channel's log (ours): rolling mode holds the lock and records its last cycles in the state file, for `cyrus-replication status`."},
			},
			SeeAlso: others("sync_client"),
		},
		{
			Name:    "sync_server",
			Summary: "the replica's side of Cyrus IMAP replication",
			Synopsis: []string{
				"[-C FILE] [-U USES] [-T SECONDS] [-D] [-X] [-p SSF] [-f]",
				"[-C FILE] [-p SSF] [-f] --listen ADDRESS",
			},
			Description: []string{
				"`sync_server` answers a master's `sync_client` on the replica: it writes what the master sends (mailboxes, messages, flags, quota roots, subscriptions, seen state, annotations, sieve scripts, deletions and renames) to the replica's Cyrus 3.6 spool under Cyrus's locks, so that Cyrus's imapd, lmtpd and tools keep running beside it, and answers every GET as Cyrus's sync_server does on the same spool. Logins are checked as Cyrus's SASL does (sasldb2, saslauthd, authdaemond).",
				"Cyrus's master runs it from `cyrus.conf`, as it runs Cyrus's: `syncserver cmd=\"sync_server\" listen=\"csync\"`, with the service protocol's options `-C -U -T -D -X` taken before the program's own.",
				"Ours in addition: with `--listen ADDRESS` (`host:port`, or a UNIX socket path starting with /) it serves without master, one process with a goroutine per connection, until SIGTERM or SIGINT; there APPLY FORCE holds for its session only. Run as root it becomes `cyrus_user` first; it refuses to serve as root.",
			},
			Flags: applets.Flags("sync_server"),
			Exit: []Status{
				{"0", "Served until master's limits (`-U`, `-T`) or SIGTERM ended it."},
				{"1", "Master's file descriptors are missing (started by hand without `-X` or `--listen`)."},
				{"64", "Bad command line, or `--listen` run as root."},
				{"70", "Not started by Cyrus's master (no CYRUS_SERVICE or CYRUS_ID in the environment)."},
				exitConfig,
			},
			Conf: join(confInit, confSpool, confSyncLog, []string{"servername", "admins", "allowplaintext", "loginrealms",
				"username_tolower", "sasl_pwcheck_method", "sasl_auxprop_plugin", "sasl_sasldb_path", "sasl_saslauthd_path",
				"sasl_authdaemond_path", "sasl_canon_user_plugin", "sasl_auto_transition", "auth_mech", "sync_log_chain",
				"sync_log_unsuppressable_channels", "maxliteral", "maxword", "maxquoted", "debug_command", "tls_server_cert",
				"tls_server_key", "tls_server_ca_file", "tls_server_ca_dir", "dav_lock_timeout", "archive_enabled"}),
			ConfNote: "The sync log items Cyrus's library writes as a replica changes are written only with `sync_log_chain` (or to the channels named by `sync_log_unsuppressable_channels`).",
			SeeAlso:  others("sync_server"),
		},
		{
			Name:    "sync_reset",
			Summary: "remove users from a Cyrus IMAP replica so that they can be seeded again",
			Synopsis: []string{
				"[-C FILE] [-v] [-L] -f USER...",
			},
			Description: []string{
				"`sync_reset` runs on a replica. For each USER, under the user's namespace lock and beside a running imapd, it ends the user's other Cyrus processes (SIGTERM), drops every subscription, deletes every mailbox of the user (the INBOX, the folders below it and the user's DELETED ones, children first, the INBOX last) with its mailboxes.db entry, and then the user's data: seen state, subscriptions, sieve scripts, quota roots, annotations, the per-user databases. The next `sync_client -u USER` on the master seeds the user again.",
				"Without `-f` nothing is done: a reminder is printed and the exit status is 0, as with Cyrus. A mailbox gone meanwhile is reported on stdout (`skipping already removed mailbox NAME`); a user without an INBOX entry stops the run with `Bailing out!`.",
				"It works on both mailbox layouts, the legacy one (directories by name) and the uuid one of `mailbox_legacy_dirs: no`: every path is taken from the user's INBOX entry. A USER may also be given as the administrator names the INBOX (`user/fred`, `user/fred@example.com`); Cyrus 3.6 looks for a user called `user/fred` there and bails out (cyrus-imapd issue 6017), ours resets fred (ours). Like Cyrus 3.6, ours leaves the user's tombstones and intermediate entries in mailboxes.db, and the by-uniqueid records of the mailboxes removed.",
			},
			Flags: applets.Flags("sync_reset"),
			Exit: []Status{
				{"0", "Every USER was reset, or `-f` was not given."},
				{"64", "Bad command line."},
				{"70", "A user could not be reset: the error names the user and the mailbox or file, then `Bailing out!`; later users are not touched. This status is ours: Cyrus 3.6 exits 0 there."},
				exitConfig,
			},
			Conf:     join(confInit, confSpool, confSyncLog),
			ConfNote: "With `sync_log` on it writes the items Cyrus's library writes: SUB for each subscription dropped, UNMAILBOX for each mailbox deleted, UNUSER for the user.",
			SeeAlso:  others("sync_reset"),
		},
		{
			Name:    "squatter-channel",
			Summary: "keep Cyrus IMAP's SQUAT search indexes up to date from the squatter sync log channel",
			Synopsis: []string{
				"-R [-C FILE] [-n CHANNEL] [-d] [-S SECONDS] [-v] [-N NAME] [--parallel N]",
				"-f FILE [-C FILE] [-S SECONDS] [-v] [-N NAME] [--parallel N]",
			},
			Description: []string{
				"`squatter-channel` is Cyrus 3.6's `squatter` in its rolling mode (`-R`) and its sync log file mode (`-f`), as a drop-in: the same command line, skip rules, re-queueing, shutdown files, signals, exit statuses and syslog lines (syslog ident `squatter`). Cyrus's other squatter modes (indexing named mailboxes or users, search, audit, list, compaction) are refused with exit 64: run Cyrus's own `squatter` for them.",
				"With `-R` it follows the sync log of CHANNEL (`squatter` by default: `configdirectory/sync/squatter/log`, which imapd and lmtpd write with `sync_log: on` and the channel in `sync_log_channels`). Each cycle takes the log as `log-run` (a leftover `log-run` first), collects the mailboxes of its APPEND items and every mailbox of its USER items' users, sorts them by bytes without duplicates and indexes the messages of each not yet in its index, without waiting for locks; a mailbox that was locked is written back to the channel's log as `APPEND` and comes again in a later cycle. As in Cyrus 3.6 SQUAT indexes a mailbox in one go: `search_batchsize` has no effect. `log-run` is removed when the next cycle begins. Skipped: mailboxes before `-N NAME`, remote ones, tombstones, intermediates, `#sieve` and JMAP submission mailboxes, DAV collections, CalDAV scheduling Inboxes, DELETED ones, and those of the domains and users in `search_index_skip_domains` and `search_index_skip_users`. While there is no log it looks again every 0.1 s.",
				"Without `-d`, and unless started by Cyrus's master as a DAEMON (`CYRUS_ISDAEMON`), it goes to the background once the configuration was checked. Under master a SIGHUP ends it gracefully (exit 0). As a wait daemon (`wait=y`) it writes `ok` to master's fd 3 when ready, as Cyrus 3.12's squatter does (3.6's does not).",
				"With `-f FILE` it indexes what FILE names once, waiting for locks, and keeps the file.",
				"`search_engine` must be `squat`. The indexes are written by the search indexer built into the binary; a binary without one refuses to start (exit 70). Ours in addition: `--parallel N` indexes up to N mailboxes at once (never one mailbox twice at a time); 1 is Cyrus's behaviour.",
			},
			Flags: applets.Flags("squatter-channel"),
			Exit: []Status{
				{"0", "`-f`: every mailbox was indexed. `-R`: ended by SIGHUP under master."},
				{"64", "Bad command line, or a mode of Cyrus's squatter that is not ours."},
				{"70", "No search indexer is built into the binary."},
				{"75", "`-R`: a shutdown file (`configdirectory/msg/shutdown.squatter`, else `configdirectory/msg/shutdown`) or SIGTERM, SIGINT, SIGQUIT. `-f`: the file could not be read, a mailbox failed or stayed locked too often."},
				{"78", "The configuration could not be read, or, with `-R`, `search_engine` is not `squat` (with `-f`: 75, as Cyrus's squatter ends without a search engine)."},
			},
			Conf: join(confInit, confSpool, confSyncLog, []string{"search_index_skip_domains", "search_index_skip_users", "jmapsubmissionfolder", "debug"}),
			Files: []Status{
				{"configdirectory/sync/squatter/log", "The channel's sync log (`sync/CHANNEL/log` with `-n`)."},
				{"configdirectory/sync/squatter/log-run", "The log file of the cycle in progress."},
				{"configdirectory/msg/shutdown.squatter", "`-R` exits 75 when it exists (it is not removed)."},
				{"configdirectory/msg/shutdown", "The same, for every Cyrus program."},
			},
			SeeAlso: others("squatter-channel"),
		},
		{
			Name:    "cyr_synclog",
			Summary: "append an item to the Cyrus IMAP sync log",
			Synopsis: []string{
				"[-C FILE] [-u | -U | -v | -m | -M | -q | -n | -s | -b | -a | -c] VALUE [VALUE2]",
				"[-C FILE] \"RAW LOG LINE\"",
			},
			Description: []string{
				"`cyr_synclog` appends one item to the sync log of every channel in `sync_log_channels` (or the default one), as imapd and lmtpd do when they change something, so that rolling `sync_client` replicates it: the user, mailbox, quota root, annotation, seen state or subscription named. Without a type option the argument is written as a whole log line.",
				"Items are quoted and written, and the file locked, exactly as Cyrus 3.6 does. A raw line's `%x` becomes `x`, as Cyrus's printf does; `%s` and `%d` are written as they are (Cyrus reads missing arguments there).",
			},
			Flags: applets.Flags("cyr_synclog"),
			Exit: []Status{
				{"0", "The item was written, or writing it failed (logged to syslog, as Cyrus does)."},
				{"74", "The item cannot be written as a log line (a line break, a word too long)."},
				exitConfig,
				{"255", "Bad usage: no value, or one value where two are needed."},
			},
			Conf: join(confInit, confSyncLog),
			Files: []Status{
				{"configdirectory/sync/log, configdirectory/sync/CHANNEL/log", "The sync logs written."},
			},
			SeeAlso: others("cyr_synclog"),
		},
		{
			Name:    applets.Binary,
			Summary: "Cyrus IMAP's replication tools in one binary",
			Synopsis: []string{
				"APPLET [ARGS...]",
				"install-links [-f] DIR",
				"synclog-show [-C FILE] [-n CHANNEL]",
				"status [-C FILE] [-n CHANNEL] [--format FORMAT]",
			},
			Description: []string{
				"`cyrus-replication` is Cyrus IMAP 3.6's replication tools rebuilt as one static multi-call binary: `sync_client`, `sync_server`, `sync_reset`, `cyr_synclog` and `squatter-channel` (Cyrus's `squatter -R` and `-f`), each a drop-in for Cyrus's program of that name (same flags, exit statuses, syslog lines, imapd.conf options, sync log files and on-disk spool), so that Cyrus's own imapd and lmtpd keep running beside them.",
				"The applet is chosen by the name the binary runs as (a chain of symlinks is followed to its last link), or by the first argument: `cyrus-replication sync_client -u fred`. The Debian package links every applet into /usr/lib/cyrus/bin, where Cyrus's `cyrus.conf` and scripts find them. An unknown name lists the applets.",
				"Build-time defaults follow Debian's Cyrus 3.6 packages: the configuration is " + conf.DefaultPath + ", the syslog ident `cyrus/PROGRAM`, the facility MAIL.",
			},
			Commands: commands(),
			Exit: []Status{
				{"0", "Done."},
				{"64", "Unknown applet or command, or bad usage."},
				{"73", "install-links could not make a link."},
				{"74", "synclog-show or status could not read a log or its directory."},
				exitConfig,
			},
			Files: []Status{
				{"/usr/lib/cyrus/bin/APPLET", "The applets' links, where Debian's Cyrus installs its programs."},
				{conf.DefaultPath, "The configuration read without `-C`."},
			},
			SeeAlso: others(applets.Binary),
		},
	}
}

// commandText is what each of the binary's own commands does, by the name
// of its flag table.
var commandText = map[string]string{
	"install-links": "Makes DIR/APPLET a symlink to the binary for every applet. A file there that is not already such a link is refused unless `-f` is given, so that Cyrus's own programs are not replaced by accident.",
	"synclog-show":  "Prints what a channel's sync log holds (the `log-run` being processed first, then `log`), grouped as sync_client will process it, and any malformed line. It only reads.",
	"status":        "Prints per sync log channel (every channel of `sync_log_channels`, or `-n`'s) the backlog waiting in `log-run` and `log` (items, bytes, malformed lines), the age of its oldest item, whether a rolling sync_client of ours follows the channel, and its last cycles; as text, JSON or Prometheus metrics. It only reads and takes no lock. Cyrus's own sync_client records nothing, so it cannot be seen.",
}

// commands are the binary's own commands, in the order it lists them.
func commands() []Command {
	var out []Command
	for _, f := range applets.CommandFlags() {
		out = append(out, Command{Flags: f, Text: commandText[f.Name]})
	}
	return out
}
