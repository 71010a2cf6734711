package index

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// userFlagNames returns the user-flag names mbexamine printed ("User
// Flags: a b c "), in slot order.
func userFlagNames(t *testing.T, golden string) []string {
	t.Helper()
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "  User Flags: "); ok {
			if v == "[none]" {
				return nil
			}
			return strings.Fields(v)
		}
	}
	t.Fatal("no User Flags line")
	return nil
}

// syncCRCs recomputes synccrcs.basic and synccrcs.annot from the records,
// written out independently of package spool (no per-message annotations
// in these fixtures: their cyrus.annotations are empty).
//
// cyrus: imap/mailbox.c mailbox_synccrcs, crc_basic, crc_virtannot (3.6.1)
func syncCRCs(idx *Index, flagNames []string) (basic, annot uint32) {
	annot = 12345678
	crcAnnot := func(uid uint32, entry, value string) uint32 {
		return crc32.ChecksumIEEE([]byte(fmt.Sprintf("%d %s %s %s", uid, entry, "", value)))
	}
	for i := range idx.Records {
		r := &idx.Records[i]
		if r.Expunged() {
			continue
		}
		var fc uint32
		for _, f := range []struct {
			bit  Flags
			name string
		}{{FlagDeleted, `\deleted`}, {FlagAnswered, `\answered`}, {FlagFlagged, `\flagged`}, {FlagDraft, `\draft`}, {FlagSeen, `\seen`}} {
			if r.SystemFlags&f.bit != 0 {
				fc ^= crc32.ChecksumIEEE([]byte(f.name))
			}
		}
		for _, n := range r.UserFlagNumbers() {
			if n < len(flagNames) {
				fc ^= crc32.ChecksumIEEE([]byte(strings.ToLower(flagNames[n])))
			}
		}
		basic ^= crc32.ChecksumIEEE([]byte(fmt.Sprintf("%d %d %d (%d) %d %s",
			r.UID, r.Modseq, r.LastUpdated, fc, r.InternalDate, r.GUID)))
		if r.CID != 0 {
			annot ^= crcAnnot(r.UID, "/vendor/cmu/cyrus-imapd/thrid", fmt.Sprintf("%x", r.CID))
		}
		if r.SaveDate != 0 {
			annot ^= crcAnnot(r.UID, "/vendor/cmu/cyrus-imapd/savedate", fmt.Sprint(r.SaveDate))
		}
		if r.CreatedModseq != 0 {
			annot ^= crcAnnot(r.UID, "/vendor/cmu/cyrus-imapd/createdmodseq", fmt.Sprint(r.CreatedModseq))
		}
	}
	return basic, annot
}

// cacheEntry returns the 10-item cyrus.cache entry at off.
//
// cyrus: imap/mailbox.c cache_parserecord (3.6.1)
func cacheEntry(t *testing.T, cache []byte, off uint64) (entry []byte, items [][]byte) {
	t.Helper()
	p := off
	for range 10 {
		if p+4 > uint64(len(cache)) {
			t.Fatalf("cache entry at %d runs past the file", off)
		}
		n := uint64(binary.BigEndian.Uint32(cache[p:]))
		items = append(items, cache[p+4:p+4+n])
		p += 4 + (n+3)&^3
	}
	return cache[off:p], items
}

// TestDerivedFields checks the fields mbexamine does not print against the
// real content they describe: header counters against the records, both
// sync CRCs recomputed from the records, header_file_crc against the
// cyrus.header file, cache_offset/cache_crc against cyrus.cache (whose
// ENVELOPE item must be what mbexamine printed), first_expunged against
// the expunged records.
func TestDerivedFields(t *testing.T) {
	for _, name := range realIndexes {
		t.Run(name, func(t *testing.T) {
			idx, err := ReadFile(filepath.Join("testdata", name+".index"))
			if err != nil {
				t.Fatal(err)
			}
			h := idx.Header
			golden := filepath.Join("testdata", name+".mbexamine.golden")
			var exists, answered, flagged, deleted, unseen uint32
			var used uint64
			var firstExpunged int64
			for i := range idx.Records {
				r := &idx.Records[i]
				if i > 0 && r.UID <= idx.Records[i-1].UID {
					t.Errorf("records not in UID order at recno %d", i+1)
				}
				if idx.Lookup(r.UID) != r {
					t.Errorf("Lookup(%d) failed", r.UID)
				}
				if r.Expunged() {
					if firstExpunged == 0 || r.LastUpdated < firstExpunged {
						firstExpunged = r.LastUpdated
					}
					continue
				}
				exists++
				used += r.Size
				if r.SystemFlags&FlagAnswered != 0 {
					answered++
				}
				if r.SystemFlags&FlagFlagged != 0 {
					flagged++
				}
				if r.SystemFlags&FlagDeleted != 0 {
					deleted++
				}
				if r.SystemFlags&FlagSeen == 0 {
					unseen++
				}
				if r.Modseq > h.HighestModseq || r.UID > h.LastUID {
					t.Errorf("uid %d: modseq %d / uid above header's %d / %d", r.UID, r.Modseq, h.HighestModseq, h.LastUID)
				}
			}
			got := fmt.Sprint(exists, answered, flagged, deleted, unseen, used, firstExpunged)
			want := fmt.Sprint(h.Exists, h.Answered, h.Flagged, h.Deleted, h.Unseen, h.QuotaMailboxUsed, h.FirstExpunged)
			if got != want {
				t.Errorf("counters from records %s, header says %s", got, want)
			}
			basic, annot := syncCRCs(idx, userFlagNames(t, golden))
			if basic != h.SyncCRCBasic || annot != h.SyncCRCAnnot {
				t.Errorf("sync CRCs recomputed %08X/%08X, header %08X/%08X", basic, annot, h.SyncCRCBasic, h.SyncCRCAnnot)
			}
			hdr, err := os.ReadFile(filepath.Join("testdata", name+".header"))
			if err != nil {
				t.Fatal(err)
			}
			if c := crc32.ChecksumIEEE(hdr); c != h.HeaderFileCRC {
				t.Errorf("header_file_crc %08X, CRC32(cyrus.header) = %08X", h.HeaderFileCRC, c)
			}
			if h.NumRecords == 0 {
				return
			}
			cache, err := os.ReadFile(filepath.Join("testdata", name+".cache"))
			if err != nil {
				t.Fatal(err)
			}
			gb, _ := os.ReadFile(golden)
			for i := range idx.Records {
				r := &idx.Records[i]
				entry, items := cacheEntry(t, cache, r.CacheOffset)
				if c := crc32.ChecksumIEEE(entry); c != r.CacheCRC {
					t.Errorf("uid %d: cache_crc %08X, CRC32 of entry at %d = %08X", r.UID, r.CacheCRC, r.CacheOffset, c)
				}
				if !r.Expunged() {
					env := fmt.Sprintf(" Envel>{%d}%s\n", len(items[0]), items[0])
					if !strings.Contains(string(gb), env) {
						t.Errorf("uid %d: ENVELOPE at cache offset %d not what mbexamine printed", r.UID, r.CacheOffset)
					}
				}
			}
		})
	}
}
