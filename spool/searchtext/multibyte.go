package searchtext

import (
	"unicode/utf8"

	"github.com/cyrus-replication/cyrus-replication/spool/cache"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// multiByte maps the ICU converters Cyrus opens for multi-byte mail
// charsets (after its own aliases: Shift_JIS is windows-31j, GB2312 and
// GBK are windows-936) to the nearest golang.org/x/text decoder. They
// agree on the common repertoire; the integration test checks each one
// against Cyrus.
var multiByte = map[string]encoding.Encoding{
	"ISO_2022,locale=ja,version=0": japanese.ISO2022JP,
	"ibm-943_P15A-2003":            japanese.ShiftJIS,
	"euc-jp-2007":                  japanese.EUCJP,
	"ibm-970_P110_P110-2006_U2":    korean.EUCKR,
	"ibm-949_P110-1999":            korean.EUCKR,
	"ibm-1363_P11B-1998":           korean.EUCKR,
	"ibm-1386_P100-2001":           simplifiedchinese.GBK,
	"windows-936-2000":             simplifiedchinese.GBK,
	"ibm-1383_P110-1999":           simplifiedchinese.GBK,
	"gb18030":                      simplifiedchinese.GB18030,
	"windows-950-2000":             traditionalchinese.Big5,
	"UTF-16":                       unicode.UTF16(unicode.BigEndian, unicode.UseBOM),
	"UTF-16BE":                     unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"UTF-16LE":                     unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
}

// xDecoder collects bytes and decodes them at Flush, when Cyrus flushes
// its ICU converter (the end of an encoded word or of a body part).
type xDecoder struct {
	enc  encoding.Encoding
	buf  []byte
	emit func(rune)
}

func (d *xDecoder) Put(c byte) { d.buf = append(d.buf, c) }

func (d *xDecoder) Flush() {
	if len(d.buf) == 0 {
		return
	}
	out, err := d.enc.NewDecoder().Bytes(d.buf)
	d.buf = d.buf[:0]
	if err != nil {
		d.emit(utf8.RuneError)
		return
	}
	for len(out) > 0 {
		r, n := utf8.DecodeRune(out)
		d.emit(r)
		out = out[n:]
	}
}

// newMultiByte is the cache.MultiByte for the converters above.
func newMultiByte(icuName string, emit func(rune)) (cache.MultiByteDecoder, bool) {
	if icuName == "UTF-7" {
		return &utf7Decoder{emit: emit}, true
	}
	enc, ok := multiByte[icuName]
	if !ok {
		return nil, false
	}
	return &xDecoder{enc: enc, emit: emit}, true
}

// utf7Decoder decodes UTF-7 (RFC 2152) as ICU's UTF-7 converter does
// for well-formed input: "+" starts base64-coded UTF-16, ended by "-"
// (absorbed) or any other character outside base64; "+-" is "+".
type utf7Decoder struct {
	emit   func(rune)
	shift  bool
	fresh  bool // just after "+"
	bits   uint32
	nbits  int
	lead   rune // pending high surrogate
	buffer []byte
}

func (d *utf7Decoder) Put(c byte) { d.buffer = append(d.buffer, c) }

func (d *utf7Decoder) Flush() {
	for _, c := range d.buffer {
		d.put(c)
	}
	d.buffer = d.buffer[:0]
	d.shift, d.bits, d.nbits, d.lead = false, 0, 0, 0
}

func (d *utf7Decoder) put(c byte) {
	if !d.shift {
		if c == '+' {
			d.shift, d.fresh, d.bits, d.nbits = true, true, 0, 0
			return
		}
		d.emit(rune(c))
		return
	}
	if v := b64index(c); v >= 0 {
		d.fresh = false
		d.bits = d.bits<<6 | uint32(v)
		d.nbits += 6
		if d.nbits >= 16 {
			d.nbits -= 16
			d.unit(rune(d.bits >> d.nbits & 0xffff))
		}
		return
	}
	wasFresh := d.fresh
	d.shift, d.fresh = false, false
	switch {
	case c == '-' && wasFresh:
		d.emit('+')
	case c == '-':
	default:
		d.emit(rune(c))
	}
}

func (d *utf7Decoder) unit(u rune) {
	switch {
	case u >= 0xd800 && u < 0xdc00:
		d.lead = u
	case u >= 0xdc00 && u < 0xe000 && d.lead != 0:
		d.emit(0x10000 + (d.lead-0xd800)<<10 + (u - 0xdc00))
		d.lead = 0
	default:
		d.lead = 0
		d.emit(u)
	}
}

func b64index(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}
