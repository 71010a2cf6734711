package syncclient

import (
	"context"
	"fmt"
	"log/slog"
)

// xsyslog logs a line as Cyrus's xsyslog() formats it: the description,
// ": ", the formatted key=<value> pairs and a space; at LOG_ERR and
// LOG_WARNING also "func=<fn>" (the C function Cyrus logs from). Cyrus
// adds "syserror=<…>" before it when errno happens to be set: we never do.
//
// cyrus: lib/util.c xsyslog_fn (3.6.1)
func (s *syncer) xsyslog(level slog.Level, desc, fn, format string, args ...any) {
	line := desc + ": "
	if format != "" {
		line += fmt.Sprintf(format, args...) + " "
	}
	if level != levelNotice && level != slog.LevelInfo {
		line += "func=<" + fn + ">"
	}
	s.log.Log(context.Background(), level, line)
}

// cString is how C's printf("%s") shows a string that may be NULL: an
// unset channel is "(null)" in Cyrus's lines.
func cString(s string) string {
	if s == "" {
		return "(null)"
	}
	return s
}
