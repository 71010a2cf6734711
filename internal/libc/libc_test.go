package libc

import "testing"

// The expected values are glibc's atoi on x86_64 (int is 32 bits, long 64).
func TestAtoi(t *testing.T) {
	for in, want := range map[string]int{
		"":                      0,
		"30x":                   30,
		" \t\n\v\f\r42":         42,
		"+7":                    7,
		"-12abc":                -12,
		"x1":                    0,
		"-":                     0,
		"yes":                   0,
		"0x10":                  0,
		"010":                   10,
		"2147483647":            2147483647,
		"2147483648":            -2147483648,
		"4294967296":            0,
		"4294967297":            1,
		"9999999999":            1410065407,
		"9223372036854775807":   -1,
		"9223372036854775808":   -1, // clamped to LONG_MAX
		"-9223372036854775808":  0,
		"-9223372036854775807":  1,
		"-2147483649":           2147483647,
		"922337203685477580":    -858993460,
		"9223372036854775799":   -9,
		"99999999999999999999":  -1, // LONG_MAX, low 32 bits
		"-99999999999999999999": 0,  // LONG_MIN, low 32 bits
		"\u00a05":               0,  // not a space in the C locale
	} {
		if got := Atoi(in); got != want {
			t.Errorf("Atoi(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestIsSpace(t *testing.T) {
	n := 0
	for c := 0; c < 256; c++ {
		if IsSpace(byte(c)) {
			n++
		}
		if IsSpace(byte(c)) != IsSpaceRune(rune(c)) && c < 0x80 {
			t.Errorf("%#x: IsSpace and IsSpaceRune disagree", c)
		}
	}
	if n != 6 || IsSpaceRune(0x85) || IsSpaceRune(0xa0) {
		t.Errorf("isspace: %d bytes are spaces, want 6 (and no byte over 0x7f)", n)
	}
}
