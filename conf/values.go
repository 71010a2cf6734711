package conf

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cyrus-replication/cyrus-replication/internal/libc"
)

var (
	errNotInt      = errors.New("non-integer")
	errNotSwitch   = errors.New("non-switch")
	errBadDuration = errors.New("unparsable duration")
)

type badValueError struct{ value string }

func (e badValueError) Error() string { return "invalid value " + e.value }

// validate checks a value of a known option the way Cyrus version v does
// at load time.
func validate(v Version, opt *Option, value string) error {
	switch opt.Type {
	case TypeInt:
		_, err := parseInt(value)
		return err
	case TypeSwitch:
		_, err := parseSwitch(value)
		return err
	case TypeEnum, TypeStringList:
		v := value
		if opt.Type == TypeEnum {
			v = normalizeOnOff(v)
		}
		if !opt.legal(v) {
			return badValueError{v}
		}
	case TypeBitfield:
		for _, v := range strings.FieldsFunc(value, libc.IsSpaceRune) {
			if !opt.legal(v) {
				return badValueError{v}
			}
		}
	case TypeDuration:
		// 3.10 refuses a '-' without digits, which 3.6 reads as 0.
		// cyrus: lib/libconfig.c config_parseduration (3.10.2)
		if v.AtLeast(V3_10) && value == "-" {
			return errBadDuration
		}
		if _, err := ParseDuration(value, 's'); err != nil {
			return err
		}
	case TypeByteSize:
		if _, err := ParseByteSize(value, 0); err != nil {
			return err
		}
	}
	return nil
}

// legal reports whether v is one of the option's listed values; Cyrus lists
// aliases as "name=alias".
func (o *Option) legal(v string) bool {
	for _, names := range o.Values {
		for _, n := range strings.Split(names, "=") {
			if n == v {
				return true
			}
		}
	}
	return false
}

// canonical maps an alias to the first name of its value.
func (o *Option) canonical(v string) string {
	for _, names := range o.Values {
		alts := strings.Split(names, "=")
		for _, n := range alts {
			if n == v {
				return alts[0]
			}
		}
	}
	return v
}

func lineErrorFor(file string, lineno int, opt *Option, value string, err error) error {
	switch e := err.(type) {
	case badValueError:
		return lineError(file, lineno, opt.Name, "invalid value '%s' for %s in line %d", e.value, opt.Name, lineno)
	}
	if errors.Is(err, errBadByteSize) {
		return lineError(file, lineno, opt.Name, "unparsable byte size '%s' for %s in line %d", value, opt.Name, lineno)
	}
	switch err {
	case errNotInt:
		return lineError(file, lineno, opt.Name, "non-integer value for %s in line %d", opt.Name, lineno)
	case errNotSwitch:
		return lineError(file, lineno, opt.Name, "non-switch value for %s in line %d", opt.Name, lineno)
	}
	return lineError(file, lineno, opt.Name, "unparsable duration '%s' for %s in line %d", value, opt.Name, lineno)
}

// normalizeOnOff is what Cyrus does to an ENUM value before matching it.
func normalizeOnOff(v string) string {
	switch v {
	case "1", "yes", "t", "true":
		return "on"
	case "0", "no", "f", "false":
		return "off"
	}
	return v
}

// parseSwitch reads a SWITCH value: only the first one or two characters
// count, and case matters ("Yes" is an error, "yeah" is true).
//
// cyrus: lib/libconfig.c config_parse_switch (3.6.1)
func parseSwitch(p string) (bool, error) {
	at := func(i int) byte {
		if i < len(p) {
			return p[i]
		}
		return 0
	}
	switch c := at(0); {
	case c == '0' || c == 'n' || c == 'f' || c == 'o' && at(1) == 'f':
		return false, nil
	case c == '1' || c == 'y' || c == 't' || c == 'o' && at(1) == 'n':
		return true, nil
	}
	return false, errNotSwitch
}

// parseInt is strtol(value, &end, 0) that must consume the whole value:
// "0x10" is 16, "010" is 8; out-of-range values clamp as strtol does.
func parseInt(s string) (int64, error) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	switch {
	case i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && hexDigit(s[i+2]) >= 0:
		base, i = 16, i+2
	case i < len(s) && s[i] == '0':
		base = 8
	}
	digits := 0
	var v uint64
	overflow := false
	for ; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 || uint64(d) >= base {
			return 0, errNotInt
		}
		digits++
		if v > (math.MaxUint64-uint64(d))/base {
			overflow = true
		}
		v = v*base + uint64(d)
	}
	if digits == 0 {
		return 0, errNotInt
	}
	switch {
	case !neg && (overflow || v > math.MaxInt64):
		return math.MaxInt64, nil
	case neg && (overflow || v > 1<<63):
		return math.MinInt64, nil
	case neg:
		return -int64(v), nil
	}
	return int64(v), nil
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// ParseDuration reads a Cyrus duration: an optional '-', then groups of
// digits each followed by a unit d, h, m or s; a final bare number takes
// defaultUnit. "90" with unit 's' is 90s, "1h30m" is 5400s. No spaces.
//
// cyrus: lib/libconfig.c config_parseduration (3.6.1)
func ParseDuration(s string, defaultUnit byte) (time.Duration, error) {
	if defaultUnit == 0 {
		defaultUnit = 's'
	}
	if len(s) > 0 && s[len(s)-1] >= '0' && s[len(s)-1] <= '9' {
		s += string(defaultUnit)
	}
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	var total, accum int64
	sawDigit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			accum = accum*10 + int64(c-'0')
			sawDigit = true
			if accum > math.MaxInt32 {
				return 0, fmt.Errorf("%w: %q is too large", errBadDuration, s)
			}
			continue
		}
		if !sawDigit {
			return 0, errBadDuration
		}
		sawDigit = false
		switch c {
		case 'd':
			accum *= 86400
		case 'h':
			accum *= 3600
		case 'm':
			accum *= 60
		case 's':
		default:
			return 0, errBadDuration
		}
		total += accum
		accum = 0
		if total > math.MaxInt32 {
			return 0, fmt.Errorf("%w: %q is too large", errBadDuration, s)
		}
	}
	if neg {
		total = -total
	}
	return time.Duration(total) * time.Second, nil
}
