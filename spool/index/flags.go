package index

import "strings"

// flagNames lists the flag bits in the order String prints them.
var flagNames = []struct {
	bit  Flags
	name string
}{
	{FlagAnswered, `\Answered`}, {FlagFlagged, `\Flagged`}, {FlagDeleted, `\Deleted`},
	{FlagDraft, `\Draft`}, {FlagSeen, `\Seen`},
	{FlagSnoozed, "SNOOZED"}, {FlagSplitConversation, "SPLITCONVERSATION"},
	{FlagNeedsCleanup, "NEEDS_CLEANUP"}, {FlagArchived, "ARCHIVED"},
	{FlagUnlinked, "UNLINKED"}, {FlagExpunged, "EXPUNGED"},
}

// String lists the set flags: IMAP names for system flags, upper-case
// names for internal flags, unknown bits as hex; "" if none is set.
func (f Flags) String() string {
	var parts []string
	for _, n := range flagNames {
		if f&n.bit != 0 {
			parts = append(parts, n.name)
			f &^= n.bit
		}
	}
	if f != 0 {
		parts = append(parts, "0x"+strings.ToUpper(formatHex(uint32(f))))
	}
	return strings.Join(parts, " ")
}

func formatHex(v uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	i := len(b)
	for {
		i--
		b[i] = digits[v&0xf]
		v >>= 4
		if v == 0 {
			return string(b[i:])
		}
	}
}
