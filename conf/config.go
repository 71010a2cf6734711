// Package conf reads imapd.conf exactly as Cyrus IMAP 3.6 or 3.10 does
// (the option table of the Version loaded for) and offers typed accessors
// for every option the replication tools use.
//
// Cyrus's behaviour is kept, including its quirks, except where a quirk is
// listed under "Deliberate differences" below.
//
// Kept quirks:
//   - a SWITCH looks at its first one or two characters and is case-sensitive
//     ("yeah" is true, "Yes" is an error);
//   - an INT is strtol(base 0): "0x10" is 16 and "010" is 8;
//   - "<ident>_<option>" beats "<option>" whatever their order; a second
//     generic line after a service-specific one is silently ignored;
//   - {configdirectory} is substituted only at the start of known STRING
//     options, never in unknown ("overflow") keys;
//   - <channel>_sync_try_imap is read with atoi(): "yes" is false;
//   - a channel name with upper-case letters never matches a prefixed key;
//   - without defaultpartition, a tool that needs partition data starts even
//     with no partition-* key (checked on Cyrus 3.6.1: lib/libconfig.c
//     config_read skips the check while mupdate_config is "standard" and
//     proxyservers is unset, as on any server outside a murder).
//
// Deliberate differences:
//   - error texts name the configuration file where Cyrus's do not;
//   - a line with an empty key (": x") is an invalid option name; Cyrus 3.6
//     aborts on it (SIGABRT, seen on 3.6.1);
//   - a DURATION over 2^31-1 seconds is an error (Cyrus 3.6 overflows, 3.12
//     rejects it too).
package conf

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// Need says what a tool requires of the configuration beyond
// configdirectory.
type Need int

const (
	// NeedPartitionData makes Load fail unless the default partition (if
	// one is named) has a partition-<name> line; sync_client, sync_server
	// and squatter load with it.
	NeedPartitionData Need = 1 << iota
)

// Config is one loaded imapd.conf (with its @include files).
type Config struct {
	// Path is the file that was read.
	Path string
	// Ident is the process identity used for "<ident>_<option>" keys: the
	// program name, or the cyrus.conf service name for services.
	Ident string
	// Warnings are Cyrus's load-time warnings (deprecated options), which
	// callers send to syslog.
	Warnings []string
	// Version is the Cyrus whose option table the file was read with.
	Version Version

	tab      *table
	known    map[string]*setting
	overflow map[string]*setting
	dir      string
}

// Load reads path (DefaultPath if empty) for the process identity ident,
// as Cyrus 3.6 does. $CYRUS_PREFIX, when set, is tried as a prefix of
// every path first.
func Load(path, ident string, need Need) (*Config, error) {
	return LoadVersion(path, ident, need, V3_6)
}

// LoadVersion is Load as Cyrus version v reads the file (one of
// Supported).
//
// cyrus: lib/libconfig.c config_read (3.6.1, 3.10.2)
func LoadVersion(path, ident string, need Need, v Version) (*Config, error) {
	if path == "" {
		path = DefaultPath
	}
	tab := tables[v]
	if tab == nil {
		return nil, fmt.Errorf("conf: no option table for Cyrus %s", v)
	}
	r := &reader{
		tab:      tab,
		version:  v,
		ident:    ident,
		prefix:   os.Getenv("CYRUS_PREFIX"),
		known:    make(map[string]*setting),
		overflow: make(map[string]*setting),
		included: make(map[string]bool),
	}
	if err := r.readFile(path); err != nil {
		return nil, err
	}
	c := &Config{Path: path, Ident: ident, Version: v, tab: tab, known: r.known, overflow: r.overflow}
	dir := r.known["configdirectory"]
	if dir == nil {
		return nil, &Error{File: path, Option: "configdirectory",
			Text: fmt.Sprintf("configdirectory option not specified in configuration file %s", path)}
	}
	c.dir = dir.value
	c.applyDeprecations()
	if err := c.checkPartitions(need); err != nil {
		return nil, err
	}
	return c, nil
}

// applyDeprecations copies a deprecated option's value to its replacement
// unless that was set itself, and records Cyrus's warning.
func (c *Config) applyDeprecations() {
	for _, n := range c.tab.order {
		o := c.tab.options[n]
		if o.DeprecatedSince == "" || c.known[n] == nil {
			continue
		}
		if o.Preferred == "" {
			c.Warnings = append(c.Warnings, fmt.Sprintf("Option '%s' is deprecated in version %s.", n, o.DeprecatedSince))
			continue
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("Option '%s' is deprecated in favor of '%s' since version %s.",
			n, o.Preferred, o.DeprecatedSince))
		if _, set := c.known[o.Preferred]; set {
			continue
		}
		c.known[o.Preferred] = c.known[n]
		switch o.Type {
		case TypeString, TypeStringList, TypeDuration, TypeByteSize:
			// Cyrus moves the string to the new option, leaving NULL.
			c.known[n] = &setting{unset: true, file: c.known[n].file, line: c.known[n].line}
		}
	}
}

func (c *Config) checkPartitions(need Need) error {
	dp, ok := c.raw("defaultpartition")
	if ok {
		// Cyrus lower-cases it in place.
		if s := c.known["defaultpartition"]; s != nil {
			s.value = strings.ToLower(s.value)
		}
		for i := 0; i < len(dp); i++ {
			if !isAlnum(dp[i]) {
				return &Error{File: c.Path, Option: "defaultpartition",
					Text: fmt.Sprintf("defaultpartition option contains non-alnum character (configuration file %s)", c.Path)}
			}
		}
	}
	if need&NeedPartitionData == 0 || !ok {
		// Without defaultpartition Cyrus 3.6 takes the "no mupdate, no
		// proxyservers" branch and asks for nothing (seen on 3.6.1).
		return nil
	}
	if _, found := c.Overflow("partition-" + strings.ToLower(dp)); !found {
		return &Error{File: c.Path, Option: "defaultpartition", Text: fmt.Sprintf(
			"partition-%s option not specified in configuration file %s", strings.ToLower(dp), c.Path)}
	}
	return nil
}

// raw returns the text of a known option as set in the file, or its default.
func (c *Config) raw(name string) (string, bool) {
	o, ok := c.tab.options[name]
	if !ok {
		panic("conf: unknown option " + name)
	}
	if s := c.known[name]; s != nil {
		return s.value, !s.unset
	}
	return o.Default, o.HasDefault
}

// IsSet reports whether the file set a known option (generic or for this
// ident).
func (c *Config) IsSet(name string) bool { return c.known[name] != nil }

// Has reports whether name is an option of the Cyrus version the file
// was read as.
func (c *Config) Has(name string) bool { return c.tab.options[name] != nil }

// TypeOf is the type of a known option in the version read as.
func (c *Config) TypeOf(name string) (OptionType, bool) {
	if o := c.tab.options[name]; o != nil {
		return o.Type, true
	}
	return 0, false
}

// Where tells the file and line a known option was set on.
func (c *Config) Where(name string) (file string, line int, ok bool) {
	if s := c.known[name]; s != nil {
		return s.file, s.line, true
	}
	return "", 0, false
}

// String returns a STRING, STRINGLIST or ENUM option: its value (a leading
// {configdirectory} of a STRING replaced) and whether it is set at all
// (false for an unset option without default).
func (c *Config) String(name string) (string, bool) {
	v, ok := c.raw(name)
	if !ok {
		return "", false
	}
	switch o := c.tab.options[name]; o.Type {
	case TypeString:
		if name != "configdirectory" && len(v) >= 17 && strings.EqualFold(v[:17], "{configdirectory}") {
			v = c.dir + v[17:]
		}
	case TypeEnum:
		v = o.canonical(normalizeOnOff(v))
	case TypeStringList:
		v = o.canonical(v)
	default:
		panic(fmt.Sprintf("conf: option %s is %v, not a string", name, o.Type))
	}
	return v, true
}

// Int returns an INT option.
func (c *Config) Int(name string) int64 {
	c.mustBe(name, TypeInt)
	v, _ := c.raw(name)
	n, _ := parseInt(v) // validated at load; the table's defaults are numbers
	return n
}

// Switch returns a SWITCH option.
func (c *Config) Switch(name string) bool {
	c.mustBe(name, TypeSwitch)
	v, _ := c.raw(name)
	b, _ := parseSwitch(v)
	return b
}

// Duration returns a DURATION option, reading a bare number in unit (one
// of 'd', 'h', 'm', 's'), as the caller in Cyrus does; 0 if unset.
func (c *Config) Duration(name string, unit byte) time.Duration {
	c.mustBe(name, TypeDuration)
	v, ok := c.raw(name)
	if !ok {
		return 0
	}
	d, _ := ParseDuration(v, unit)
	return d
}

// Bitfield returns the names set in a BITFIELD option.
func (c *Config) Bitfield(name string) []string {
	c.mustBe(name, TypeBitfield)
	v, _ := c.raw(name)
	var out []string
	for _, f := range strings.Fields(v) {
		out = append(out, c.tab.options[name].canonical(f))
	}
	return out
}

func (c *Config) mustBe(name string, t OptionType) {
	o, ok := c.tab.options[name]
	if !ok || o.Type != t {
		panic(fmt.Sprintf("conf: option %s is not %v", name, t))
	}
}

// Overflow looks up a key that is not a known option (partition-<name>,
// <channel>_sync_host, sasl_*...): first "<ident>_<key>", then "<key>".
//
// cyrus: lib/libconfig.c config_getoverflowstring (3.6.1)
func (c *Config) Overflow(key string) (string, bool) {
	if c.Ident != "" {
		if s := c.overflow[strings.ToLower(c.Ident+"_"+key)]; s != nil {
			return s.value, true
		}
	}
	if s := c.overflow[key]; s != nil {
		return s.value, true
	}
	return "", false
}

// OverflowKeys lists every unknown key read, sorted.
func (c *Config) OverflowKeys() []string {
	keys := make([]string, 0, len(c.overflow))
	for k := range c.overflow {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
