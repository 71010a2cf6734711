package protocol

import (
	"strings"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// syncOptions are the option bits replication carries, with their letters
// in Cyrus's order.
//
// cyrus: imap/sync_support.c sync_encode_options, sync_parse_options (3.6.1)
var syncOptions = []struct {
	bit    index.Options
	letter byte
}{
	{index.OptPOP3NewUIDL, 'P'}, {index.OptIMAPSharedSeen, 'S'},
	{index.OptIMAPDupDeliver, 'D'}, {index.OptIMAPHasAlarms, 'A'},
}

// EncodeOptions returns the OPTIONS letters of the syncable bits of o.
func EncodeOptions(o index.Options) string {
	var b []byte
	for _, s := range syncOptions {
		if o&s.bit != 0 {
			b = append(b, s.letter)
		}
	}
	return string(b)
}

// ParseOptions returns the bits of OPTIONS letters; unknown letters are
// ignored, as Cyrus does.
func ParseOptions(s string) index.Options {
	var o index.Options
	for i := 0; i < len(s); i++ {
		for _, x := range syncOptions {
			if s[i] == x.letter {
				o |= x.bit
			}
		}
	}
	return o
}

// ParseACL splits a Cyrus ACL string "id TAB rights TAB …" into entries.
// A trailing identifier without rights gets empty rights.
func ParseACL(s string) spool.ACL {
	if s == "" {
		return nil
	}
	f := strings.Split(strings.TrimSuffix(s, "\t"), "\t")
	acl := make(spool.ACL, 0, (len(f)+1)/2)
	for i := 0; i < len(f); i += 2 {
		e := spool.ACLEntry{ID: f[i]}
		if i+1 < len(f) {
			e.Rights = f[i+1]
		}
		acl = append(acl, e)
	}
	return acl
}

// MailboxFromSpool returns the MAILBOX Cyrus 3.6 sends for m (not partial),
// with the RECORD list if records is set (GET FULLMAILBOX, APPLY) and
// without (GET USER, MAILBOXES). Present is set with SetCyrusKeys.
//
// cyrus: imap/sync_support.c sync_prepare_dlists (3.6.1)
func MailboxFromSpool(m *spool.Mailbox, records bool) *Mailbox {
	out := &Mailbox{
		UniqueID: m.UniqueID, Name: m.Name, SyncCRC: m.SyncCRC, SyncCRCAnnot: m.SyncCRCAnnot,
		LastUID: m.LastUID, HighestModseq: m.HighestModseq, RecentUID: m.RecentUID,
		RecentTime: m.RecentTime, LastAppendDate: m.LastAppendDate, POP3LastLogin: m.POP3LastLogin,
		POP3ShowAfter: m.POP3ShowAfter, UIDValidity: m.UIDValidity, Partition: m.Partition,
		ACL: m.ACL.String(), Options: EncodeOptions(m.Options), QuotaRoot: m.QuotaRoot,
		CreatedModseq: m.CreatedModseq, FolderModseq: m.FolderModseq,
		Annotations: ListAnnotationsFromSpool(m.Annotations),
	}
	if t := m.Type &^ spool.TypeLegacyDirs; t != 0 {
		out.Type = t.String()
	}
	if records {
		out.Records = make([]Record, len(m.Records))
		for i := range m.Records {
			out.Records[i] = RecordFromSpool(&m.Records[i], m.IndexVersion)
		}
	}
	out.SetCyrusKeys()
	return out
}

// DefaultIndexVersion is the cyrus.index minor version ToSpool gives a
// mailbox: recent enough (≥ 16) that every pseudo-annotation received
// counts in the CRCs, as it did for the sender.
const DefaultIndexVersion = 19

// ToSpool converts the mailbox to the spool model, with IndexVersion
// DefaultIndexVersion. User flag slots come from USERFLAGS if present,
// else from the user flags of the records in order of appearance; mailbox
// annotations get UID 0. Calling ComputeSyncCRCs on the result recomputes
// SYNC_CRC and SYNC_CRC_ANNOT from the RECORD list.
func (m *Mailbox) ToSpool() *spool.Mailbox {
	out := &spool.Mailbox{
		UniqueID: m.UniqueID, Name: m.Name, Type: spool.ParseMBType(m.Type), Partition: m.Partition,
		ACL: ParseACL(m.ACL), UIDValidity: m.UIDValidity, CreatedModseq: m.CreatedModseq,
		FolderModseq: m.FolderModseq, IndexVersion: DefaultIndexVersion, SyncCRC: m.SyncCRC,
		SyncCRCAnnot: m.SyncCRCAnnot, LastUID: m.LastUID, HighestModseq: m.HighestModseq,
		RecentUID: m.RecentUID, RecentTime: m.RecentTime, LastAppendDate: m.LastAppendDate,
		POP3LastLogin: m.POP3LastLogin, POP3ShowAfter: m.POP3ShowAfter, Options: ParseOptions(m.Options),
		QuotaRoot: m.QuotaRoot, UserFlags: m.UserFlags,
	}
	for i := range m.Annotations {
		out.Annotations = append(out.Annotations, m.Annotations[i].toSpool(0))
	}
	seen := map[string]bool{}
	for _, u := range m.UserFlags {
		seen[u] = true
	}
	out.Records = make([]spool.Record, len(m.Records))
	for i := range m.Records {
		out.Records[i] = m.Records[i].ToSpool()
		if m.UserFlags == nil {
			for _, u := range out.Records[i].UserFlags {
				if !seen[u] {
					seen[u] = true
					out.UserFlags = append(out.UserFlags, u)
				}
			}
		}
	}
	return out
}
