package spool

import "strings"

// MBType is a mailbox type from mailboxes.db: a kind in the low 4 bits and
// flag bits above, with the same values as Cyrus uses in memory.
//
// cyrus: imap/mboxlist.h MBTYPE_* (3.6.1)
type MBType uint32

// Mailbox kinds (low 4 bits).
const (
	// KindEmail is an ordinary mail folder ('e').
	KindEmail MBType = 0
	// KindNetnews is a netnews folder ('n').
	KindNetnews MBType = 1
	// KindJMAPSubmission holds JMAP submissions ('s').
	KindJMAPSubmission MBType = 2
	// KindJMAPPushSub holds JMAP push subscriptions ('p').
	KindJMAPPushSub MBType = 3
	// KindJMAPNotify holds JMAP notifications ('j', 3.8+).
	KindJMAPNotify MBType = 4
	// KindSieve is the #sieve mailbox holding sieve scripts ('f').
	KindSieve MBType = 5
	// KindCollection is a DAV collection ('b').
	KindCollection MBType = 8
	// KindCalendar is a CalDAV calendar ('c').
	KindCalendar MBType = 9
	// KindAddressbook is a CardDAV addressbook ('a').
	KindAddressbook MBType = 10

	// KindMask selects the kind bits.
	KindMask MBType = 0xf
)

// Mailbox type flags.
const (
	// TypeRemote: the mailbox lives on another murder backend ('r').
	TypeRemote MBType = 0x10
	// TypeReserve: a placeholder while the mailbox is created ('z').
	TypeReserve MBType = 0x20
	// TypeMoving: the mailbox is being moved between servers ('m').
	TypeMoving MBType = 0x40
	// TypeDeleted: a tombstone left by rename or delete ('d').
	TypeDeleted MBType = 0x80
	// TypeIntermediate: a missing ancestor, without a directory ('i').
	TypeIntermediate MBType = 0x100
	// TypeLegacyDirs: the mailbox uses the by-name directory layout ('l').
	TypeLegacyDirs MBType = 0x200
)

var kindLetters = map[MBType]byte{
	KindEmail: 'e', KindNetnews: 'n', KindJMAPSubmission: 's', KindJMAPPushSub: 'p',
	KindJMAPNotify: 'j', KindSieve: 'f', KindCollection: 'b', KindCalendar: 'c', KindAddressbook: 'a',
}

// flag letters in the order Cyrus prints them.
var flagLetters = []struct {
	bit    MBType
	letter byte
}{{TypeDeleted, 'd'}, {TypeMoving, 'm'}, {TypeRemote, 'r'}, {TypeReserve, 'z'}, {TypeIntermediate, 'i'}, {TypeLegacyDirs, 'l'}}

// ParseMBType decodes a type string such as "e", "ed" or "fl". Like Cyrus
// it accepts a missing kind letter (email) and ignores unknown letters.
//
// cyrus: imap/mboxlist.c mboxlist_string_to_mbtype (3.6.1)
func ParseMBType(s string) MBType {
	var t MBType
	for i := 0; i < len(s); i++ {
		c := s[i]
		found := false
		for _, f := range flagLetters {
			if f.letter == c {
				t |= f.bit
				found = true
			}
		}
		if found {
			continue
		}
		for k, l := range kindLetters {
			if l == c {
				t = t&^KindMask | k
			}
		}
	}
	return t
}

// Kind returns the kind bits.
func (t MBType) Kind() MBType { return t & KindMask }

// Has reports whether all flag bits in f are set.
func (t MBType) Has(f MBType) bool { return t&f == f }

// String returns the type string as Cyrus writes it: the kind letter, then
// the flag letters in Cyrus's order.
//
// cyrus: imap/mboxlist.c mboxlist_mbtype_to_string (3.6.1)
func (t MBType) String() string {
	var b strings.Builder
	if l, ok := kindLetters[t.Kind()]; ok {
		b.WriteByte(l)
	} else {
		b.WriteByte('e')
	}
	for _, f := range flagLetters {
		if t&f.bit != 0 {
			b.WriteByte(f.letter)
		}
	}
	return b.String()
}
