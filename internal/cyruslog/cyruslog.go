// Package cyruslog is the one logger of every applet, the protocol
// sessions, the sync log and the spool: Cyrus's syslog lines, written
// through log/slog.
//
// # Line kinds
//
// Each line is one of three kinds, each written one way:
//
//   - Cyrus's syslog(3) lines: the message is Cyrus's whole text, formatted
//     as Cyrus's format string does (fmt.Sprintf), an error included in
//     Cyrus's words (its error_message() or strerror text, see Strerror).
//     They are logged with the Logger's methods (Error, Warn, Info, Debug),
//     or Log with LevelNotice.
//   - Cyrus's xsyslog() lines ("DESC: key=<value> … func=<fn>"): logged with
//     Xsyslog, Cyrus's description, C function name and fields.
//   - Our own lines, which Cyrus does not log: the message names what was
//     being done; an error is never formatted into it but passed as the
//     "error" attribute, which the rule below puts on the line.
//
// # What reaches the syslog line
//
// The Handler writes one line per record:
//
//   - The record's message, always, as it is (trailing newlines dropped).
//   - An xsyslog record's fields, always, each as "key=<value>" in the
//     caller's order, then "func=<fn>" at the severities Cyrus adds it.
//   - Every error attribute — the key "error", or any value of type error,
//     on the record or given to Logger.With — always (a nil error is
//     nothing to tell). On a plain line it is appended as " key=<text>";
//     on an xsyslog line it is one more field before func=<…>, where
//     Cyrus's own xsyslog lines carry their error=<…>.
//   - No other attribute. Context attributes (user, mailbox, channel,
//     command …) are for structured outputs (a JSON or text handler beside
//     this one); they never change a syslog line. Groups are flattened: an
//     attribute's own key is used.
//
// The copy on Options.Stderr (LOG_PERROR) is the same line. The attribute
// key "xsyslog" is Xsyslog's: other callers do not use it.
//
// So a line whose wording must equal Cyrus's (the integration tests compare
// ours with real Cyrus's, byte for byte) carries only what Cyrus's does:
// its error in Cyrus's words inside the message or an xsyslog field, and
// no error attribute, which would add a second rendering of it.
package cyruslog

import (
	"log/slog"
	"log/syslog"
	"strings"
)

// The syslog severities as slog levels. Info, Warn and Error are slog's
// own; LOG_NOTICE sits between Info and Warn, the severities above LOG_ERR
// beyond Error, four apart as slog spaces its levels.
const (
	LevelDebug   = slog.LevelDebug // LOG_DEBUG
	LevelInfo    = slog.LevelInfo  // LOG_INFO
	LevelNotice  = slog.Level(2)   // LOG_NOTICE
	LevelWarning = slog.LevelWarn  // LOG_WARNING
	LevelErr     = slog.LevelError // LOG_ERR
	LevelCrit    = slog.Level(12)  // LOG_CRIT
	LevelAlert   = slog.Level(16)  // LOG_ALERT
	LevelEmerg   = slog.Level(20)  // LOG_EMERG
)

// Severity is the syslog severity a level is logged at: the highest
// severity whose level l reaches; below Info, LOG_DEBUG.
func Severity(l slog.Level) syslog.Priority {
	switch {
	case l >= LevelEmerg:
		return syslog.LOG_EMERG
	case l >= LevelAlert:
		return syslog.LOG_ALERT
	case l >= LevelCrit:
		return syslog.LOG_CRIT
	case l >= LevelErr:
		return syslog.LOG_ERR
	case l >= LevelWarning:
		return syslog.LOG_WARNING
	case l >= LevelNotice:
		return syslog.LOG_NOTICE
	case l >= LevelInfo:
		return syslog.LOG_INFO
	}
	return syslog.LOG_DEBUG
}

var facilities = map[string]syslog.Priority{
	"KERN": syslog.LOG_KERN, "USER": syslog.LOG_USER, "MAIL": syslog.LOG_MAIL,
	"DAEMON": syslog.LOG_DAEMON, "AUTH": syslog.LOG_AUTH, "SYSLOG": syslog.LOG_SYSLOG,
	"LPR": syslog.LOG_LPR, "NEWS": syslog.LOG_NEWS, "UUCP": syslog.LOG_UUCP,
	"CRON": syslog.LOG_CRON, "AUTHPRIV": syslog.LOG_AUTHPRIV, "FTP": syslog.LOG_FTP,
	"LOCAL0": syslog.LOG_LOCAL0, "LOCAL1": syslog.LOG_LOCAL1, "LOCAL2": syslog.LOG_LOCAL2,
	"LOCAL3": syslog.LOG_LOCAL3, "LOCAL4": syslog.LOG_LOCAL4, "LOCAL5": syslog.LOG_LOCAL5,
	"LOCAL6": syslog.LOG_LOCAL6, "LOCAL7": syslog.LOG_LOCAL7,
}

// Facility is the facility a syslog_facility name (any case) stands for.
// Cyrus knows only DAEMON, MAIL, NEWS, USER and LOCAL0–7 (another name
// falls back to the default after a "config error" line); we know every
// name of <syslog.h>.
//
// cyrus: imap/global.c get_facility (3.6.1)
func Facility(name string) (syslog.Priority, bool) {
	p, ok := facilities[strings.ToUpper(name)]
	return p, ok
}
