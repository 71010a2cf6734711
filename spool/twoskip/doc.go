// Package twoskip reads Cyrus IMAP "twoskip" database files (mailboxes.db,
// annotations.db, seen.db, cyrus.annotations, ...) as written by Cyrus 3.6
// through 3.12, whose format is version 1 throughout.
//
// A DB is an immutable in-memory snapshot of the committed state of a file:
// ReadFile takes a shared fcntl OFD lock, reads the bytes up to the
// header's current_size and releases the lock again, so Cyrus writers are
// blocked only for the time of one read. Records beyond current_size belong
// to an uncommitted (or crashed) transaction and are never looked at.
//
// Layout and reading rules are described in spool.md §2.2.
//
// cyrus: lib/cyrusdb_twoskip.c (3.6.1)
package twoskip
