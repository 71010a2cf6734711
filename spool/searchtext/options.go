package searchtext

import "github.com/cyrus-replication/cyrus-replication/conf"

// Whitespace is search_whitespace.
type Whitespace int

// The values of search_whitespace.
const (
	WhitespaceMerge Whitespace = iota // runs of blanks become one space (default)
	WhitespaceSkip                    // blanks are dropped
	WhitespaceKeep                    // blanks are kept as they are
)

// Options are the imapd.conf settings that shape the search text.
type Options struct {
	SkipDiacrit  bool       // search_skipdiacrit (default on)
	Whitespace   Whitespace // search_whitespace (default merge)
	SkipHTML     bool       // search_skiphtml: text/html parts not indexed
	MimeUTF8     bool       // rfc2047_utf8: 8-bit header text is UTF-8
	IndexHeaders bool       // search_index_headers (default on): the h document
	// DropClassless is Cyrus 3.10's SQUAT receiver: the text of a part
	// SQUAT has no document class for (Content-Type, attachment names,
	// List-Id …) is dropped; 3.6's adds it to the document begun before.
	DropClassless bool
	// HTML310 is Cyrus 3.10's HTML stripper: link targets and image alt
	// text kept, angle-bracketed URIs kept in text/plain parts stripped
	// as HTML.
	HTML310 bool
}

// DefaultOptions are Cyrus 3.6.1's defaults.
func DefaultOptions() Options {
	return Options{SkipDiacrit: true, IndexHeaders: true}
}

// OptionsFrom reads the options from an imapd.conf.
//
// cyrus: imap/global.c cyrus_init (charset_flags) (3.6.1);
// imap/search_squat.c begin_part, append_text, end_part (3.6.1, 3.10.2);
// lib/charset.c striphtml2uni (3.6.1, 3.10.2)
func OptionsFrom(c *conf.Config) Options {
	o := Options{
		SkipDiacrit:   c.Switch("search_skipdiacrit"),
		SkipHTML:      c.Switch("search_skiphtml"),
		MimeUTF8:      c.Switch("rfc2047_utf8"),
		IndexHeaders:  c.Switch("search_index_headers"),
		DropClassless: c.Version.AtLeast(conf.V3_10),
		HTML310:       c.Version.AtLeast(conf.V3_10),
	}
	switch v, _ := c.String("search_whitespace"); v {
	case "skip":
		o.Whitespace = WhitespaceSkip
	case "keep":
		o.Whitespace = WhitespaceKeep
	}
	return o
}
