package cyrus

import (
	"io"
	"log/slog"
	"os"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

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
// openlog(3). What reaches a line is cyruslog's rule.
//
// cyrus: imap/global.c cyrus_init (3.6.1)
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
	facility, _ := cyruslog.Facility(DefaultSyslogFacility)
	if f, ok := cfg.SyslogFacility(); ok {
		if p, ok := cyruslog.Facility(f); ok {
			facility = p
		}
	}
	h := cyruslog.NewHandler(cyruslog.Options{Tag: tag, Facility: facility, Debug: cfg.Debug(), Stderr: stderr})
	return slog.New(h), func() { h.Close() }
}
