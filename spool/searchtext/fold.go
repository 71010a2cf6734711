package searchtext

import (
	"slices"
	"sort"
	"unicode/utf8"
)

//go:generate go run gen_fold.go /tmp/unifix.txt /tmp/UnicodeData.txt

// fold returns the search form of c (Cyrus's chartables_translation):
// nil when c is itself, an empty slice when it has none.
func fold(c rune) []rune {
	i := sort.Search(len(foldKeys), func(i int) bool { return foldKeys[i] >= c })
	if i == len(foldKeys) || foldKeys[i] != c {
		return nil
	}
	return foldVals[foldIdx[i]:foldIdx[i+1]]
}

// asciiFold caches fold for the first 128 code points (-1: itself).
var asciiFold = func() (t [128]rune) {
	for c := range t {
		t[c] = -1
		if f := fold(rune(c)); f != nil {
			t[c] = f[0]
		}
	}
	return
}()

// canon turns code points into search form and encodes them as UTF-8.
//
// cyrus: lib/charset.c uni2searchform, uni2utf8 (3.6.1)
type canon struct {
	opt       Options
	seenSpace bool
	out       []byte
}

func (k *canon) put(c rune) {
	// U+FFFD and code points outside the table's blocks pass as they
	// are, leaving the whitespace state alone.
	if c == utf8.RuneError || c < 0 || c >= 0x110000 || foldBlocks[c>>8/64]&(1<<(c>>8%64)) == 0 {
		k.emit(c)
		return
	}
	var one rune
	var multi []rune
	if c >= 0 && c < 128 {
		one = asciiFold[c]
		if one < 0 {
			one = c
		}
	} else if f := fold(c); f == nil {
		one = c
	} else if len(f) == 1 {
		one = f[0]
	} else {
		multi = f
	}
	if multi == nil {
		if one == 0 {
			return
		}
		if one == ' ' || one == '\r' || one == '\n' {
			switch k.opt.Whitespace {
			case WhitespaceSkip:
				return
			case WhitespaceMerge:
				if k.seenSpace {
					return
				}
				k.seenSpace = true
				one = ' '
			}
		} else {
			k.seenSpace = false
		}
		if k.opt.SkipDiacrit && one >= 0x300 && one <= 0x36f {
			return
		}
		k.emit(one)
		return
	}
	// Cyrus resets seenspace only on single-character output.
	k.seenSpace = false
	for _, m := range multi {
		if k.opt.SkipDiacrit && m&^0xff == 0x300 {
			continue
		}
		k.emit(m)
	}
}

// asciiPass: the table's blocks do not cover ASCII, so ASCII passes as is.
var asciiPass = foldBlocks[0]&1 == 0

// asciiByte is, for an ASCII byte whose search form is one ASCII byte
// other than whitespace, that byte (0 for the others).
var asciiByte = func() (t [256]byte) {
	for c := 1; c < 128; c++ {
		one := asciiFold[c]
		if one < 0 {
			one = rune(c)
		}
		if one > 0 && one < 0x80 && one != ' ' && one != '\r' && one != '\n' {
			t[c] = byte(one)
		}
	}
	return
}()

// putASCII is put of each byte of p (bytes 0x01-0x7f), without a call per
// byte.
func (k *canon) putASCII(p []byte) {
	if asciiPass {
		k.out = append(k.out, p...)
		return
	}
	// Room for p: each byte gives at most one.
	out := slices.Grow(k.out, len(p))
	n := len(out)
	out = out[:n+len(p)]
	for _, c := range p {
		if b := asciiByte[c]; b != 0 {
			out[n] = b
			n++
			k.seenSpace = false
			continue
		}
		one := asciiFold[c]
		if one < 0 {
			one = rune(c)
		}
		if one == 0 {
			continue
		}
		if one == ' ' || one == '\r' || one == '\n' {
			switch k.opt.Whitespace {
			case WhitespaceSkip:
				continue
			case WhitespaceMerge:
				if k.seenSpace {
					continue
				}
				k.seenSpace = true
				one = ' '
			}
		} else {
			k.seenSpace = false
		}
		if k.opt.SkipDiacrit && one >= 0x300 && one <= 0x36f {
			continue
		}
		if one < 0x80 {
			out[n] = byte(one)
			n++
		} else {
			// Not reached with Cyrus's table (ASCII folds to ASCII); kept
			// to be put's equal whatever the table says.
			k.out = out[:n]
			k.emit(one)
			out = slices.Grow(k.out, len(p))
			n = len(out)
			out = out[:n+len(p)]
		}
	}
	k.out = out[:n]
}

func (k *canon) emit(c rune) {
	if c < 0 || c > 0x10ffff || c >= 0xd800 && c <= 0xdfff {
		c = utf8.RuneError
	}
	k.out = utf8.AppendRune(k.out, c)
}
