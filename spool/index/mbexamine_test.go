package index

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixtures *.index are real cyrus.index files written by Cyrus 3.6.1
// (see testdata/mkfixtures.sh); *.mbexamine.golden is what Cyrus's
// "mbexamine" printed for the same mailbox.
var realIndexes = []string{
	"user.cassandane",         // 5 records, UID 4 expunged, system and 41 user flags
	"user.cassandane.Archive", // copies
	"user.user1",              // plain deliveries
	"user.cassandane.F00",     // empty mailbox
	"user.cassandane.with_space",
}

// examine renders idx the way mbexamine's do_examine prints the index part
// (imap/mbexamine.c, 3.6.1), without the cache items and without ctime
// strings. Like mbexamine it shows the in-memory view: POP3_NEW_UIDL is set
// when exists is 0, a zero highestmodseq reads as 1, expunged records are
// skipped.
func examine(idx *Index) []string {
	h := idx.Header
	opts := h.Options
	if h.Exists == 0 {
		opts |= OptPOP3NewUIDL
	}
	var optNames string
	if opts == 0 {
		optNames = " NONE"
	}
	for _, o := range []struct {
		bit  Options
		name string
	}{{OptPOP3NewUIDL, "POP3_NEW_UIDL"}, {OptIMAPSharedSeen, "IMAP_SHAREDSEEN"}, {OptIMAPDupDeliver, "IMAP_DUPDELIVER"}, {OptIMAPHasAlarms, "IMAP_HAS_ALARMS"}} {
		if opts&o.bit != 0 {
			optNames += " " + o.name
		}
	}
	hms := h.HighestModseq
	if hms == 0 {
		hms = 1
	}
	out := []string{
		fmt.Sprintf("  Generation Number: %d", h.GenerationNo),
		fmt.Sprintf("  Minor Version: %d", h.MinorVersion),
		fmt.Sprintf("  Header Size: %d bytes  Record Size: %d bytes", h.StartOffset, h.RecordSize),
		fmt.Sprintf("  Number of Messages: %d  Mailbox Size: %d bytes  Annotations Size: %d bytes", h.Exists, h.QuotaMailboxUsed, h.QuotaAnnotUsed),
		fmt.Sprintf("  Last Append Date: (%d)", h.LastAppendDate),
		fmt.Sprintf("  UIDValidity: %d  Last UID: %d", h.UIDValidity, h.LastUID),
		fmt.Sprintf("  Deleted: %d  Answered: %d  Flagged: %d", h.Deleted, h.Answered, h.Flagged),
		"  Mailbox Options:" + optNames,
		fmt.Sprintf("  Last POP3 Login: (%d)", h.POP3LastLogin),
		fmt.Sprintf("  Highest Mod Sequence: %d", hms),
	}
	for i := range idx.Records {
		r := &idx.Records[i]
		if r.Expunged() {
			continue
		}
		out = append(out,
			fmt.Sprintf("000001> UID:%08d   INT_DATE:%d SENTDATE:%d SAVEDATE:%d SIZE:%-6d", r.UID, r.InternalDate, r.SentDate, r.SaveDate, r.Size),
			fmt.Sprintf("      > HDRSIZE:%-6d LASTUPD :%d SYSFLAGS:%08X      > CACHEVER:%-2d GUID:%s MODSEQ:%d  THRID: %x",
				r.HeaderSize, r.LastUpdated, uint32(r.SystemFlags), r.CacheVersion, r.GUID, r.Modseq, r.CID))
		line := "      > INTERNALFLAGS:"
		for _, f := range []struct {
			bit  Flags
			name string
		}{{FlagExpunged, "FLAG_INTERNAL_EXPUNGED"}, {FlagUnlinked, "FLAG_INTERNAL_UNLINKED"}, {FlagArchived, "FLAG_INTERNAL_ARCHIVED"}, {FlagNeedsCleanup, "FLAG_INTERNAL_NEEDS_CLEANUP"}, {FlagSnoozed, "FLAG_INTERNAL_SNOOZED"}} {
			if r.InternalFlags&f.bit != 0 {
				line += " " + f.name
			}
		}
		line += "      > SYSTEMFLAGS:"
		for _, f := range []struct {
			bit  Flags
			name string
		}{{FlagSeen, "FLAG_SEEN"}, {FlagDraft, "FLAG_DRAFT"}, {FlagDeleted, "FLAG_DELETED"}, {FlagFlagged, "FLAG_FLAGGED"}, {FlagAnswered, "FLAG_ANSWERED"}} {
			if r.SystemFlags&f.bit != 0 {
				line += " " + f.name
			}
		}
		line2 := "      > USERFLAGS:"
		for j := len(r.UserFlags) - 1; j >= 0; j-- {
			line2 += fmt.Sprintf(" %08X", r.UserFlags[j])
		}
		out = append(out, line, line2)
	}
	return out
}

// goldenIndexLines extracts from mbexamine output the lines examine
// renders, with the ctime text after "(<seconds>)" cut off.
func goldenIndexLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case l == " Index Header Info:":
			in = true
			continue
		case !in, l == "", l == " Message Info:":
			continue
		case strings.HasPrefix(l, " ") && strings.Contains(l, ">{"):
			continue // cache items (Envel, BdyStr, …)
		case !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "0"):
			continue // continuation lines of cached headers
		}
		if strings.Contains(l, "Date: (") || strings.Contains(l, "Login: (") {
			l = l[:strings.Index(l, ")")+1]
		}
		out = append(out, l)
	}
	return out
}

func TestMatchesMbexamine(t *testing.T) {
	for _, name := range realIndexes {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name+".index")
			idx, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := examine(idx)
			want := goldenIndexLines(t, filepath.Join("testdata", name+".mbexamine.golden"))
			if len(want) < 10 {
				t.Fatalf("only %d lines taken from the golden file", len(want))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("decoded index differs from mbexamine:\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
