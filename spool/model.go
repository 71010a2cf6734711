package spool

import (
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// Flags are the IMAP system flags and Cyrus internal flags of a record,
// with the same bit values as cyrus.index (index.Flags).
type Flags = index.Flags

// systemFlagNames are the system flags in the order Cyrus's sync protocol
// lists them, \Expunged being the internal EXPUNGED flag.
//
// cyrus: imap/sync_support.c sync_print_flags (3.6.1)
var systemFlagNames = []struct {
	bit      Flags
	internal bool
	name     string
}{
	{index.FlagDeleted, false, `\Deleted`},
	{index.FlagAnswered, false, `\Answered`},
	{index.FlagFlagged, false, `\Flagged`},
	{index.FlagDraft, false, `\Draft`},
	{index.FlagExpunged, true, `\Expunged`},
	{index.FlagSeen, false, `\Seen`},
}

// Mailbox is what replication needs of one mailbox: its mailboxes.db entry,
// index header, cyrus.header and records, read as one consistent state.
type Mailbox struct {
	// UniqueID, Name, Type, Partition, ACL, UIDValidity, CreatedModseq and
	// FolderModseq come from mailboxes.db.
	UniqueID      string
	Name          string
	Type          MBType
	Partition     string
	ACL           ACL
	UIDValidity   uint32
	CreatedModseq uint64
	FolderModseq  uint64

	// IndexVersion is the cyrus.index minor version (17–19).
	IndexVersion uint32
	// SyncCRC and SyncCRCAnnot are the CRCs stored in the index header
	// (what Cyrus's sync_server reports; see ComputeSyncCRCs).
	SyncCRC, SyncCRCAnnot uint32
	// LastUID is the highest UID ever assigned.
	LastUID uint32
	// HighestModseq is the mailbox's HIGHESTMODSEQ.
	HighestModseq uint64
	// RecentUID and RecentTime are the owner's \Recent high-water mark.
	RecentUID  uint32
	RecentTime int64
	// LastAppendDate, POP3LastLogin and POP3ShowAfter are index header
	// times (Unix seconds).
	LastAppendDate int64
	POP3LastLogin  int64
	POP3ShowAfter  int64
	// IndexHeader is the complete cyrus.index header (counters, CRCs).
	IndexHeader index.Header
	// Options are the index header option bits.
	Options index.Options
	// QuotaRoot is the quota root from cyrus.header, "" if none.
	QuotaRoot string
	// UserFlags are the user-flag names by slot ("" for a free slot).
	UserFlags []string
	// Annotations are the mailbox-level annotations (annotations.db).
	Annotations []Annotation
	// Records are all index records in UID order, expunged ones included.
	Records []Record

	owner string
	entry *Entry
}

// Owner returns the userid owning the mailbox ("" for shared mailboxes);
// it is set by Snapshot.
func (m *Mailbox) Owner() string { return m.owner }

// Entry returns the mailboxes.db entry the mailbox was read under.
func (m *Mailbox) Entry() *Entry { return m.entry }

// Record is one message of a mailbox.
type Record struct {
	// UID is the message UID.
	UID uint32
	// Modseq is the record's modseq; LastUpdated the time of its last
	// change.
	Modseq      uint64
	LastUpdated int64
	// InternalDate is the IMAP INTERNALDATE (Unix seconds).
	InternalDate int64
	// Size is the message file's size in bytes.
	Size uint64
	// GUID is the SHA-1 of the message file.
	GUID guid.GUID
	// System holds the IMAP system flags and the internal flags
	// (expunged, unlinked, archived, …).
	System Flags
	// UserFlags are the names of the set user flags, in slot order.
	// Records of a snapshot with the same flags share the slice: do not
	// modify it in place (appending copies).
	UserFlags []string
	// SaveDate, CreatedModseq and CID travel as pseudo-annotations.
	SaveDate      int64
	CreatedModseq uint64
	CID           uint64
	// Annotations are the message's stored annotations (cyrus.annotations),
	// tombstones included.
	Annotations []Annotation
}

// Expunged reports whether the record is expunged.
func (r *Record) Expunged() bool { return r.System&index.FlagExpunged != 0 }

// Archived reports whether the message file is on the archive partition.
func (r *Record) Archived() bool { return r.System&index.FlagArchived != 0 }

// Unlinked reports whether the message file has been removed.
func (r *Record) Unlinked() bool { return r.System&index.FlagUnlinked != 0 }

// FlagNames returns the flags as the sync protocol lists them: system
// flags in Cyrus's order (\Deleted \Answered \Flagged \Draft \Expunged
// \Seen), then the user flags in slot order.
func (r *Record) FlagNames() []string {
	var out []string
	for _, f := range systemFlagNames {
		if r.System&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	return append(out, r.UserFlags...)
}

// Seen is one mailbox's entry in a user's seen database (for mailboxes the
// user does not own).
//
// cyrus: imap/seen_db.c (3.6.1)
type Seen struct {
	// UniqueID is the mailbox's uniqueid (the key).
	UniqueID string
	// LastRead is when the user last read the mailbox.
	LastRead int64
	// LastUID is the highest UID the user has seen.
	LastUID uint32
	// LastChange is when the seen state last changed.
	LastChange int64
	// SeenUIDs is the seen set in IMAP sequence syntax ("1:3,5").
	SeenUIDs string
}

// Subscriptions are a user's subscribed mailbox names (internal names,
// the "INBOX" abbreviation expanded), in file order.
type Subscriptions struct {
	// UserID is the subscribing user.
	UserID string
	// Names are internal mailbox names.
	Names []string
}

// Quota resources, as the quotalegacy file names them.
const (
	// ResStorage is storage: used in bytes, limit in KiB.
	ResStorage = "S"
	// ResMessage is the number of messages.
	ResMessage = "M"
	// ResAnnotStorage is annotation storage: used in bytes, limit in KiB.
	ResAnnotStorage = "AS"
	// ResNumFolders is the number of mailboxes.
	ResNumFolders = "NF"

	quotaResourceCount = 4
)

// QuotaResources lists the resources in Cyrus's order.
var QuotaResources = [quotaResourceCount]string{ResStorage, ResMessage, ResAnnotStorage, ResNumFolders}

// Quota is one quota root: usage and limits per resource.
//
// cyrus: imap/quota_db.c quota_read, quota_write (3.6.1)
type Quota struct {
	// Root is the quota root (an internal mailbox name).
	Root string
	// Used is the usage per resource: bytes for S and AS, counts for M and
	// NF.
	Used map[string]int64
	// Limit is the limit per resource (KiB for S and AS); a resource
	// without a limit is absent.
	Limit map[string]int64
	// Modseq is the quota root's modseq.
	Modseq uint64
}

// SieveScript is one sieve script as 3.6 stores it: a message in the
// user's #sieve mailbox.
type SieveScript struct {
	// Name is the script name (the message's Subject).
	Name string
	// ID is the script id (the attachment file name without ".sieve").
	ID string
	// Content is the script source.
	Content []byte
	// Active marks the active script (\Flagged in #sieve).
	Active bool
	// UID is the message's UID in #sieve.
	UID uint32
	// LastUpdated is when the script was stored: its record's
	// INTERNALDATE, as dav.db's lastupdated column keeps it.
	LastUpdated int64
	// GUID is the SHA-1 of the script content.
	GUID guid.GUID
}
