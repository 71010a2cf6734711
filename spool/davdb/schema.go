package davdb

// The schema of a user's dav.db as Cyrus 3.6.1 creates it. The statement
// texts are Cyrus's, character for character: SQLite keeps each CREATE in
// sqlite_master as written, and Cyrus's httpd, imapd and lmtpd only know
// the tables, columns and indexes named here.
//
// cyrus: imap/dav_db.c CMD_CREATE_*, CMD_DBUPGRADEv*, davdb_upgrade (3.6.1)

// Version is the PRAGMA user_version of a 3.6.1 dav.db (DB_VERSION).
const Version = 14

const (
	createCal = "CREATE TABLE IF NOT EXISTS ical_objs (" +
		" rowid INTEGER PRIMARY KEY," +
		" creationdate INTEGER," +
		" mailbox TEXT NOT NULL," +
		" resource TEXT NOT NULL," +
		" imap_uid INTEGER," +
		" modseq INTEGER," +
		" createdmodseq INTEGER," +
		" lock_token TEXT," +
		" lock_owner TEXT," +
		" lock_ownerid TEXT," +
		" lock_expire INTEGER," +
		" comp_type INTEGER," +
		" ical_uid TEXT," +
		" organizer TEXT," +
		" dtstart TEXT," +
		" dtend TEXT," +
		" comp_flags INTEGER," +
		" sched_tag TEXT," +
		" alive INTEGER," +
		" UNIQUE( mailbox, imap_uid )," +
		" UNIQUE( mailbox, resource ) );" +
		"CREATE INDEX IF NOT EXISTS idx_ical_uid ON ical_objs ( ical_uid );"

	createCard = "CREATE TABLE IF NOT EXISTS vcard_objs (" +
		" rowid INTEGER PRIMARY KEY," +
		" creationdate INTEGER," +
		" mailbox TEXT NOT NULL," +
		" resource TEXT NOT NULL," +
		" imap_uid INTEGER," +
		" modseq INTEGER," +
		" createdmodseq INTEGER," +
		" lock_token TEXT," +
		" lock_owner TEXT," +
		" lock_ownerid TEXT," +
		" lock_expire INTEGER," +
		" version INTEGER," +
		" vcard_uid TEXT," +
		" kind INTEGER," +
		" fullname TEXT," +
		" name TEXT," +
		" nickname TEXT," +
		" alive INTEGER," +
		" UNIQUE( mailbox, imap_uid )," +
		" UNIQUE( mailbox, resource ) );" +
		"CREATE INDEX IF NOT EXISTS idx_vcard_fn ON vcard_objs ( fullname );" +
		"CREATE INDEX IF NOT EXISTS idx_vcard_uid ON vcard_objs ( vcard_uid );"

	createEmails = "CREATE TABLE IF NOT EXISTS vcard_emails (" +
		" rowid INTEGER PRIMARY KEY," +
		" objid INTEGER," +
		" pos INTEGER NOT NULL," +
		" email TEXT NOT NULL COLLATE NOCASE," +
		" ispref INTEGER NOT NULL DEFAULT 0," +
		" ispinned INTEGER NOT NULL DEFAULT 0," +
		" FOREIGN KEY (objid) REFERENCES vcard_objs (rowid) ON DELETE CASCADE );" +
		"CREATE INDEX IF NOT EXISTS idx_vcard_email ON vcard_emails ( email COLLATE NOCASE );"

	createGroups = "CREATE TABLE IF NOT EXISTS vcard_groups (" +
		" rowid INTEGER PRIMARY KEY," +
		" objid INTEGER," +
		" pos INTEGER NOT NULL," +
		" member_uid TEXT NOT NULL," +
		` otheruser TEXT NOT NULL DEFAULT "",` +
		" FOREIGN KEY (objid) REFERENCES vcard_objs (rowid) ON DELETE CASCADE );"

	createObjs = "CREATE TABLE IF NOT EXISTS dav_objs (" +
		" rowid INTEGER PRIMARY KEY," +
		" creationdate INTEGER," +
		" mailbox TEXT NOT NULL," +
		" resource TEXT NOT NULL," +
		" imap_uid INTEGER," +
		" modseq INTEGER," +
		" createdmodseq INTEGER," +
		" lock_token TEXT," +
		" lock_owner TEXT," +
		" lock_ownerid TEXT," +
		" lock_expire INTEGER," +
		" filename TEXT," +
		" type TEXT," +
		" subtype TEXT," +
		" res_uid TEXT," +
		" ref_count INTEGER," +
		" alive INTEGER," +
		" UNIQUE( mailbox, imap_uid )," +
		" UNIQUE( mailbox, resource ) );"

	createCalCache = "CREATE TABLE IF NOT EXISTS ical_jmapcache (" +
		" rowid INTEGER NOT NULL," +
		" userid TEXT NOT NULL," +
		" jmapversion INTEGER NOT NULL," +
		" jmapdata TEXT NOT NULL," +
		" PRIMARY KEY (rowid, userid)" +
		" FOREIGN KEY (rowid) REFERENCES ical_objs (rowid) ON DELETE CASCADE );"

	createCardCache = "CREATE TABLE IF NOT EXISTS vcard_jmapcache (" +
		" rowid INTEGER NOT NULL PRIMARY KEY," +
		" jmapversion INTEGER NOT NULL," +
		" jmapdata TEXT NOT NULL," +
		" FOREIGN KEY (rowid) REFERENCES vcard_objs (rowid) ON DELETE CASCADE );"

	createSieve = "CREATE TABLE IF NOT EXISTS sieve_scripts (" +
		" rowid INTEGER PRIMARY KEY," +
		" creationdate INTEGER," +
		" lastupdated INTEGER," +
		" mailbox TEXT NOT NULL," +
		" imap_uid INTEGER," +
		" modseq INTEGER," +
		" createdmodseq INTEGER," +
		" id TEXT NOT NULL," +
		" name TEXT NOT NULL," +
		" contentid TEXT NOT NULL," +
		" isactive INTEGER," +
		" alive INTEGER," +
		" UNIQUE( mailbox, imap_uid )," +
		" UNIQUE( id ) );" +
		"CREATE INDEX IF NOT EXISTS idx_sieve_name ON sieve_scripts ( name );"

	// createAll is CMD_CREATE, run on a database of user_version 0.
	createAll = createCal + createCard + createEmails + createGroups +
		createObjs + createCalCache + createCardCache + createSieve
)

// upgrades are davdb_upgrade: the statements that bring an older database
// to each version. Versions 11 (only ever created) and 12, 13 (development
// versions of the sieve table) have no step; a database at 12 or 13 is
// refused (Cyrus's upgrade callback rewrites it with mailboxes.db lookups
// this package does not do).
var upgrades = []struct {
	to  int
	sql string
}{
	{2, "ALTER TABLE ical_objs ADD COLUMN comp_flags INTEGER;" +
		"UPDATE ical_objs SET comp_flags = recurring + 2 * transp;"},
	{3, "ALTER TABLE ical_objs ADD COLUMN modseq INTEGER;" +
		"UPDATE ical_objs SET modseq = 1;" +
		"ALTER TABLE vcard_objs ADD COLUMN modseq INTEGER;" +
		"UPDATE vcard_objs SET modseq = 1;"},
	{4, "ALTER TABLE ical_objs ADD COLUMN alive INTEGER;" +
		"UPDATE ical_objs SET alive = 1;" +
		"ALTER TABLE vcard_objs ADD COLUMN alive INTEGER;" +
		"UPDATE vcard_objs SET alive = 1;"},
	{5, "ALTER TABLE vcard_emails ADD COLUMN ispref INTEGER NOT NULL DEFAULT 0;" +
		`ALTER TABLE vcard_groups ADD COLUMN otheruser TEXT NOT NULL DEFAULT "";`},
	{6, createObjs},
	{7, "ALTER TABLE ical_objs ADD COLUMN createdmodseq INTEGER;" +
		"UPDATE ical_objs SET createdmodseq = 0;" +
		"ALTER TABLE vcard_objs ADD COLUMN createdmodseq INTEGER;" +
		"UPDATE vcard_objs SET createdmodseq = 0;" +
		"ALTER TABLE dav_objs ADD COLUMN createdmodseq INTEGER;" +
		"UPDATE dav_objs SET createdmodseq = 0;"},
	{8, "ALTER TABLE vcard_emails ADD COLUMN ispinned INTEGER NOT NULL DEFAULT 0;"},
	{9, createCalCache + createCardCache},
	{10, "CREATE UNIQUE INDEX IF NOT EXISTS idx_ical_imapuid ON ical_objs ( mailbox, imap_uid );" +
		"CREATE UNIQUE INDEX IF NOT EXISTS idx_vcard_imapuid ON vcard_objs ( mailbox, imap_uid );" +
		"CREATE UNIQUE INDEX IF NOT EXISTS idx_object_imapuid ON dav_objs ( mailbox, imap_uid );" +
		"DROP INDEX IF EXISTS idx_res_uid;"},
	{14, createSieve},
}
