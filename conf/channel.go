package conf

import (
	"os"
	"time"

	"github.com/cyrus-replication/cyrus-replication/internal/libc"
)

var (
	osHostname = os.Hostname
	osGetenv   = os.Getenv
)

// Channel gives the sync options that sync_client reads per channel: for
// `-n <name>` each is looked up first as the unknown key "<name>_<option>",
// then as the global option. The default channel (no -n) is "".
//
// cyrus: imap/sync_support.c sync_get_config and friends (3.6.1)
type Channel struct {
	c    *Config
	name string
}

// Channel returns the options of channel name ("" for the default one). The
// name is used as typed: keys are lower-cased when read, so a name with
// upper-case letters never matches a prefixed key — as in Cyrus.
func (c *Config) Channel(name string) Channel { return Channel{c: c, name: name} }

// Name is the channel's name, "" for the default channel.
func (ch Channel) Name() string { return ch.name }

// prefixed returns "<channel>_<option>" if set.
func (ch Channel) prefixed(option string) (string, bool) {
	if ch.name == "" {
		return "", false
	}
	return ch.c.Overflow(ch.name + "_" + option)
}

func (ch Channel) stringOpt(option string) (string, bool) {
	if v, ok := ch.prefixed(option); ok {
		return v, true
	}
	return ch.c.String(option)
}

// Host is sync_host: "host", "host:port", "host:port/tls", "/path" ...
func (ch Channel) Host() (string, bool) { return ch.stringOpt("sync_host") }

// Port is sync_port.
func (ch Channel) Port() (string, bool) { return ch.stringOpt("sync_port") }

// AuthName is sync_authname.
func (ch Channel) AuthName() (string, bool) { return ch.stringOpt("sync_authname") }

// Password is sync_password.
func (ch Channel) Password() (string, bool) { return ch.stringOpt("sync_password") }

// Realm is sync_realm.
func (ch Channel) Realm() (string, bool) { return ch.stringOpt("sync_realm") }

// ShutdownFile is sync_shutdown_file.
func (ch Channel) ShutdownFile() (string, bool) { return ch.stringOpt("sync_shutdown_file") }

// CacheDBPath is sync_cache_db_path. A prefixed value is not
// {configdirectory}-substituted (Cyrus substitutes only known options).
func (ch Channel) CacheDBPath() (string, bool) { return ch.stringOpt("sync_cache_db_path") }

// RepeatInterval is sync_repeat_interval; an unparsable prefixed value
// silently falls back to the global one, as in Cyrus.
func (ch Channel) RepeatInterval() time.Duration {
	if v, ok := ch.prefixed("sync_repeat_interval"); ok {
		if d, err := ParseDuration(v, 's'); err == nil {
			return d
		}
	}
	return ch.c.Duration("sync_repeat_interval", 's')
}

// TryIMAP is sync_try_imap. A prefixed value is read with atoi(), so
// "<channel>_sync_try_imap: yes" means false — Cyrus's quirk, kept so that a
// configuration means the same to both. See TryIMAPQuirk.
func (ch Channel) TryIMAP() bool {
	if v, ok := ch.prefixed("sync_try_imap"); ok {
		return libc.Atoi(v) != 0
	}
	return ch.c.Switch("sync_try_imap")
}

// TryIMAPQuirk reports a prefixed sync_try_imap whose atoi() reading differs
// from its reading as a switch, so that callers can warn about it.
func (ch Channel) TryIMAPQuirk() (value string, quirky bool) {
	v, ok := ch.prefixed("sync_try_imap")
	if !ok {
		return "", false
	}
	b, err := parseSwitch(v)
	return v, err == nil && b != (libc.Atoi(v) != 0)
}
