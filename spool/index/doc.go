// Package index decodes and encodes Cyrus IMAP cyrus.index files: the index
// header and the fixed-size per-message records, for index versions 17
// (written by Cyrus 3.6 and 3.8), 18 and 19 (read by Cyrus 3.10 and 3.12,
// which write 19), with header and record CRC checks. Header.Encode and
// Record.Encode produce the bytes Cyrus writes, CRCs included.
//
// Parsing works on a []byte or an io.ReaderAt; ReadFile additionally takes
// the shared fcntl OFD lock Cyrus readers take on cyrus.index while the
// file is read (docs/locking.md). Expunged and unlinked records are
// returned like any other record; their state is in Record.InternalFlags.
//
// cyrus: imap/mailbox.h, imap/mailbox.c mailbox_buf_to_index_header,
// mailbox_buf_to_index_record (3.6.1; 3.10.0 for versions 18 and 19)
package index
