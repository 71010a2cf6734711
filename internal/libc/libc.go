// Package libc holds the few C library functions whose exact behaviour
// Cyrus's command lines and files depend on (glibc, C locale), so that every
// package reads "atoi" or "isspace" the same way Cyrus does.
package libc

import "math"

// IsSpace is isspace in the C locale: space, \t, \n, \v, \f, \r.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// IsSpaceRune is IsSpace for strings.TrimFunc and friends: a byte over 0x7f
// is never a space in the C locale.
func IsSpaceRune(r rune) bool { return r < 0x80 && IsSpace(byte(r)) }

// Atoi is glibc's atoi, (int) strtol(s, NULL, 10): leading spaces, an
// optional sign, then digits; anything else ends the number ("30x" is 30,
// "x" is 0). Out of range, strtol clamps to the 64-bit long and the cast to
// a 32-bit int keeps the low bits, so "4294967296" is 0.
func Atoi(s string) int {
	i := 0
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	// The magnitude saturates just past what a long can hold.
	const limit = uint64(math.MaxInt64) + 1
	var n uint64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n > limit/10 {
			n = limit // already past any long
			continue
		}
		n = min(n*10+uint64(s[i]-'0'), limit)
	}
	var long int64
	switch {
	case neg && n >= limit:
		long = math.MinInt64
	case neg:
		long = -int64(n)
	case n >= limit:
		long = math.MaxInt64
	default:
		long = int64(n)
	}
	return int(int32(long))
}
