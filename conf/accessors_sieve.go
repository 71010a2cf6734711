package conf

import "time"

// SieveFolder is sieve_folder (default "#sieve"): the name, under each
// user's INBOX, of the mailbox holding the user's sieve scripts.
//
// cyrus: imap/sieve_db.c sieve_mboxname (3.6.1)
func (c *Config) SieveFolder() string { return c.str("sieve_folder") }

// DavLockTimeout is dav_lock_timeout (default 20s; a bare number is
// seconds): how long a writer of a user's dav.db waits for SQLite's lock.
//
// cyrus: imap/dav_db.c dav_open_userid (3.6.1)
func (c *Config) DavLockTimeout() time.Duration { return c.Duration("dav_lock_timeout", 's') }
