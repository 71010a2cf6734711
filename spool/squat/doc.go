// Package squat reads and writes cyrus.squat, the SQUAT substring index
// Cyrus's squatter keeps per mailbox, byte for byte as Cyrus 3.6 does.
//
// A SQUAT file maps every 4-byte "word" of each indexed document to the
// set of documents containing it. Documents are named by search_squat.c:
// "validity.<uidvalidity>" (empty, written first on a full build) and a
// part letter (f t c b s h m) followed by the message UID, e.g. "m42".
//
// Reading (Parse, ReadFile) validates the whole file up front: header,
// offsets, the 16-byte zero safety zone, the doc list and doc-ID list, and
// the trie in the post-order layout Cyrus's builder writes. A corrupt file
// gives a *FormatError naming the file and the problem; memory stays
// bounded by the file size and time linear in it.
//
// Building (Builder, Build, Update) reproduces squat_build.c: the header,
// the doc list, the doc-ID list, one sub-trie per first byte in byte order
// with children before parents, the root, the safety zone. Update follows
// Cyrus's incremental path (squatter -i): the old doc list is copied
// through search_squat.c's doc_check, old words are copied through
// squat_scan with its quirks, and new documents get the following IDs.
// When no old document changes ID and every list is written as Cyrus
// writes it, the old lists are copied as they are (the new IDs appended
// to those of the words new documents contain), which gives the same
// bytes as decoding them without visiting every (word, document) pair.
//
// cyrus: imap/squat_internal.h, imap/squat_internal.c, imap/squat.c,
// imap/squat_build.c, imap/search_squat.c (3.6.1)
package squat
