// Package cache derives, from a stored message file, what Cyrus IMAP 3.6.1
// derives when it appends the message to a mailbox: the cyrus.cache entry
// (ENVELOPE, BODYSTRUCTURE, BODY, SECTION, HEADERS, FROM, TO, CC, BCC,
// SUBJECT, spool.md §4) and the index-record fields that come from the
// message (size, header size, sent date, GMT date, GUID, cache version and
// cache CRC, spool.md §3.3). It also reads existing entries of cyrus.cache.
//
// The parser reproduces Cyrus's own MIME parser, quirks included (header
// values up to the first NUL, boundaries matched on prefixes, lenient
// base64 and quoted-printable, RFC 2231 folding, Cyrus's address parser),
// with Cyrus's default configuration (maxheaderlines 1000, boundary_limit
// 1000, rfc2046_strict off, rfc2047_utf8 off).
//
// cyrus: imap/message.c message_parse_file, message_create_record,
// message_write_cache (3.6.1)
package cache
