// Package cyrus does for every applet what Cyrus's cyrus_init does for every
// Cyrus program: read imapd.conf, become the Cyrus user when started as
// root, set the umask and open syslog under the program's ident.
package cyrus

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// Exit statuses of <sysexits.h> that Cyrus programs use.
const (
	ExitUsage    = 64 // EX_USAGE
	ExitSoftware = 70 // EX_SOFTWARE
	ExitIOErr    = 74 // EX_IOERR
	ExitTempFail = 75 // EX_TEMPFAIL
	ExitConfig   = 78 // EX_CONFIG
)

// Fatal is an error that ends the program with Code.
type Fatal struct {
	// Msg is the message, in Cyrus's words.
	Msg string
	// Code is the exit status.
	Code int
}

func (f *Fatal) Error() string { return f.Msg }

// Options says how to initialise.
type Options struct {
	// ConfigPath is -C (empty: conf.DefaultPath).
	ConfigPath string
	// Ident is the syslog ident and the <ident>_ option prefix.
	Ident string
	// Need is what the program needs of the configuration.
	Need conf.Need
	// Stderr receives LOG_PERROR-style copies of log lines, if not nil.
	Stderr io.Writer
}

// Env is what an initialised applet works with.
type Env struct {
	// Config is the loaded imapd.conf.
	Config *conf.Config
	// Log writes to syslog under the program's ident.
	Log *slog.Logger
	// Version is the Cyrus followed (also Config.Version) and how it was
	// found.
	Version VersionSource
	// closeLog closes the syslog connection.
	closeLog func()
}

// Close releases the syslog connection.
func (e *Env) Close() {
	if e.closeLog != nil {
		e.closeLog()
	}
}

// Init loads the configuration and prepares the process.
//
// cyrus: imap/global.c cyrus_init (3.6.1)
func Init(o Options) (*Env, error) {
	ver, err := DetectVersion()
	if err != nil {
		return nil, &Fatal{Msg: err.Error(), Code: ExitConfig}
	}
	cfg, err := conf.LoadVersion(o.ConfigPath, o.Ident, o.Need, ver.Version)
	if err != nil {
		return nil, &Fatal{Msg: err.Error(), Code: ExitConfig}
	}
	if os.Geteuid() == 0 {
		if err := becomeCyrus(cfg); err != nil {
			return nil, &Fatal{Msg: "must run as the Cyrus user", Code: ExitUsage}
		}
	}
	syscall.Umask(cfg.Umask())
	logger, closeLog := openSyslog(cfg, o.Ident, o.Stderr)
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}
	return &Env{Config: cfg, Log: logger, Version: ver, closeLog: closeLog}, nil
}

// becomeCyrus switches to cyrus_user and cyrus_group (with the user's
// supplementary groups), as Cyrus's become_cyrus does, so that files we
// create (sync logs above all) belong to the Cyrus user.
//
// cyrus: lib/util.c become_cyrus (3.6.1)
func becomeCyrus(cfg *conf.Config) error {
	u, err := user.Lookup(cfg.CyrusUser())
	if err != nil {
		return fmt.Errorf("no entry in /etc/passwd for user %s", cfg.CyrusUser())
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if g := cfg.CyrusGroup(); g != "" {
		grp, err := user.LookupGroup(g)
		if err != nil {
			return fmt.Errorf("no entry in /etc/group for group %s", g)
		}
		gid, _ = strconv.Atoi(grp.Gid)
	}
	groups := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if n, err := strconv.Atoi(s); err == nil && n != gid {
				groups = append(groups, n)
			}
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("unable to initialize groups for user %s: %w", u.Username, err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("unable to set group id to %d for user %s: %w", gid, u.Username, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("unable to set user id to %d: %w", uid, err)
	}
	return nil
}

// ExitCode maps an error returned by an applet to its exit status.
func ExitCode(err error) int {
	var f *Fatal
	if errors.As(err, &f) {
		return f.Code
	}
	if err != nil {
		return ExitSoftware
	}
	return 0
}
