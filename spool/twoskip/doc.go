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
// Writing: Begin opens a file for writing under the exclusive fcntl lock
// Cyrus takes (re-opening it if a repack replaced it), creates a new DB
// exactly as Cyrus does, and recovers a file left dirty by a crash; the
// returned Tx stores and deletes keys with Cyrus's record layout, two
// level-0 pointers, BLANK padding, fsync order and COMMIT record, so that
// a crash at any point leaves a file that Cyrus's recovery and ours both
// bring back to the last commit. Commit repacks the file into
// "<file>.NEW" and renames it over the file when it has grown past Cyrus's
// threshold. Keys compare bytewise, the order of every DB Cyrus 3.6
// servers write (its "mbox sort" order is used only by cyr_dbtool -M).
//
// cyrus: lib/cyrusdb_twoskip.c (3.6.1)
package twoskip
