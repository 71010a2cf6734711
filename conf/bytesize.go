package conf

import (
	"errors"
	"fmt"
	"math"

	"github.com/cyrus-replication/cyrus-replication/internal/libc"
)

var errBadByteSize = errors.New("unparsable byte size")

// ParseByteSize reads a BYTESIZE value (Cyrus 3.8+): a decimal number
// (strtoll: leading blanks, a sign), optional blanks, an optional K, M or G
// (powers of 1024, then an optional i), an optional B; letters in either
// case. A value ending in a digit takes defaultUnit (one of B, K, M, G; 0
// means B).
//
// cyrus: lib/libconfig.c config_parsebytesize (3.10.2)
func ParseByteSize(s string, defaultUnit byte) (int64, error) {
	if defaultUnit == 0 {
		defaultUnit = 'B'
	}
	if len(s) > 0 && s[len(s)-1] >= '0' && s[len(s)-1] <= '9' {
		s += string(defaultUnit)
	}
	i := 0
	for i < len(s) && libc.IsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var n uint64
	overflow := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n > (math.MaxInt64+1-uint64(s[i]-'0'))/10 {
			overflow = true
		}
		n = n*10 + uint64(s[i]-'0')
	}
	if i == start {
		return 0, fmt.Errorf("%w: no digit", errBadByteSize)
	}
	if overflow || !neg && n > math.MaxInt64 {
		// strtoll sets ERANGE
		return 0, fmt.Errorf("%w: Numerical result out of range", errBadByteSize)
	}
	v := int64(n)
	if neg {
		v = -v
	}
	for i < len(s) && libc.IsSpace(s[i]) {
		i++
	}
	mult := 0
	if i < len(s) {
		switch s[i] {
		case 'g', 'G':
			mult = 3
		case 'm', 'M':
			mult = 2
		case 'k', 'K':
			mult = 1
		}
	}
	if mult > 0 {
		for ; mult > 0; mult-- {
			if v > math.MaxInt64/1024 || v < math.MinInt64/1024 {
				return 0, fmt.Errorf("%w: would overflow at '%c'", errBadByteSize, s[i])
			}
			v *= 1024
		}
		i++
		if i < len(s) && (s[i] == 'i' || s[i] == 'I') {
			i++
		}
	}
	if i < len(s) && (s[i] == 'b' || s[i] == 'B') {
		i++
	}
	if i < len(s) {
		return 0, fmt.Errorf("%w: bad unit '%c'", errBadByteSize, s[i])
	}
	return v, nil
}

// ByteSize returns a BYTESIZE option in bytes, reading a bare number in
// unit (B, K, M or G), as the caller in Cyrus does; 0 if unset.
//
// cyrus: lib/libconfig.c config_getbytesize (3.10.2)
func (c *Config) ByteSize(name string, unit byte) int64 {
	c.mustBe(name, TypeByteSize)
	v, ok := c.raw(name)
	if !ok {
		return 0
	}
	n, _ := ParseByteSize(v, unit) // validated at load
	return n
}
