// Package dlist implements Cyrus IMAP's "dlist" data model and its text
// grammar, as used on the replication wire (csync and the IMAP SYNC*
// commands) and on disk (mailboxes.db values, cyrus.header, quota files).
//
// A dlist value is one of: NIL, a string (sent as an atom, a quoted string or
// a literal), a flag (`\Seen`, printed raw), a list `( … )`, a key/value list
// `%( key value … )` or a file literal `%{partition guid size}` followed by
// CRLF and size raw octets. Numbers, dates, hex values and GUIDs are strings
// on the wire; [Value] offers typed views of them (AsUint64, AsGUID, …) and
// constructors that format them the way Cyrus does ([Uint64], [GUID], …).
//
// Reading: a [Decoder] reads values from a bufio.Reader, one function per
// grammar production (see decode.go). Everything a peer can make it allocate
// is bounded by [Limits]; a violation is reported as a *[LimitError] naming
// the limit. File literals are never buffered: the decoder hands each one to
// a caller-supplied [FileFunc] through a reader of exactly size bytes whose
// SHA-1 is checked against the GUID.
//
// Writing: an [Encoder] emits exactly what Cyrus' printer emits (atom vs
// quoted vs literal choice, NIL, flags, kvlists) with either `{n}` (server
// side) or `{n+}` (client side) literals; file literals are streamed from an
// io.Reader. [Marshal], [AppendValue] and [Unmarshal] are the in-memory
// shortcuts used for on-disk values.
//
// After a parse error, [Decoder.SkipLine] discards the rest of the line the
// way Cyrus' sync_eatline does (skipping {n+} and file literal payloads).
//
// Differences from Cyrus, all on input Cyrus never produces:
//   - NUL bytes are refused in atoms, quoted strings and keys (Cyrus would
//     silently truncate the C string); binary literals may contain them.
//   - An atom cannot be empty (Cyrus reads an empty atom before a TAB).
//   - [Decoder.ReadItem] does not look for the value on the next line.
//   - AsString fails on NIL and AsUint32 on values ≥ 2^32 (Cyrus returns a
//     NULL string, resp. truncates).
//
// Like Cyrus, the decoder accepts any run of whitespace (CR and LF
// included) between list elements and between a kvlist key and its value,
// or none where a delimiter makes it unambiguous: "(a(b))".
//
// This package must not import the protocol layer: spool code uses it for
// on-disk formats and protocol code builds commands and responses on top of it.
//
// cyrus: imap/dlist.c, imap/imapparse.c, lib/prot.c, lib/imparse.c (3.6.1);
// the grammar is unchanged through 3.12.
package dlist
