package dlist

// interned holds the atoms Cyrus sends over and over (kvlist keys, system
// flags, partition names) so that decoding them does not allocate.
var interned = func() map[string]string {
	words := []string{
		// MAILBOX (cyrus: imap/sync_support.c sync_prepare_dlists (3.6.1))
		"UNIQUEID", "MBOXNAME", "MBOXTYPE", "SYNC_CRC", "SYNC_CRC_ANNOT", "LAST_UID",
		"HIGHESTMODSEQ", "RECENTUID", "RECENTTIME", "LAST_APPENDDATE", "POP3_LAST_LOGIN",
		"POP3_SHOW_AFTER", "XCONVMODSEQ", "RACLMODSEQ", "USERGROUPS", "UIDVALIDITY",
		"PARTITION", "ACL", "OPTIONS", "QUOTAROOT", "CREATEDMODSEQ", "FOLDERMODSEQ",
		"ANNOTATIONS", "USERFLAGS", "SINCE_MODSEQ", "SINCE_CRC", "SINCE_CRC_ANNOT", "RECORD",
		// RECORD and ANNOTATIONS
		"UID", "MODSEQ", "LAST_UPDATED", "FLAGS", "INTERNALDATE", "SIZE", "GUID",
		"ENTRY", "USERID", "VALUE",
		"/vendor/cmu/cyrus-imapd/thrid", "/vendor/cmu/cyrus-imapd/savedate",
		"/vendor/cmu/cyrus-imapd/createdmodseq", "/vendor/cmu/cyrus-imapd/basethrid",
		// other items and sub-commands
		"MAILBOX", "LOCAL_MAILBOX", "QUOTA", "SEEN", "LSUB", "SIEVE", "ANNOTATION",
		"MISSING", "ENABLED", "MESSAGE", "RESERVE", "ROOT", "LIMIT", "STORAGE",
		"LASTREAD", "LASTUID", "LASTCHANGE", "SEENUIDS", "FILENAME", "LAST_UPDATE",
		"ISACTIVE", "CONTENT", "OLDMBOXNAME", "NEWMBOXNAME", "USER", "META",
		"MAILBOXES", "FULLMAILBOX", "CAPABILITIES", "SIEVE-MAILBOX",
		// flags and common values
		`\Answered`, `\Flagged`, `\Deleted`, `\Draft`, `\Seen`, `\Expunged`,
		"default", "P",
	}
	m := make(map[string]string, len(words))
	for _, w := range words {
		m[w] = w
	}
	return m
}()

// intern returns b as a string, sharing the storage of known atoms.
func intern(b []byte) string {
	if len(b) == 0 || (b[0] >= '0' && b[0] <= '9') {
		return string(b) // numbers: not worth a map lookup
	}
	if s, ok := interned[string(b)]; ok {
		return s
	}
	return string(b)
}
