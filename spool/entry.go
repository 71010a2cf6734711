package spool

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// ACLEntry is one identifier and its rights letters. Identifiers starting
// with '-' carry negative rights.
type ACLEntry struct {
	// ID is the identifier: a user, a group ("group:…"), "anyone", …
	ID string
	// Rights are the rights letters, e.g. "lrswipkxtecdan".
	Rights string
}

// ACL is an access control list in stored order.
type ACL []ACLEntry

// String returns the ACL in Cyrus's in-memory and sync protocol form
// "id TAB rights TAB …" (with a trailing TAB; "" for an empty ACL).
func (a ACL) String() string {
	var b strings.Builder
	for _, e := range a {
		b.WriteString(e.ID)
		b.WriteByte('\t')
		b.WriteString(e.Rights)
		b.WriteByte('\t')
	}
	return b.String()
}

// Rights returns the rights of id, and whether id is in the list.
func (a ACL) Rights(id string) (string, bool) {
	for _, e := range a {
		if e.ID == id {
			return e.Rights, true
		}
	}
	return "", false
}

// HistoryEntry is one former name of a mailbox, from the H list of its I
// record (newest first).
type HistoryEntry struct {
	// Name is the former internal name.
	Name string
	// Type is the type the entry had under that name (usually a tombstone).
	Type MBType
	// Partition is the former partition, if recorded.
	Partition string
	// UIDValidity, CreatedModseq and FolderModseq are the values then.
	UIDValidity   uint32
	CreatedModseq uint64
	FolderModseq  uint64
	// MTime is when the mailbox left that name (Unix seconds).
	MTime int64
}

// Entry is one mailboxes.db entry, decoded from an N record (by name) or an
// I record (by uniqueid; only those carry History).
//
// cyrus: imap/mboxlist.c mboxlist_entry_cstring, mboxlist_parse_entry (3.6.1)
type Entry struct {
	// Name is the internal mailbox name ("user.alice.Sent").
	Name string
	// Type is the mailbox type (T).
	Type MBType
	// UniqueID is the mailbox uniqueid (I field of N records, key of I
	// records).
	UniqueID string
	// Partition is the partition name (P); empty in tombstones.
	Partition string
	// Server is the murder backend (S), remote mailboxes only.
	Server string
	// UIDValidity is the mailbox UIDVALIDITY (V).
	UIDValidity uint32
	// CreatedModseq is the modseq at creation (C).
	CreatedModseq uint64
	// FolderModseq is the modseq of the last folder-level change (F).
	FolderModseq uint64
	// MTime is when the entry was last written (M, Unix seconds).
	MTime int64
	// ACL is the access control list (A); nil in tombstones (no A field),
	// non-nil but empty for "A %()".
	ACL ACL
	// History lists former names, newest first (I records only).
	History []HistoryEntry
}

// Deleted reports whether the entry is a tombstone (type flag 'd').
func (e *Entry) Deleted() bool { return e.Type&TypeDeleted != 0 }

// Intermediate reports whether the entry stands for a missing ancestor.
func (e *Entry) Intermediate() bool { return e.Type&TypeIntermediate != 0 }

// LegacyDirs reports whether the mailbox uses the by-name directory layout.
func (e *Entry) LegacyDirs() bool { return e.Type&TypeLegacyDirs != 0 }

// HasFiles reports whether the entry is a real local mailbox with a
// directory and index (not a tombstone, intermediate, reserved, moving or
// remote entry, and with a partition).
//
// cyrus: imap/mailbox.c mailbox_open_advanced (3.6.1)
func (e *Entry) HasFiles() bool {
	return e.Type&(TypeDeleted|TypeIntermediate|TypeReserve|TypeMoving|TypeRemote) == 0 && e.Partition != ""
}

// DBName converts an internal mailbox name to the form mailboxes.db keys
// use: levels joined by 0x1F with real dots, a domain followed by 0x1D.
//
// cyrus: imap/mboxname.c mbname_dbname (3.6.1)
func DBName(intname string) string {
	var b strings.Builder
	if dom, rest, ok := strings.Cut(intname, "!"); ok {
		b.WriteString(dom)
		b.WriteByte(0x1D)
		intname = rest
	}
	for i := 0; i < len(intname); i++ {
		switch c := intname[i]; c {
		case '.':
			b.WriteByte(0x1F)
		case '^':
			b.WriteByte('.')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// IntName converts a mailboxes.db dbname back to an internal name.
//
// cyrus: imap/mboxname.c mbname_from_dbname (3.6.1)
func IntName(dbname string) string {
	var b strings.Builder
	if dom, rest, ok := strings.Cut(dbname, "\x1D"); ok {
		b.WriteString(dom)
		b.WriteByte('!')
		dbname = rest
	}
	for i := 0; i < len(dbname); i++ {
		switch c := dbname[i]; c {
		case 0x1F:
			b.WriteByte('.')
		case '.':
			b.WriteByte('^')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// errEntry is wrapped by every entry decoding error.
var errEntry = errors.New("bad mailboxes.db entry")

// parseEntry decodes the dlist value of an N record (byID false, the key's
// dbname given) or of an I record (byID true, the uniqueid given).
//
// cyrus: imap/mboxlist.c mboxlist_parse_entry (3.6.1)
func parseEntry(key string, byID bool, value []byte) (*Entry, error) {
	if len(value) == 0 || value[0] != '%' {
		return nil, fmt.Errorf("%w: value is not a dlist kvlist (un-upgraded pre-3.6 mailboxes.db?)", errEntry)
	}
	v, err := dlist.Unmarshal(value, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errEntry, err)
	}
	if _, err := v.AsKVList(); err != nil {
		return nil, fmt.Errorf("%w: %v", errEntry, err)
	}
	e := &Entry{}
	if byID {
		e.UniqueID = key
	} else {
		e.Name = IntName(key)
	}
	if err := fillEntry(v, e, byID); err != nil {
		return nil, fmt.Errorf("%w: %v", errEntry, err)
	}
	return e, nil
}

// fillEntry sets the fields of e from the kvlist v.
func fillEntry(v dlist.Value, e *Entry, byID bool) error {
	for _, kv := range v.Pairs() {
		var err error
		switch kv.Key {
		case "T":
			var s string
			s, err = kv.Value.AsString()
			e.Type = ParseMBType(s)
		case "I":
			if !byID {
				e.UniqueID, err = optString(kv.Value)
			}
		case "N":
			if byID {
				var s string
				s, err = kv.Value.AsString()
				e.Name = IntName(s)
			}
		case "P":
			e.Partition, err = optString(kv.Value)
		case "S":
			e.Server, err = optString(kv.Value)
		case "V":
			e.UIDValidity, err = kv.Value.AsUint32()
		case "C":
			e.CreatedModseq, err = kv.Value.AsUint64()
		case "F":
			e.FolderModseq, err = kv.Value.AsUint64()
		case "M":
			var n uint64
			n, err = kv.Value.AsUint64()
			e.MTime = int64(n)
		case "A":
			e.ACL, err = parseACL(kv.Value)
		case "H":
			if byID {
				e.History, err = parseHistory(kv.Value)
			}
		}
		if err != nil {
			return fmt.Errorf("field %s: %w", kv.Key, err)
		}
	}
	return nil
}

func optString(v dlist.Value) (string, error) {
	if v.IsNil() {
		return "", nil
	}
	return v.AsString()
}

// parseACL decodes the A kvlist %(id rights …).
func parseACL(v dlist.Value) (ACL, error) {
	if v.IsNil() {
		return nil, nil
	}
	if _, err := v.AsKVList(); err != nil {
		return nil, err
	}
	// An empty "A %()" stays a non-nil empty ACL so that it is written back.
	acl := ACL{}
	for _, kv := range v.Pairs() {
		r, err := optString(kv.Value)
		if err != nil {
			return nil, err
		}
		acl = append(acl, ACLEntry{ID: kv.Key, Rights: r})
	}
	return acl, nil
}

// parseHistory decodes the H list of an I record.
func parseHistory(v dlist.Value) ([]HistoryEntry, error) {
	if v.IsNil() {
		return nil, nil
	}
	items, err := v.AsList()
	if err != nil {
		return nil, err
	}
	var out []HistoryEntry
	for _, it := range items {
		var e Entry
		if _, err := it.AsKVList(); err != nil {
			return nil, err
		}
		if err := fillEntry(it, &e, true); err != nil {
			return nil, err
		}
		out = append(out, HistoryEntry{Name: e.Name, Type: e.Type, Partition: e.Partition,
			UIDValidity: e.UIDValidity, CreatedModseq: e.CreatedModseq, FolderModseq: e.FolderModseq, MTime: e.MTime})
	}
	return out, nil
}
