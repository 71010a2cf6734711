package davdb

// What Cyrus 3.10.2's dav.db adds to 3.6.1's: JSCalendar tables and the
// JSContact cache (user_version 16), created with the rest on a new
// database, and the steps 15 and 16 that bring a 3.6 one there (the old
// JMAP caches dropped). The statement texts are Cyrus's.
//
// cyrus: imap/dav_db.c CMD_CREATE_JSCALOBJS, CMD_CREATE_JSCALCACHE,
// CMD_CREATE_JSCARDCACHE, CMD_DBUPGRADEv15, CMD_DBUPGRADEv16 (3.10.2)

// Version310 is the PRAGMA user_version of a 3.10.2 dav.db (DB_VERSION).
const Version310 = 16

const (
	createJSCalObjs = "CREATE TABLE IF NOT EXISTS jscal_objs (" +
		" rowid INTEGER NOT NULL," +
		" ical_recurid TEXT NOT NULL DEFAULT ''," +
		" modseq INTEGER NOT NULL," +
		" createdmodseq INTEGER NOT NULL," +
		" dtstart TEXT NOT NULL," +
		" dtend TEXT NOT NULL," +
		" alive INTEGER NOT NULL," +
		" ical_guid TEXT NOT NULL," +
		" PRIMARY KEY (rowid, ical_recurid)" +
		" FOREIGN KEY (rowid) REFERENCES ical_objs (rowid) ON DELETE CASCADE );"

	createJSCalCache = "CREATE TABLE IF NOT EXISTS jscal_cache (" +
		" rowid INTEGER NOT NULL," +
		" ical_recurid TEXT NOT NULL," +
		" userid TEXT NOT NULL," +
		" version INTEGER NOT NULL," +
		" data TEXT NOT NULL," +
		" PRIMARY KEY (rowid, ical_recurid, userid)" +
		" FOREIGN KEY (rowid, ical_recurid) REFERENCES jscal_objs (rowid, ical_recurid) ON DELETE CASCADE );"

	createJSCardCache = "CREATE TABLE IF NOT EXISTS jscard_cache (" +
		" rowid INTEGER NOT NULL," +
		" userid TEXT NOT NULL," +
		" jmapversion INTEGER NOT NULL," +
		" jmapdata TEXT NOT NULL," +
		" PRIMARY KEY (rowid, userid)" +
		" FOREIGN KEY (rowid) REFERENCES vcard_objs (rowid) ON DELETE CASCADE );"

	// createAll310 is 3.10's CMD_CREATE: 3.6's (the old caches included)
	// and the new tables.
	createAll310 = createAll + createJSCalObjs + createJSCalCache + createJSCardCache
)

// upgrades310 follow upgrades to 3.10's version.
var upgrades310 = []struct {
	to  int
	sql string
}{
	{15, "DROP TABLE ical_jmapcache;" + createJSCalObjs + createJSCalCache +
		"INSERT INTO jscal_objs SELECT rowid, '', modseq, createdmodseq, dtstart, dtend, alive, '' FROM ical_objs;"},
	{16, "DROP TABLE vcard_jmapcache;" + createJSCardCache},
}
