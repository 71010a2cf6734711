// Package index decodes Cyrus IMAP cyrus.index files: the index header and
// the fixed-size per-message records, for index versions 17 (Cyrus 3.6 and
// 3.8), 18 and 19 (Cyrus 3.10 and 3.12), with header and record CRC checks.
//
// Parsing works on a []byte or an io.ReaderAt; ReadFile additionally takes
// the shared fcntl OFD lock Cyrus readers take on cyrus.index while the
// file is read (spool.md §7.4). Expunged and unlinked records are returned
// like any other record; their state is in Record.InternalFlags.
//
// Layouts are described in spool.md §3.2–3.4 and §9.
//
// cyrus: imap/mailbox.h, imap/mailbox.c mailbox_buf_to_index_header,
// mailbox_buf_to_index_record (3.6.1; 3.10.0 for version 19)
package index
