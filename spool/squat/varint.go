package squat

// The "I" integer: 7 bits per byte, most significant group first, the high
// bit set on every byte but the last.
// cyrus: imap/squat_internal.c squat_encode_I, squat_decode_I (3.6.1)

// maxIBytes bounds a decoded I integer: nine groups hold 63 bits, all
// Cyrus ever writes (it encodes SquatInt64 values >= 0).
const maxIBytes = 9

// appendI appends v in I format.
func appendI(b []byte, v uint64) []byte {
	n := lenI(v)
	for i := n - 1; i > 0; i-- {
		b = append(b, byte(v>>(7*uint(i)))|0x80)
	}
	return append(b, byte(v&0x7f))
}

// lenI is the number of bytes appendI writes for v.
func lenI(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// decodeI decodes an I integer from data[pos:end]. ok is false if the
// value runs past end or is longer than maxIBytes.
func decodeI(data []byte, pos, end int) (v int64, next int, ok bool) {
	for i := 0; i < maxIBytes; i++ {
		if pos >= end {
			return 0, pos, false
		}
		c := data[pos]
		pos++
		v = v<<7 | int64(c&0x7f)
		if c&0x80 == 0 {
			return v, pos, true
		}
	}
	return 0, pos, false
}
