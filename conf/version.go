package conf

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is the Cyrus release line whose behaviour is followed: the
// option table imapd.conf is read with, and (through the applets) the
// command lines, wire and spool formats of that Cyrus. Only the lines
// Supported lists can be followed.
type Version struct{ Major, Minor int }

// The Cyrus release lines we follow.
var (
	V3_6  = Version{3, 6}
	V3_10 = Version{3, 10}
)

// Supported lists the release lines we can follow, oldest first.
var Supported = []Version{V3_6, V3_10}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// AtLeast reports whether v is o or later.
func (v Version) AtLeast(o Version) bool {
	return v.Major > o.Major || v.Major == o.Major && v.Minor >= o.Minor
}

// IsSupported reports whether v is one of Supported.
func (v Version) IsSupported() bool {
	for _, s := range Supported {
		if v == s {
			return true
		}
	}
	return false
}

// ParseVersion reads a Cyrus version: "3.10", "3.10.2", or what
// `cyr_info version` prints ("cyrus-imapd 3.10.2-Debian-3.10.2-1").
func ParseVersion(s string) (Version, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "cyrus-imapd")
	t = strings.TrimLeft(t, " -")
	major, rest, ok := strings.Cut(t, ".")
	if !ok {
		return Version{}, fmt.Errorf("not a Cyrus version: %q", s)
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(rest[:end])
	if err1 != nil || err2 != nil || end == 0 {
		return Version{}, fmt.Errorf("not a Cyrus version: %q", s)
	}
	return Version{ma, mi}, nil
}
