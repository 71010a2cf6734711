// Package cache derives, from a stored message file, what Cyrus IMAP 3.6.1
// derives when it appends the message to a mailbox: the cyrus.cache entry
// (ENVELOPE, BODYSTRUCTURE, BODY, SECTION, HEADERS, FROM, TO, CC, BCC,
// SUBJECT) and the index-record fields that come from the message (size,
// header size, sent date, GMT date, GUID, cache version and cache CRC). It
// also reads existing entries of cyrus.cache.
//
// The parser reproduces Cyrus's own MIME parser, quirks included (header
// values up to the first NUL, boundaries matched on prefixes, lenient
// base64 and quoted-printable, RFC 2231 folding, Cyrus's address parser),
// with Cyrus's default configuration (maxheaderlines 1000, boundary_limit
// 1000, rfc2046_strict off, rfc2047_utf8 off).
//
// Charsets: Cyrus's alias table, its us-ascii table and UTF-8 decoder are
// reproduced; which other names ICU accepts, and the byte tables of the
// single-byte ICU converters mail uses (ISO-8859-*, windows-125x, KOI8,
// IBM PC code pages, Mac Roman), come from the ICU 72 that Debian's Cyrus
// links (icu_gen.go, made by testdata/gencharsets.c). Encoded words in a
// multi-byte charset (ISO-2022-JP, Shift_JIS, GB2312, Big5, EUC-*, UTF-16)
// cannot be decoded here: Message.Exact is false then. Parts, for the
// search text, takes a decoder for those (MultiByte) from its caller.
//
// Time zone: SentDate is the Date: header's day at midnight in the local
// time zone (Go's time.Local, from TZ or /etc/localtime, as mktime uses),
// so it matches Cyrus only when both run in the same zone.
//
// cyrus: imap/message.c message_parse_file, message_create_record,
// message_write_cache; imap/mailbox.c cache_parserecord (3.6.1)
package cache
