// Package pwcheck checks the passwords of PLAIN and LOGIN logins to
// sync_server exactly as Cyrus 3.6's sync_server does through Cyrus SASL
// 2.1.28 on Debian: the password verifiers of sasl_pwcheck_method in turn
// (auxprop with the sasldb plugin, saslauthd, authdaemond, alwaystrue),
// userids canonicalised by Cyrus's rules, the realm of a userid without
// "@realm" being servername. It reads sasldb2 files (Berkeley DB hash
// databases) itself, without cgo and without locks, as libsasl does.
//
// Once the password is right, Cyrus's cross-realm rule (loginrealms)
// applies too; authorisation of an authzid is left to the session.
//
// Not done: options for plugins other than sasldb (an error at New), the
// writing of sasl_auto_transition (a warning: libsasl ignores its outcome
// too), and sasl_log_level above 1 only adds the alwaystrue notice.
package pwcheck

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// Service is the SASL service name Cyrus's sync_server registers.
const Service = "csync"

// Defaults compiled into Debian's libsasl2 and sasldb plugin.
var (
	DefaultSasldbPath      = "/etc/sasldb2"
	DefaultSaslauthdPath   = "/var/run/saslauthd/mux"
	DefaultAuthdaemondPath = "/dev/null"
)

// verifiers are libsasl's password verifiers in Debian's build (pwcheck
// is not compiled in), in the order of checkpw.c's table.
var verifiers = []string{"auxprop", "saslauthd", "authdaemond", "alwaystrue"}

// syslog levels of libsasl's messages (SASL_LOG_ERR, SASL_LOG_WARN).
const (
	saslLogErr  = 1
	saslLogWarn = 3
)

// Checker checks passwords; it implements protocol.Authenticator. Its
// settings are read once, as Cyrus reads imapd.conf and libsasl its file
// once per process; the password stores are read at every check.
type Checker struct {
	// Logger receives what libsasl would syslog (facility LOG_AUTH);
	// nil discards it.
	Logger *slog.Logger
	// Warnings are notes about the configuration, for the log at start.
	Warnings []string

	serverFQDN      string
	methodList      string   // pwcheck_method as set
	methods         []string // its tokens, "" for one no verifier matches
	sasldbPath      string
	saslauthdPath   string
	authdaemondPath string
	logLevel        int
	canon           canonCfg
	loginRealms     string
}

// New reads the SASL settings Cyrus's sync_server would use with cfg.
func New(cfg *conf.Config) (*Checker, error) {
	o, err := loadSASLOptions(cfg)
	if err != nil {
		return nil, err
	}
	c := &Checker{
		serverFQDN:      cfg.ServerName(),
		methodList:      "auxprop",
		sasldbPath:      DefaultSasldbPath,
		saslauthdPath:   DefaultSaslauthdPath,
		authdaemondPath: DefaultAuthdaemondPath,
		logLevel:        saslLogErr,
	}
	if v, _, ok := o.get("pwcheck_method"); ok {
		c.methodList = v
	}
	c.methods = parseMethods(c.methodList)
	if v, _, ok := o.get("sasldb_path"); ok {
		c.sasldbPath = v
	}
	if v, _, ok := o.get("saslauthd_path"); ok {
		c.saslauthdPath = v
	}
	if v, _, ok := o.get("authdaemond_path"); ok {
		c.authdaemondPath = v
	}
	if v, _, ok := o.get("log_level"); ok {
		c.logLevel = cAtoi(v)
	}
	uses := func(m string) bool {
		for _, x := range c.methods {
			if x == m {
				return true
			}
		}
		return false
	}
	if v, from, ok := o.get("auxprop_plugin"); ok && uses("auxprop") {
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r < 0x80 && isCSpace(byte(r)) }) {
			if !strings.EqualFold(p, "sasldb") {
				return nil, fmt.Errorf("%s: auxprop_plugin %q: only the sasldb plugin is supported", from, p)
			}
		}
	}
	if v, from, ok := o.get("canon_user_plugin"); ok && v != "INTERNAL" {
		return nil, fmt.Errorf("%s: canon_user_plugin %q: only INTERNAL is supported", from, v)
	}
	if v, from, ok := o.get("auto_transition"); ok && transitionOn(v) {
		c.Warnings = append(c.Warnings, fmt.Sprintf(
			"%s: auto_transition %q: passwords verified by saslauthd or authdaemond are not copied into the sasldb", from, v))
	}
	if am, _ := cfg.String("auth_mech"); am != "unix" {
		return nil, fmt.Errorf("%s: auth_mech %q: only unix is supported", cfg.Path, am)
	}
	c.canon.virtdomains = cfg.VirtDomains()
	c.canon.defdomain, c.canon.hasDefdom = cfg.DefaultDomain()
	c.canon.tolower = cfg.Switch("username_tolower")
	c.loginRealms, _ = cfg.String("loginrealms")
	return c, nil
}

// parseMethods splits pwcheck_method as _sasl_checkpass walks it: a
// verifier's name matches case-insensitively when a NUL, space or tab
// follows it; tokens end at any white space.
func parseMethods(list string) []string {
	var out []string
	for s := list; s != ""; {
		if !isCSpace(s[0]) {
			m := ""
			for _, v := range verifiers {
				if len(s) >= len(v) && strings.EqualFold(s[:len(v)], v) &&
					(len(s) == len(v) || s[len(v)] == ' ' || s[len(v)] == '\t') {
					m = v
				}
			}
			out = append(out, m)
		}
		for s != "" && !isCSpace(s[0]) {
			s = s[1:]
		}
		s = strings.TrimLeft(s, cSpace)
	}
	return out
}

// transitionOn is _sasl_transition's reading of auto_transition.
func transitionOn(v string) bool {
	return v == "noplain" || v != "" && (v[0] == '1' || v[0] == 'y' || v[0] == 't' || strings.HasPrefix(v, "on"))
}

// cAtoi is C's atoi.
func cAtoi(s string) int {
	s = strings.TrimLeft(s, cSpace)
	end := 0
	if end < len(s) && (s[end] == '+' || s[end] == '-') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

// CheckPassword implements protocol.Authenticator. authzid is not
// looked at: the session authorises it.
func (c *Checker) CheckPassword(ctx context.Context, authzid, authcid, password string) error {
	_, err := c.Check(ctx, authcid, password)
	return err
}

// Check verifies authcid's password as PLAIN or LOGIN do in Cyrus's
// sync_server and returns the canonical userid. A refusal is an *Error.
//
// libsasl: plugins/plain.c plain_server_mech_step, lib/server.c
// _sasl_checkpass (2.1.28)
func (c *Checker) Check(ctx context.Context, authcid, password string) (string, error) {
	user, e := c.canon.canon(ctx, authcid)
	if e != nil {
		e.why = fmt.Sprintf("userid %q: %s", authcid, e.why)
		return "", e
	}
	pass := cString(password)
	result := NoMech
	var whys []string
	var cause error
	for _, m := range c.methods {
		var err *Error
		switch m {
		case "":
			continue
		case "auxprop":
			var canon string
			if canon, err = c.auxprop(ctx, user, pass); err == nil {
				user = canon // libsasl's authid is now this one
			}
		case "saslauthd":
			err = c.saslauthd(ctx, user, pass)
		case "authdaemond":
			err = c.authdaemond(ctx, user, pass)
		case "alwaystrue":
			c.log(ctx, saslLogWarn, "AlwaysTrue Password Verifier Verified: "+user)
		}
		if err == nil {
			return user, c.crossRealm(user)
		}
		result = err.Code
		whys = append(whys, m+": "+err.why)
		if err.err != nil {
			cause = err.err
		}
	}
	if result == NoMech {
		c.log(ctx, saslLogErr, "unknown password verifier(s) "+c.methodList)
		whys = append(whys, fmt.Sprintf("no known password verifier in %q", c.methodList))
	}
	return "", &Error{Code: result, Detail: checkpassFailed,
		why: fmt.Sprintf("userid %q: %s", user, strings.Join(whys, "; ")), err: cause}
}

// log passes on a libsasl message at or under sasl_log_level.
func (c *Checker) log(ctx context.Context, level int, msg string) {
	if c.Logger == nil || level > c.logLevel {
		return
	}
	l := cyruslog.LevelErr
	if level == saslLogWarn {
		l = cyruslog.LevelWarning
	}
	c.Logger.Log(ctx, l, msg)
}
