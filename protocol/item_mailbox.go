package protocol

import (
	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// Mailbox is the MAILBOX kvlist: a `* MAILBOX` reply item of GET USER,
// MAILBOXES, UNIQUEIDS and FULLMAILBOX, and the argument of APPLY MAILBOX
// and RESTORE MAILBOX (protocol.md §4.6.1). Which optional keys are on the
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
	// Type is MBOXTYPE (protocol.md §4.7.1), "" for plain email; see
	// spool.ParseMBType.
	Type string
	// SyncCRC is SYNC_CRC (protocol.md §5.2).
	SyncCRC uint32
	// SyncCRCAnnot is SYNC_CRC_ANNOT (protocol.md §5.3).
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
	// ACL is the Cyrus ACL string "id TAB rights TAB …" (§4.7.4).
	ACL string
	// Options are OPTIONS letters P, S, D, A (§4.7.2), possibly "".
	Options string
	// QuotaRoot is QUOTAROOT, informational.
	QuotaRoot string
	// CreatedModseq is CREATEDMODSEQ.
	CreatedModseq uint64
	// FolderModseq is FOLDERMODSEQ, the modseq of the last folder change.
	FolderModseq uint64
	// Annotations are the mailbox annotations (ANNOTATIONS); nil when the
	// key is absent.
	Annotations []Annot
	// UserFlags is USERFLAGS (3.12+): the mailbox's user flag names in slot
	// order; nil when the key is absent.
	UserFlags []string
	// SinceModseq is SINCE_MODSEQ, an APPLY precondition (§5.6).
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

// mailboxField is one MAILBOX key: its bit in Present (0: always sent),
// how to read it and how to write it.
type mailboxField struct {
	key string
	bit MailboxKeys
	str bool // a string key, which may come as NIL
	get func(*Mailbox) dlist.Value
	set func(*Mailbox, *kvReader, dlist.KV)
}

func mbStr(p func(*Mailbox) *string) (func(*Mailbox) dlist.Value, func(*Mailbox, *kvReader, dlist.KV)) {
	return func(m *Mailbox) dlist.Value { return dlist.String(*p(m)) },
		func(m *Mailbox, r *kvReader, kv dlist.KV) { *p(m) = r.str(kv) }
}

func mbU32(p func(*Mailbox) *uint32) (func(*Mailbox) dlist.Value, func(*Mailbox, *kvReader, dlist.KV)) {
	return func(m *Mailbox) dlist.Value { return dlist.Uint32(*p(m)) },
		func(m *Mailbox, r *kvReader, kv dlist.KV) { *p(m) = r.u32(kv) }
}

func mbU64(p func(*Mailbox) *uint64) (func(*Mailbox) dlist.Value, func(*Mailbox, *kvReader, dlist.KV)) {
	return func(m *Mailbox) dlist.Value { return dlist.Uint64(*p(m)) },
		func(m *Mailbox, r *kvReader, kv dlist.KV) { *p(m) = r.u64(kv) }
}

func mbDate(p func(*Mailbox) *int64) (func(*Mailbox) dlist.Value, func(*Mailbox, *kvReader, dlist.KV)) {
	return func(m *Mailbox) dlist.Value { return date(*p(m)) },
		func(m *Mailbox, r *kvReader, kv dlist.KV) { *p(m) = r.date(kv) }
}

func field(key string, bit MailboxKeys, get func(*Mailbox) dlist.Value, set func(*Mailbox, *kvReader, dlist.KV)) mailboxField {
	return mailboxField{key: key, bit: bit, get: get, set: set}
}

// mailboxFields are the MAILBOX keys in Cyrus's emission order.
var mailboxFields []mailboxField

// mailboxIndex maps a key to its position in mailboxFields.
var mailboxIndex = map[string]int{}

func init() {
	strKeys := map[string]bool{"MBOXTYPE": true, "USERGROUPS": true, "PARTITION": true, "ACL": true, "OPTIONS": true, "QUOTAROOT": true}
	f := func(key string, bit MailboxKeys, g func(*Mailbox) dlist.Value, s func(*Mailbox, *kvReader, dlist.KV)) {
		mailboxIndex[key] = len(mailboxFields)
		mailboxFields = append(mailboxFields, field(key, bit, g, s))
		mailboxFields[len(mailboxFields)-1].str = strKeys[key]
	}
	g, s := mbStr(func(m *Mailbox) *string { return &m.UniqueID })
	f("UNIQUEID", 0, g, s)
	g, s = mbStr(func(m *Mailbox) *string { return &m.Name })
	f("MBOXNAME", 0, g, s)
	g, s = mbStr(func(m *Mailbox) *string { return &m.Type })
	f("MBOXTYPE", KeyMboxType, g, s)
	g, s = mbU32(func(m *Mailbox) *uint32 { return &m.SyncCRC })
	f("SYNC_CRC", KeySyncCRC, g, s)
	g, s = mbU32(func(m *Mailbox) *uint32 { return &m.SyncCRCAnnot })
	f("SYNC_CRC_ANNOT", KeySyncCRCAnnot, g, s)
	g, s = mbU32(func(m *Mailbox) *uint32 { return &m.LastUID })
	f("LAST_UID", KeyLastUID, g, s)
	g, s = mbU64(func(m *Mailbox) *uint64 { return &m.HighestModseq })
	f("HIGHESTMODSEQ", KeyHighestModseq, g, s)
	g, s = mbU32(func(m *Mailbox) *uint32 { return &m.RecentUID })
	f("RECENTUID", KeyRecentUID, g, s)
	g, s = mbDate(func(m *Mailbox) *int64 { return &m.RecentTime })
	f("RECENTTIME", KeyRecentTime, g, s)
	g, s = mbDate(func(m *Mailbox) *int64 { return &m.LastAppendDate })
	f("LAST_APPENDDATE", KeyLastAppendDate, g, s)
	g, s = mbDate(func(m *Mailbox) *int64 { return &m.POP3LastLogin })
	f("POP3_LAST_LOGIN", KeyPOP3LastLogin, g, s)
	g, s = mbDate(func(m *Mailbox) *int64 { return &m.POP3ShowAfter })
	f("POP3_SHOW_AFTER", KeyPOP3ShowAfter, g, s)
	g, s = mbU64(func(m *Mailbox) *uint64 { return &m.XConvModseq })
	f("XCONVMODSEQ", KeyXConvModseq, g, s)
	g, s = mbU64(func(m *Mailbox) *uint64 { return &m.RACLModseq })
	f("RACLMODSEQ", KeyRACLModseq, g, s)
	g, s = mbStr(func(m *Mailbox) *string { return &m.UserGroups })
	f("USERGROUPS", KeyUserGroups, g, s)
	g, s = mbU32(func(m *Mailbox) *uint32 { return &m.UIDValidity })
	f("UIDVALIDITY", KeyUIDValidity, g, s)
	g, s = mbStr(func(m *Mailbox) *string { return &m.Partition })
	f("PARTITION", KeyPartition, g, s)
	g, s = mbStr(func(m *Mailbox) *string { return &m.ACL })
	f("ACL", KeyACL, g, s)
	g, s = mbStr(func(m *Mailbox) *string { return &m.Options })
	f("OPTIONS", KeyOptions, g, s)
	g, s = mbStr(func(m *Mailbox) *string { return &m.QuotaRoot })
	f("QUOTAROOT", KeyQuotaRoot, g, s)
	g, s = mbU64(func(m *Mailbox) *uint64 { return &m.CreatedModseq })
	f("CREATEDMODSEQ", KeyCreatedModseq, g, s)
	g, s = mbU64(func(m *Mailbox) *uint64 { return &m.FolderModseq })
	f("FOLDERMODSEQ", KeyFolderModseq, g, s)
	f("ANNOTATIONS", 0, nil, func(m *Mailbox, r *kvReader, kv dlist.KV) {
		var err error
		m.Annotations, err = parseAnnots(r.list(kv), nil)
		r.fail(kv.Key, err)
	})
	f("USERFLAGS", 0, nil, func(m *Mailbox, r *kvReader, kv dlist.KV) { m.UserFlags = r.flagList(kv, nil) })
	g, s = mbU64(func(m *Mailbox) *uint64 { return &m.SinceModseq })
	f("SINCE_MODSEQ", KeySinceModseq, g, s)
	g, s = mbU32(func(m *Mailbox) *uint32 { return &m.SinceCRC })
	f("SINCE_CRC", KeySinceCRC, g, s)
	g, s = mbU32(func(m *Mailbox) *uint32 { return &m.SinceCRCAnnot })
	f("SINCE_CRC_ANNOT", KeySinceCRCAnnot, g, s)
	f("RECORD", 0, nil, func(m *Mailbox, r *kvReader, kv dlist.KV) {
		items := r.list(kv)
		m.Records = make([]Record, len(items))
		ar := newArena(items)
		for i, it := range items {
			if err := m.Records[i].parse(it, ar); err != nil {
				r.fail(kv.Key, err)
				m.Records = nil
				return
			}
		}
	})
	if len(mailboxFields) > 64 {
		panic("protocol: too many MAILBOX keys")
	}
}

// ParseMailbox decodes a MAILBOX kvlist. UNIQUEID and MBOXNAME are
// required (intermediate mailboxes carry little else); every other known
// key is read if present and recorded in Present; unknown keys are kept in
// Extra.
func ParseMailbox(v dlist.Value) (*Mailbox, error) { return parseMailbox(v, true) }

// parseMailbox is ParseMailbox; RESTORE does not require UNIQUEID.
func parseMailbox(v dlist.Value, uniqueID bool) (*Mailbox, error) {
	m := &Mailbox{}
	r := kvReader{}
	if !r.begin("MAILBOX", v) {
		return nil, r.result()
	}
	for _, kv := range v.Pairs() {
		i, ok := mailboxIndex[kv.Key]
		if !ok {
			r.keep(kv)
			continue
		}
		if r.first(uint(i), kv) {
			f := &mailboxFields[i]
			f.set(m, &r, kv)
			m.Present |= f.bit
			if kv.Value.IsNil() && f.str {
				m.NilKeys |= f.bit
			}
		}
	}
	if uniqueID {
		r.require([]string{"UNIQUEID"}, 0)
	}
	r.require([]string{"MBOXNAME"}, 1)
	m.Extra = r.extra
	if err := r.result(); err != nil {
		return nil, err
	}
	return m, nil
}

// Value encodes the mailbox with the keys in Cyrus's order.
func (m *Mailbox) Value() dlist.Value {
	w := newKVWriter(len(mailboxFields), m.Extra)
	for i := range mailboxFields {
		f := &mailboxFields[i]
		switch f.key {
		case "ANNOTATIONS":
			if m.Annotations != nil {
				w.add(f.key, annotsValue(m.Annotations))
			}
		case "USERFLAGS":
			if m.UserFlags != nil {
				items := make([]dlist.Value, len(m.UserFlags))
				for j, u := range m.UserFlags {
					items[j] = dlist.Flag(u)
				}
				w.add(f.key, dlist.List(items...))
			}
		case "RECORD":
			if m.Records != nil {
				items := make([]dlist.Value, len(m.Records))
				ar := newEncArena(m.Records)
				for j := range m.Records {
					items[j] = m.Records[j].value(ar)
				}
				w.add(f.key, dlist.List(items...))
			}
		default:
			switch {
			case f.bit != 0 && m.NilKeys&f.bit != 0:
				w.add(f.key, dlist.Nil())
			case f.bit == 0 || m.Present&f.bit != 0:
				w.add(f.key, f.get(m))
			}
		}
	}
	return w.value()
}
