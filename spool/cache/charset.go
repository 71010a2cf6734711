package cache

import "strings"

// cyrusAliases is Cyrus's own charset alias table: name → canonical name.
//
// cyrus: lib/charset/aliases.txt (3.6.1)
var cyrusAliases = [][2]string{
	{"utf8", "utf-8"},
	{"utf7", "utf-7"},
	{"unicode-1-1-utf-8", "utf-8"},
	{"unicode-1-1-utf-7", "utf-7"},
	{"imap-utf-7", "IMAP-mailbox-name"},
	{"ascii", "us-ascii"},
	{"ANSI_X3.4-1968", "us-ascii"},
	{"usascii", "us-ascii"},
	{"iso-8859-1", "windows-1252"},
	{"ISO_8859_1", "windows-1252"},
	{"ISO_8859-1", "windows-1252"},
	{"ISO_8859", "windows-1252"},
	{"ISO-8859", "windows-1252"},
	{"8859_1", "windows-1252"},
	{"iso--8859-1", "windows-1252"},
	{"so-8859-1", "windows-1252"},
	{"en_GB", "windows-1252"},
	{"auto", "windows-1252"},
	{"unknown", "windows-1252"},
	{"unknown-8bit", "windows-1252"},
	{"x-unknown", "windows-1252"},
	{"x-user-defined", "windows-1252"},
	{"x-europa", "windows-1252"},
	{"none", "windows-1252"},
	{"latin1", "windows-1252"},
	{"ISO8859-1", "windows-1252"},
	{"8859-1", "windows-1252"},
	{"es-windows-1252", "windows-1252"},
	{"DISPLAY", "windows-1252"},
	{"Any", "windows-1252"},
	{"x-mac-roman", "macintosh"},
	{"mac", "macintosh"},
	{"csmacintosh", "macintosh"},
	{"646", "iso-8859-1"},
	{"ISO646-US", "iso-8859-1"},
	{"8859_2", "iso-8859-2"},
	{"x-mac-turkish", "iso-8859-9"},
	{"greek-ccitt", "iso-8859-7"},
	{"iso-8859-8-i", "iso-8859-8"},
	{"ISO8859_15_FDIS", "iso-8859-15"},
	{"ISO8859-15", "iso-8859-15"},
	{"tis-620", "iso-8859-11"},
	{"x-mac-thai", "iso-8859-11"},
	{"ASMO-708", "iso-8859-6"},
	{"WIN-KOI8", "koi8-r"},
	{"KOI8-R", "koi8-r"},
	{"KOI8-U", "koi8-u"},
	{"_iso-2022-jp$ESC", "iso-2022-jp"},
	{"_iso-2022-jp", "iso-2022-jp"},
	{"csISO2022JP", "iso-2022-jp"},
	{"ks_c_5601", "ksc5601"},
	{"1250", "windows-1250"},
	{"cp1250", "windows-1250"},
	{"win-1250", "windows-1250"},
	{"1251", "windows-1251"},
	{"cp1251", "windows-1251"},
	{"win-1251", "windows-1251"},
	{"1252", "windows-1252"},
	{"cp1252", "windows-1252"},
	{"cp-1252", "windows-1252"},
	{"win-1252", "windows-1252"},
	{"1254", "windows-1254"},
	{"cp1254", "windows-1254"},
	{"win-1254", "windows-1254"},
	{"1255", "windows-1255"},
	{"cp1255", "windows-1255"},
	{"win-1255", "windows-1255"},
	{"1256", "windows-1256"},
	{"cp1256", "windows-1256"},
	{"win-1256", "windows-1256"},
	{"win1256", "windows-1256"},
	{"1257", "windows-1257"},
	{"cp1257", "windows-1257"},
	{"win-1257", "windows-1257"},
	{"1258", "windows-1258"},
	{"cp1258", "windows-1258"},
	{"win-1258", "windows-1258"},
	{"cp850", "windows-850"},
	{"CP850", "windows-850"},
	{"cp-850", "windows-850"},
	{"CP-850", "windows-850"},
	{"dos-latin1", "windows-850"},
	{"msdos-latin1", "windows-850"},
	{"cp932", "windows-31j"},
	{"CP932", "windows-31j"},
	{"cp-932", "windows-31j"},
	{"CP-932", "windows-31j"},
	{"win-31j", "windows-31j"},
	{"Shift_JIS", "windows-31j"},
	{"shift_jis", "windows-31j"},
	{"SHIFT_JIS", "windows-31j"},
	{"cp936", "windows-936"},
	{"CP936", "windows-936"},
	{"cp-936", "windows-936"},
	{"CP-936", "windows-936"},
	{"win-936", "windows-936"},
	{"238", "windows-1250"},
	{"136", "big5"},
	{"gbk", "windows-936"},
	{"GBK", "windows-936"},
	{"x-gbk", "windows-936"},
	{"gb2312", "windows-936"},
}

// charsetKind says how a charset decodes to Unicode here.
type charsetKind int

const (
	csASCII charsetKind = iota // Cyrus's built-in us-ascii table
	csUTF8                     // Cyrus's own UTF-8 decoder
	csTable                    // an ICU single-byte converter
	csOther                    // known to ICU, not decodable here
)

// charset is a charset Cyrus knows (charset_lookupname succeeded).
type charset struct {
	alias string // the name as written
	canon string // canonical name, compared between encoded words
	kind  charsetKind
	table *[256]uint16
	icu   string // ICU converter name ("" for Cyrus's own us-ascii and UTF-8)
}

// lookupCharset returns the charset Cyrus would find for name, or nil if
// Cyrus does not know it (neither its alias table nor ICU does).
//
// cyrus: lib/charset.c charset_lookupname (3.6.1)
func lookupCharset(name string) *charset {
	canon := ""
	for _, a := range cyrusAliases {
		if strings.EqualFold(name, a[0]) {
			canon = a[1]
			break
		}
	}
	if canon == "" {
		for _, a := range cyrusAliases {
			if strings.EqualFold(name, a[1]) {
				canon = a[1]
				break
			}
		}
	}
	switch {
	case strings.EqualFold(canon, "us-ascii"):
		return &charset{alias: name, canon: canon, kind: csASCII}
	case strings.EqualFold(canon, "utf-8"):
		return &charset{alias: name, canon: canon, kind: csUTF8}
	}
	icuName := canon
	if icuName == "" {
		icuName = name
	}
	conv, ok := icuNames[icuLoose(icuName)]
	if icuName == "" {
		conv, ok = "UTF-8", true // ucnv_open("") opens the default converter
	}
	if !ok {
		return nil
	}
	cs := &charset{alias: name, canon: canon, kind: csOther, icu: conv}
	if cs.canon == "" {
		cs.canon = conv
	}
	if t := icuTables[conv]; t != nil {
		cs.kind, cs.table = csTable, t
	} else if conv == "UTF-8" {
		cs.kind = csUTF8
	}
	return cs
}

// icuLoose is ICU's loose form of a converter name: letters lower-cased,
// digits kept except a 0 that starts a number, everything else dropped.
//
// icu: common/ucnv_io.cpp ucnv_io_stripASCIIForCompare (72)
func icuLoose(s string) string {
	var b []byte
	afterDigit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '0' && !afterDigit && i+1 < len(s) && isdigit(s[i+1]):
			continue
		case isdigit(c):
			afterDigit = true
			b = append(b, c)
		case isalpha(c):
			afterDigit = false
			b = append(b, c|0x20)
		default:
			afterDigit = false
		}
	}
	return string(b)
}
