package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// Mailbox is the MAILBOX kvlist: a `* MAILBOX` reply item of GET USER,
// MAILBOXES, UNIQUEIDS and FULLMAILBOX, and the argument of APPLY MAILBOX
// and RESTORE MAILBOX. Which optional keys are on the
// wire is in Present: Cyrus sends zeros for some keys and omits others
// depending on the case (intermediate, partial, GET or APPLY), so values
// alone cannot tell.
//
// cyrus: imap/sync_support.c sync_prepare_dlists, sync_mailbox_byentry,
// sync_apply_mailbox, sync_kl_parse (3.6.1; USERGROUPS, USERFLAGS 3.12.3)
type Mailbox struct {
	// UniqueID is the mailbox uniqueid, its identity across renames.
	UniqueID string
	// Name is MBOXNAME, the internal mailbox name (user.fred.Sent).
	Name string
	// Type is MBOXTYPE, "" for plain email; see spool.ParseMBType.
	// cyrus: imap/mboxlist.c mboxlist_mbtype_to_string (3.6.1)
	Type string
	// SyncCRC is SYNC_CRC.
	// cyrus: imap/mailbox.c mailbox_synccrcs, crc_basic (3.6.1)
	SyncCRC uint32
	// SyncCRCAnnot is SYNC_CRC_ANNOT.
	// cyrus: imap/mailbox.c mailbox_synccrcs, crc_annot, crc_virtannot (3.6.1)
	SyncCRCAnnot uint32
	// LastUID is LAST_UID, the highest UID ever assigned.
	LastUID uint32
	// HighestModseq is HIGHESTMODSEQ.
	HighestModseq uint64
	// RecentUID is RECENTUID, the owner's \Recent high-water mark.
	RecentUID uint32
	// RecentTime is RECENTTIME (seconds).
	RecentTime int64
	// LastAppendDate is LAST_APPENDDATE (seconds).
	LastAppendDate int64
	// POP3LastLogin is POP3_LAST_LOGIN (seconds).
	POP3LastLogin int64
	// POP3ShowAfter is POP3_SHOW_AFTER (seconds).
	POP3ShowAfter int64
	// XConvModseq is XCONVMODSEQ, the conversations DB modseq.
	XConvModseq uint64
	// RACLModseq is RACLMODSEQ (reverse ACLs).
	RACLModseq uint64
	// UserGroups is USERGROUPS (3.12+): group names joined with TAB.
	UserGroups string
	// UIDValidity is UIDVALIDITY.
	UIDValidity uint32
	// Partition is PARTITION, the target partition.
	Partition string
	// ACL is the Cyrus ACL string "id TAB rights TAB …".
	// cyrus: lib/acl_afs.c cyrus_acl_set (3.6.1)
	ACL string
	// Options are OPTIONS letters P, S, D, A, possibly "".
	// cyrus: imap/sync_support.c sync_encode_options (3.6.1)
	Options string
	// QuotaRoot is QUOTAROOT, informational.
	QuotaRoot string
	// CreatedModseq is CREATEDMODSEQ.
	CreatedModseq uint64
	// FolderModseq is FOLDERMODSEQ, the modseq of the last folder change.
	FolderModseq uint64
	// Annotations are the mailbox annotations (ANNOTATIONS); nil when the
	// key is absent.
	Annotations []ListAnnotation
	// UserFlags is USERFLAGS (3.12+): the mailbox's user flag names in slot
	// order; nil when the key is absent.
	UserFlags []string
	// SinceModseq is SINCE_MODSEQ, an APPLY precondition.
	// cyrus: imap/sync_support.c sync_apply_mailbox (3.6.1)
	SinceModseq uint64
	// SinceCRC is SINCE_CRC.
	SinceCRC uint32
	// SinceCRCAnnot is SINCE_CRC_ANNOT.
	SinceCRCAnnot uint32
	// Records is the RECORD list (APPLY, RESTORE, GET FULLMAILBOX); nil
	// when the key is absent, non-nil and empty for "RECORD ()".
	Records []Record
	// NilKeys are the string keys that came as NIL (Cyrus sends PARTITION
	// NIL and ACL NIL for an intermediate created by replication); they
	// read as "" and are sent as NIL again.
	NilKeys MailboxKeys
	// Present says which optional keys are on the wire.
	// ParseMailbox sets it; MailboxFromSpool and SetCyrusKeys set it as
	// Cyrus would. UNIQUEID and MBOXNAME are always sent; ANNOTATIONS,
	// USERFLAGS and RECORD are sent when their slice is non-nil.
	Present MailboxKeys
	// Extra holds keys of newer Cyrus versions (JMAPID, VERSION, …).
	Extra []Extra
}

// MailboxKeys is a set of MAILBOX keys.
type MailboxKeys uint32

// The optional MAILBOX keys.
const (
	KeyMboxType MailboxKeys = 1 << iota
	KeySyncCRC
	KeySyncCRCAnnot
	KeyLastUID
	KeyHighestModseq
	KeyRecentUID
	KeyRecentTime
	KeyLastAppendDate
	KeyPOP3LastLogin
	KeyPOP3ShowAfter
	KeyXConvModseq
	KeyRACLModseq
	KeyUserGroups
	KeyUIDValidity
	KeyPartition
	KeyACL
	KeyOptions
	KeyQuotaRoot
	KeyCreatedModseq
	KeyFolderModseq
	KeySinceModseq
	KeySinceCRC
	KeySinceCRCAnnot
)

// FullMailboxKeys are the keys Cyrus always sends for a mailbox that is
// neither intermediate nor partial.
const FullMailboxKeys = KeySyncCRC | KeySyncCRCAnnot | KeyLastUID | KeyHighestModseq | KeyRecentUID |
	KeyRecentTime | KeyLastAppendDate | KeyPOP3LastLogin | KeyPOP3ShowAfter | KeyUIDValidity |
	KeyPartition | KeyACL | KeyOptions

// Has reports whether every key of k is in s.
func (s MailboxKeys) Has(k MailboxKeys) bool { return s&k == k }

// Key returns "MAILBOX".
func (m *Mailbox) Key() string { return "MAILBOX" }

// SetCyrusKeys sets Present as Cyrus 3.6's sync_prepare_dlists does for a
// full (not partial) mailbox: FullMailboxKeys, MBOXTYPE if Type is set,
// the other optional keys if non-zero, SINCE_* if SinceModseq is non-zero.
func (m *Mailbox) SetCyrusKeys() {
	p := FullMailboxKeys
	opt := []struct {
		k  MailboxKeys
		on bool
	}{
		{KeyMboxType, m.Type != ""}, {KeyXConvModseq, m.XConvModseq != 0}, {KeyRACLModseq, m.RACLModseq != 0},
		{KeyUserGroups, m.UserGroups != ""}, {KeyQuotaRoot, m.QuotaRoot != ""},
		{KeyCreatedModseq, m.CreatedModseq != 0}, {KeyFolderModseq, m.FolderModseq != 0},
		{KeySinceModseq | KeySinceCRC | KeySinceCRCAnnot, m.SinceModseq != 0},
	}
	for _, o := range opt {
		if o.on {
			p |= o.k
		}
	}
	m.Present = p
}

// Intermediate reports whether MBOXTYPE marks an intermediate mailbox.
func (m *Mailbox) Intermediate() bool { return hasByte(m.Type, 'i') }

// Deleted reports whether MBOXTYPE marks a tombstone.
func (m *Mailbox) Deleted() bool { return hasByte(m.Type, 'd') }

func hasByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// mbKey is the presence of an optional MAILBOX key: its bit in Present
// and, for a string that came as NIL, in NilKeys.
func mbKey(k MailboxKeys) cond[Mailbox] {
	c := bitCond(func(m *Mailbox) *MailboxKeys { return &m.Present }, k)
	c.isNil = func(m *Mailbox) bool { return m.NilKeys&k != 0 }
	c.markNil = func(m *Mailbox) { m.NilKeys |= k }
	return c
}

// mailboxTable: UNIQUEID and MBOXNAME are required (intermediate mailboxes
// carry little else) and always sent; the keys with a bit in
// MailboxKeys are read if present and sent as Present says; ANNOTATIONS,
// USERFLAGS and RECORD are sent when their slice is non-nil.
var mailboxTable = newTable("MAILBOX", func(m *Mailbox) *[]Extra { return &m.Extra },
	strKey("UNIQUEID", func(m *Mailbox) *string { return &m.UniqueID }).required(),
	strKey("MBOXNAME", func(m *Mailbox) *string { return &m.Name }).required(),
	nilStrKey("MBOXTYPE", func(m *Mailbox) *string { return &m.Type }).when(mbKey(KeyMboxType)),
	u32Key("SYNC_CRC", func(m *Mailbox) *uint32 { return &m.SyncCRC }).when(mbKey(KeySyncCRC)),
	u32Key("SYNC_CRC_ANNOT", func(m *Mailbox) *uint32 { return &m.SyncCRCAnnot }).when(mbKey(KeySyncCRCAnnot)),
	u32Key("LAST_UID", func(m *Mailbox) *uint32 { return &m.LastUID }).when(mbKey(KeyLastUID)),
	u64Key("HIGHESTMODSEQ", func(m *Mailbox) *uint64 { return &m.HighestModseq }).when(mbKey(KeyHighestModseq)),
	u32Key("RECENTUID", func(m *Mailbox) *uint32 { return &m.RecentUID }).when(mbKey(KeyRecentUID)),
	dateKey("RECENTTIME", func(m *Mailbox) *int64 { return &m.RecentTime }).when(mbKey(KeyRecentTime)),
	dateKey("LAST_APPENDDATE", func(m *Mailbox) *int64 { return &m.LastAppendDate }).when(mbKey(KeyLastAppendDate)),
	dateKey("POP3_LAST_LOGIN", func(m *Mailbox) *int64 { return &m.POP3LastLogin }).when(mbKey(KeyPOP3LastLogin)),
	dateKey("POP3_SHOW_AFTER", func(m *Mailbox) *int64 { return &m.POP3ShowAfter }).when(mbKey(KeyPOP3ShowAfter)),
	u64Key("XCONVMODSEQ", func(m *Mailbox) *uint64 { return &m.XConvModseq }).when(mbKey(KeyXConvModseq)),
	u64Key("RACLMODSEQ", func(m *Mailbox) *uint64 { return &m.RACLModseq }).when(mbKey(KeyRACLModseq)),
	nilStrKey("USERGROUPS", func(m *Mailbox) *string { return &m.UserGroups }).when(mbKey(KeyUserGroups)),
	u32Key("UIDVALIDITY", func(m *Mailbox) *uint32 { return &m.UIDValidity }).when(mbKey(KeyUIDValidity)),
	nilStrKey("PARTITION", func(m *Mailbox) *string { return &m.Partition }).when(mbKey(KeyPartition)),
	nilStrKey("ACL", func(m *Mailbox) *string { return &m.ACL }).when(mbKey(KeyACL)),
	nilStrKey("OPTIONS", func(m *Mailbox) *string { return &m.Options }).when(mbKey(KeyOptions)),
	nilStrKey("QUOTAROOT", func(m *Mailbox) *string { return &m.QuotaRoot }).when(mbKey(KeyQuotaRoot)),
	u64Key("CREATEDMODSEQ", func(m *Mailbox) *uint64 { return &m.CreatedModseq }).when(mbKey(KeyCreatedModseq)),
	u64Key("FOLDERMODSEQ", func(m *Mailbox) *uint64 { return &m.FolderModseq }).when(mbKey(KeyFolderModseq)),
	itemsKey("ANNOTATIONS", func(m *Mailbox) *[]ListAnnotation { return &m.Annotations }, listAnnotationTable).omitZero(),
	flagsKey("USERFLAGS", func(m *Mailbox) *[]string { return &m.UserFlags }).omitZero(),
	u64Key("SINCE_MODSEQ", func(m *Mailbox) *uint64 { return &m.SinceModseq }).when(mbKey(KeySinceModseq)),
	u32Key("SINCE_CRC", func(m *Mailbox) *uint32 { return &m.SinceCRC }).when(mbKey(KeySinceCRC)),
	u32Key("SINCE_CRC_ANNOT", func(m *Mailbox) *uint32 { return &m.SinceCRCAnnot }).when(mbKey(KeySinceCRCAnnot)),
	itemsKey("RECORD", func(m *Mailbox) *[]Record { return &m.Records }, recordTable).omitZero(),
)

// ParseMailbox decodes a MAILBOX kvlist: every known key present is read
// and, if optional, recorded in Present; unknown keys are kept in Extra.
func ParseMailbox(v dlist.Value) (*Mailbox, error) { return parse(mailboxTable, v) }

// Value encodes the mailbox with the keys in Cyrus's order.
func (m *Mailbox) Value() dlist.Value { return mailboxTable.encode(m, nil) }
