package cyrus

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"strings"
	"sync"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// LevelNotice is syslog's LOG_NOTICE, between Info and Warn; Cyrus uses it
// for lines such as "Reprocessing sync log file".
const LevelNotice = slog.Level(2)

var facilities = map[string]syslog.Priority{
	"KERN": syslog.LOG_KERN, "USER": syslog.LOG_USER, "MAIL": syslog.LOG_MAIL,
	"DAEMON": syslog.LOG_DAEMON, "AUTH": syslog.LOG_AUTH, "SYSLOG": syslog.LOG_SYSLOG,
	"LPR": syslog.LOG_LPR, "NEWS": syslog.LOG_NEWS, "UUCP": syslog.LOG_UUCP,
	"CRON": syslog.LOG_CRON, "AUTHPRIV": syslog.LOG_AUTHPRIV, "FTP": syslog.LOG_FTP,
	"LOCAL0": syslog.LOG_LOCAL0, "LOCAL1": syslog.LOG_LOCAL1, "LOCAL2": syslog.LOG_LOCAL2,
	"LOCAL3": syslog.LOG_LOCAL3, "LOCAL4": syslog.LOG_LOCAL4, "LOCAL5": syslog.LOG_LOCAL5,
	"LOCAL6": syslog.LOG_LOCAL6, "LOCAL7": syslog.LOG_LOCAL7,
}

// Build-time defaults, as Debian builds Cyrus 3.6: without syslog_prefix
// its programs log as "cyrus/<program>", to the MAIL facility (upstream's
// defaults are no prefix and LOCAL6). A package for another system sets
// them with -ldflags "-X .../applets/cyrus.DefaultSyslogPrefix=".
var (
	DefaultSyslogPrefix   = "cyrus"
	DefaultSyslogFacility = "MAIL"
)

// openSyslog opens syslog as Cyrus does: ident "<prefix>/<ident>" where the
// prefix is $CYRUS_SYSLOG_PREFIX, syslog_prefix or DefaultSyslogPrefix;
// facility syslog_facility or DefaultSyslogFacility; LOG_DEBUG only with
// debug on. Without a syslog socket the lines are dropped, as with
// openlog(3).
func openSyslog(cfg *conf.Config, ident string, stderr io.Writer) (*slog.Logger, func()) {
	// Cyrus opens syslog before reading the configuration (with the
	// environment's or the build's prefix), then reopens it when
	// syslog_prefix or syslog_facility is set: with the configured prefix,
	// or none — seen on Debian's 3.6.1.
	prefix, hasPrefix := cfg.SyslogPrefix()
	_, hasFacility := cfg.SyslogFacility()
	tag := ident
	switch env := os.Getenv("CYRUS_SYSLOG_PREFIX"); {
	case env != "":
		tag = env + "/" + ident
	case hasPrefix:
		tag = prefix + "/" + ident
	case hasFacility:
		tag = ident
	case DefaultSyslogPrefix != "":
		tag = DefaultSyslogPrefix + "/" + ident
	}
	facility := facilities[DefaultSyslogFacility]
	if f, ok := cfg.SyslogFacility(); ok {
		if p, ok := facilities[strings.ToUpper(f)]; ok {
			facility = p
		}
	}
	h := &syslogHandler{tag: tag, facility: facility, debug: cfg.Debug(), stderr: stderr, mu: new(sync.Mutex)}
	return slog.New(h), h.close
}

// syslogHandler sends each record's message, Cyrus's wording, to syslog.
// Attributes (user, mailbox, channel, command) are for our own outputs and
// not added to the syslog line, which must read as Cyrus's does.
type syslogHandler struct {
	tag      string
	facility syslog.Priority
	debug    bool
	stderr   io.Writer

	mu *sync.Mutex
	w  *syslog.Writer
	// tried tells whether dialing was attempted already.
	tried bool
}

func (h *syslogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l > slog.LevelDebug || h.debug
}

func (h *syslogHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.tried {
		h.tried = true
		h.w, _ = syslog.New(h.facility|syslog.LOG_INFO, h.tag)
	}
	msg := strings.TrimRight(r.Message, "\n")
	if h.stderr != nil {
		fmt.Fprintf(h.stderr, "%s\n", msg)
	}
	if h.w == nil {
		return nil
	}
	switch {
	case r.Level >= slog.LevelError:
		return h.w.Err(msg)
	case r.Level >= slog.LevelWarn:
		return h.w.Warning(msg)
	case r.Level >= LevelNotice:
		return h.w.Notice(msg)
	case r.Level >= slog.LevelInfo:
		return h.w.Info(msg)
	}
	return h.w.Debug(msg)
}

func (h *syslogHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *syslogHandler) WithGroup(string) slog.Handler      { return h }

func (h *syslogHandler) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.w != nil {
		h.w.Close()
		h.w = nil
	}
}
