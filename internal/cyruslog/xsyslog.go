package cyruslog

import (
	"context"
	"log/slog"
	"log/syslog"
	"strings"
)

// xsyslogKey is the group attribute that makes a record an xsyslog line:
// its fields in order, then funcKey. Structured outputs see the same
// group ({"xsyslog": {"mailbox": …, "func": …}}).
const (
	xsyslogKey = "xsyslog"
	funcKey    = "func"
)

// Xsyslog logs one of Cyrus's xsyslog() lines: desc is Cyrus's
// description ("IOERROR: mailbox open failed"), fn the C function Cyrus
// logs it from ("find_reserve_all"), fields the key=<value> pairs in
// Cyrus's order, as slog's key-value arguments (or slog.Attr). The line
// reads
//
//	DESC: key=<value> key=<value> func=<fn>
//
// with func=<fn> only at severities other than LOG_NOTICE and LOG_INFO
// and, when there are no fields, "DESC: " alone at those two. Values are
// written as slog.Value.String shows them (an error by its Error text).
// Cyrus adds "syserror=<…>" before func=<…> whenever errno happens to be
// set, often by an unrelated earlier call: we never do.
//
// cyrus: lib/util.c xsyslog_fn (3.6.1)
func Xsyslog(l *slog.Logger, level slog.Level, desc, fn string, fields ...any) {
	ctx := context.Background()
	if !l.Enabled(ctx, level) {
		return
	}
	var r slog.Record
	r.Add(fields...)
	as := make([]slog.Attr, 0, r.NumAttrs()+1)
	r.Attrs(func(a slog.Attr) bool {
		as = append(as, a)
		return true
	})
	as = append(as, slog.String(funcKey, fn))
	l.LogAttrs(ctx, level, desc, slog.Attr{Key: xsyslogKey, Value: slog.GroupValue(as...)})
}

// xsyslogLine writes an xsyslog record: fields, then the error attributes
// from outside the group (errs, already "key=<text>"), then func=<fn>.
func xsyslogLine(level slog.Level, desc string, group []slog.Attr, errs []string) string {
	var b strings.Builder
	b.WriteString(desc)
	b.WriteString(": ")
	fn := ""
	for _, a := range group {
		if a.Key == funcKey {
			fn = a.Value.String()
			continue
		}
		b.WriteString(field(a.Key, a.Value.Resolve().String()))
		b.WriteByte(' ')
	}
	for _, e := range errs {
		b.WriteString(e)
		b.WriteByte(' ')
	}
	if s := Severity(level); s != syslog.LOG_NOTICE && s != syslog.LOG_INFO {
		b.WriteString(field(funcKey, fn))
	}
	return b.String()
}
