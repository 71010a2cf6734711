package cyruslog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"slices"
	"strings"
	"sync"
)

// Options says where a Handler sends its lines.
type Options struct {
	// Tag is the ident, as given to openlog(3) ("cyrus/sync_client").
	Tag string
	// Facility is the syslog facility (syslog.LOG_MAIL …).
	Facility syslog.Priority
	// Debug enables LOG_DEBUG lines (imapd.conf's debug).
	Debug bool
	// Stderr receives a copy of each line, as with openlog's LOG_PERROR,
	// if not nil.
	Stderr io.Writer
	// Network and Addr name the syslog socket, as syslog.Dial takes them;
	// empty: the local syslog (/dev/log …), as openlog(3).
	Network, Addr string
}

// Handler is an slog.Handler writing one syslog line per record, formed
// as the package documentation says. The connection is opened at the
// first line; without a syslog socket the lines are dropped, as with
// syslog(3).
type Handler struct {
	out *output
	// errs are the error attributes given to WithAttrs, as they are
	// written ("key=<text>").
	errs []string
}

// output is what a Handler and those derived from it by WithAttrs share.
type output struct {
	o  Options
	mu sync.Mutex
	w  *syslog.Writer
	// tried tells whether dialing was attempted already.
	tried bool
}

// NewHandler returns a Handler writing as o says.
func NewHandler(o Options) *Handler {
	return &Handler{out: &output{o: o}}
}

// Enabled reports all levels but LOG_DEBUG, which needs Options.Debug.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	return l > LevelDebug || h.out.o.Debug
}

// Handle writes r's line.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	line := h.line(r)
	o := h.out
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.o.Stderr != nil {
		fmt.Fprintf(o.o.Stderr, "%s\n", line)
	}
	if !o.tried {
		o.tried = true
		if o.o.Network == "" {
			o.w, _ = syslog.New(o.o.Facility|syslog.LOG_INFO, o.o.Tag)
		} else {
			o.w, _ = syslog.Dial(o.o.Network, o.o.Addr, o.o.Facility|syslog.LOG_INFO, o.o.Tag)
		}
	}
	if o.w == nil {
		return nil
	}
	switch Severity(r.Level) {
	case syslog.LOG_EMERG:
		return o.w.Emerg(line)
	case syslog.LOG_ALERT:
		return o.w.Alert(line)
	case syslog.LOG_CRIT:
		return o.w.Crit(line)
	case syslog.LOG_ERR:
		return o.w.Err(line)
	case syslog.LOG_WARNING:
		return o.w.Warning(line)
	case syslog.LOG_NOTICE:
		return o.w.Notice(line)
	case syslog.LOG_INFO:
		return o.w.Info(line)
	}
	return o.w.Debug(line)
}

// WithAttrs keeps the error attributes among as (the others never reach
// the line).
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	errs := appendErrors(append([]string(nil), h.errs...), as)
	if len(errs) == len(h.errs) {
		return h
	}
	return &Handler{out: h.out, errs: errs}
}

// WithGroup returns h: groups are flattened on the line.
func (h *Handler) WithGroup(string) slog.Handler { return h }

// Close closes the syslog connection; a later line opens it again.
func (h *Handler) Close() error {
	o := h.out
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tried = false
	if o.w == nil {
		return nil
	}
	err := o.w.Close()
	o.w = nil
	return err
}

// Line is the syslog line of r, as a Handler writes it (attributes given
// to Logger.With aside): for handlers that record or show Cyrus's lines
// elsewhere, such as tests.
func Line(r slog.Record) string { return (&Handler{}).line(r) }

// line is r as the syslog line reads.
func (h *Handler) line(r slog.Record) string {
	msg := strings.TrimRight(r.Message, "\n")
	var x *slog.Attr
	var rest []slog.Attr
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == xsyslogKey && a.Value.Kind() == slog.KindGroup && x == nil {
			x = &a
		} else {
			rest = append(rest, a)
		}
		return true
	})
	// Clipped: concurrent records must not append into h.errs's array.
	errs := appendErrors(slices.Clip(h.errs), rest)
	if x == nil {
		if len(errs) == 0 {
			return msg
		}
		return msg + " " + strings.Join(errs, " ")
	}
	return xsyslogLine(r.Level, msg, x.Value.Group(), errs)
}

// appendErrors appends to errs the error attributes among as, and among
// their groups, as "key=<text>".
func appendErrors(errs []string, as []slog.Attr) []string {
	for _, a := range as {
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			errs = appendErrors(errs, v.Group())
			continue
		}
		if t, ok := errorText(a.Key, v); ok {
			errs = append(errs, field(a.Key, t))
		}
	}
	return errs
}

// errorText is the text of an error attribute; ok is false for other
// attributes and for a nil error.
func errorText(key string, v slog.Value) (string, bool) {
	if v.Kind() == slog.KindAny {
		switch e := v.Any().(type) {
		case nil:
			return "", false
		case error:
			return e.Error(), true
		}
	}
	if key != "error" {
		return "", false
	}
	return v.String(), true
}

// field is Cyrus's "key=<value>".
func field(key, value string) string { return key + "=<" + value + ">" }
