package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"reflect"
	"strings"
	"testing"
)

// field is one header or record field: byte offset and width (4 or 8).
type field struct {
	off, size int
}

// Header layouts transcribed from Cyrus's offsets, independently of the
// parser's tables. Cyrus 3.10+ (which writes v19) cannot run here, so
// v18/v19 are tested with these synthetic vectors.
//
// cyrus: imap/mailbox.h OFFSET_* (3.6.1: v17; 3.10.0: OFFSET_* for v19,
// PRE19_OFFSET_* for the fields v18 adds)
var specHeader = map[uint32]map[string]field{
	17: {
		"GenerationNo": {0, 4}, "Format": {4, 4}, "MinorVersion": {8, 4}, "StartOffset": {12, 4},
		"RecordSize": {16, 4}, "NumRecords": {20, 4}, "LastAppendDate": {24, 4}, "LastUID": {28, 4},
		"QuotaMailboxUsed": {32, 8}, "POP3LastLogin": {40, 4}, "UIDValidity": {44, 4},
		"Deleted": {48, 4}, "Answered": {52, 4}, "Flagged": {56, 4}, "Options": {60, 4},
		"LeakedCacheRecords": {64, 4}, "HighestModseq": {68, 8}, "DeletedModseq": {76, 8},
		"Exists": {84, 4}, "FirstExpunged": {88, 4}, "LastRepackTime": {92, 4},
		"HeaderFileCRC": {96, 4}, "SyncCRCBasic": {100, 4}, "RecentUID": {104, 4},
		"RecentTime": {108, 4}, "POP3ShowAfter": {112, 4}, "QuotaAnnotUsed": {116, 4},
		"SyncCRCAnnot": {120, 4}, "Unseen": {124, 4}, "CreatedModseq": {128, 8},
		"ChangesEpoch": {136, 4},
	},
	19: {
		"GenerationNo": {0, 4}, "Format": {4, 4}, "MinorVersion": {8, 4}, "StartOffset": {12, 4},
		"RecordSize": {16, 4}, "NumRecords": {20, 4}, "LastAppendDate": {24, 4}, "LastUID": {28, 4},
		"QuotaMailboxUsed": {32, 8}, "POP3LastLogin": {40, 4}, "UIDValidity": {44, 4},
		"Deleted": {48, 4}, "Answered": {52, 4}, "Flagged": {56, 4}, "Exists": {60, 4},
		"Options": {64, 4}, "LeakedCacheRecords": {68, 4}, "HighestModseq": {72, 8},
		"DeletedModseq": {80, 8}, "FirstExpunged": {88, 4}, "LastRepackTime": {92, 4},
		"HeaderFileCRC": {96, 4}, "SyncCRCBasic": {100, 4}, "RecentUID": {104, 4},
		"RecentTime": {108, 4}, "POP3ShowAfter": {112, 4}, "QuotaAnnotUsed": {116, 4},
		"SyncCRCAnnot": {120, 4}, "Unseen": {124, 4}, "CreatedModseq": {128, 8},
		"QuotaDeletedUsed": {136, 8}, "QuotaExpungedUsed": {144, 8}, "ChangesEpoch": {152, 4},
	},
}

func init() {
	v18 := map[string]field{}
	for k, v := range specHeader[17] {
		v18[k] = v
	}
	v18["QuotaDeletedUsed"] = field{140, 8}
	v18["QuotaExpungedUsed"] = field{148, 8}
	specHeader[18] = v18
}

// Record layout (unchanged in v18/v19). Composite fields are handled by
// encRecord.
//
// cyrus: imap/mailbox.h OFFSET_UID … OFFSET_RECORD_CRC (3.6.1, 3.10.0)
var specRecord = map[string]field{
	"UID": {0, 4}, "InternalDate": {4, 4}, "SentDate": {8, 4}, "Size": {12, 4},
	"HeaderSize": {16, 4}, "GMTime": {20, 4}, "LastUpdated": {28, 4}, "SaveDate": {52, 4},
	"Modseq": {80, 8}, "CID": {88, 8}, "CreatedModseq": {96, 8}, "CacheCRC": {104, 4},
}

func put(b []byte, f field, v uint64) {
	if f.size == 8 {
		binary.BigEndian.PutUint64(b[f.off:], v)
	} else {
		binary.BigEndian.PutUint32(b[f.off:], uint32(v))
	}
}

// encHeader builds a 160-byte header of the given version with every field
// set to a distinct value (numRecords records, standard layout), with a
// valid CRC, and returns the expected decoded Header.
func encHeader(version, numRecords uint32, seed uint64) ([]byte, Header) {
	b := make([]byte, HeaderSize)
	var want Header
	wv := reflect.ValueOf(&want).Elem()
	i := seed
	for name, f := range specHeader[version] {
		i++
		var v uint64
		switch name {
		case "MinorVersion":
			v = uint64(version)
		case "StartOffset":
			v = HeaderSize
		case "RecordSize":
			v = RecordSize
		case "NumRecords":
			v = uint64(numRecords)
		default:
			v = i*0x01010101 + 7
			if f.size == 8 {
				v |= (i + 0x100) << 40
			}
		}
		put(b, f, v)
		fv := wv.FieldByName(name)
		if !fv.IsValid() {
			panic("no Header field " + name)
		}
		if fv.CanInt() {
			fv.SetInt(int64(v))
		} else {
			fv.SetUint(v)
		}
	}
	crc := crc32.ChecksumIEEE(b[:156])
	binary.BigEndian.PutUint32(b[156:], crc)
	want.HeaderCRC = crc
	return b, want
}

// encRecord builds a record with distinct field values and a valid CRC,
// and returns the expected decoded Record.
func encRecord(uid uint32, seed uint64) ([]byte, Record) {
	b := make([]byte, RecordSize)
	var want Record
	wv := reflect.ValueOf(&want).Elem()
	i := seed
	for name, f := range specRecord {
		i++
		v := i*0x00010203 + 1
		if f.size == 8 {
			v |= (i + 0x300) << 36
		}
		if name == "UID" {
			v = uint64(uid)
		}
		put(b, f, v)
		fv := wv.FieldByName(name)
		if fv.CanInt() {
			fv.SetInt(int64(v))
		} else {
			fv.SetUint(v)
		}
	}
	// system_flags: low half system flags, high half internal flags
	put(b, field{32, 4}, uint64(FlagSeen|FlagDraft|FlagExpunged|FlagNeedsCleanup|Flags(seed&1)))
	want.SystemFlags = FlagSeen | FlagDraft | Flags(seed&1)
	want.InternalFlags = FlagExpunged | FlagNeedsCleanup
	for w := range 4 {
		v := uint32(seed)*0x11 + uint32(w)<<28 + 1
		put(b, field{36 + 4*w, 4}, uint64(v))
		want.UserFlags[w] = v
	}
	// cache_offset low 32 bits at 24, bits 32–47 in the high half of
	// cache_version at 56, whose low half is the cache version
	put(b, field{24, 4}, 0x89ABCDEF)
	put(b, field{56, 4}, 0x0012_000B)
	want.CacheOffset = 0x12_89ABCDEF
	want.CacheVersion = 11
	for k := range 20 {
		b[60+k] = byte(seed) + byte(k)
		want.GUID[k] = byte(seed) + byte(k)
	}
	crc := crc32.ChecksumIEEE(b[:108])
	binary.BigEndian.PutUint32(b[108:], crc)
	want.RecordCRC = crc
	return b, want
}

// synthIndex builds a complete index file of the given version.
func synthIndex(version, n uint32) ([]byte, *Index) {
	hb, h := encHeader(version, n, uint64(version))
	want := &Index{Header: h, Records: make([]Record, n)}
	out := append([]byte{}, hb...)
	for i := range n {
		rb, r := encRecord(2*i+1, uint64(i)+uint64(version)*1000)
		out = append(out, rb...)
		want.Records[i] = r
	}
	return out, want
}

func TestSpecVectors(t *testing.T) {
	for _, v := range []uint32{17, 18, 19} {
		t.Run(fmt.Sprint("v", v), func(t *testing.T) {
			b, want := synthIndex(v, 3)
			got, err := Parse("synthetic", b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if got.Header.Size() != int64(len(b)) {
				t.Errorf("Size = %d, file %d", got.Header.Size(), len(b))
			}
			if r := got.Lookup(3); r == nil || r.UID != 3 {
				t.Errorf("Lookup(3) = %v", r)
			}
			if got.Lookup(2) != nil || got.Lookup(7) != nil {
				t.Error("Lookup of absent UID succeeded")
			}
			// trailing bytes of an interrupted append are ignored
			if _, err := Parse("synthetic", append(b, make([]byte, 50)...)); err != nil {
				t.Error(err)
			}
			rec, err := ParseRecord(b[HeaderSize:], v)
			if err != nil || !reflect.DeepEqual(rec, want.Records[0]) {
				t.Errorf("ParseRecord = %+v, %v", rec, err)
			}
		})
	}
}

func TestRecordHelpers(t *testing.T) {
	var r Record
	r.UserFlags = [4]uint32{1<<0 | 1<<31, 1 << 1, 0, 1 << 31}
	if got := fmt.Sprint(r.UserFlagNumbers()); got != "[0 31 33 127]" {
		t.Errorf("UserFlagNumbers = %s", got)
	}
	if !r.HasUserFlag(33) || r.HasUserFlag(32) || r.HasUserFlag(-1) || r.HasUserFlag(128) {
		t.Error("HasUserFlag")
	}
	r.InternalFlags = FlagExpunged | FlagUnlinked | FlagArchived
	if !r.Expunged() || !r.Unlinked() || !r.Archived() {
		t.Error("state helpers")
	}
}

func TestBadInput(t *testing.T) {
	good, _ := synthIndex(19, 4)
	cases := []struct {
		name   string
		mangle func([]byte) []byte
		want   error
		where  string
	}{
		{"empty", func(b []byte) []byte { return nil }, ErrTruncated, "header at offset 0"},
		{"short header", func(b []byte) []byte { return b[:100] }, ErrTruncated, "header at offset 0"},
		{"version 16", func(b []byte) []byte { b[11] = 16; return b }, ErrVersion, "version 16"},
		{"version 20", func(b []byte) []byte { b[11] = 20; return b }, ErrVersion, "version 20"},
		{"header crc", func(b []byte) []byte { b[30]++; return b }, ErrHeaderCRC, "header at offset 0"},
		{"truncated record 3", func(b []byte) []byte { return b[:HeaderSize+2*RecordSize+50] }, ErrTruncated, "record 3 at offset 384"},
		{"no records", func(b []byte) []byte { return b[:HeaderSize] }, ErrTruncated, "record 1 at offset 160"},
		{"record 2 crc", func(b []byte) []byte { b[HeaderSize+RecordSize+70]++; return b }, ErrRecordCRC, "record 2 at offset 272"},
		{"record 4 crc", func(b []byte) []byte { b[len(b)-1]++; return b }, ErrRecordCRC, "record 4 at offset 496"},
		{"record size", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[16:], 100)
			binary.BigEndian.PutUint32(b[156:], crc32.ChecksumIEEE(b[:156]))
			return b
		}, ErrLayout, "record_size 100"},
		{"huge num_records", func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[20:], 0xFFFFFFFF)
			binary.BigEndian.PutUint32(b[156:], crc32.ChecksumIEEE(b[:156]))
			return b
		}, ErrTruncated, "record 5 at offset 608"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, how := range []string{"Parse", "Read", "ReadChunked"} {
				b := c.mangle(append([]byte{}, good...))
				var err error
				if how == "Parse" {
					_, err = Parse("bad/cyrus.index", b)
				} else if how == "Read" {
					_, err = Read("bad/cyrus.index", strings.NewReader(string(b)))
				} else {
					_, err = Read("bad/cyrus.index", onlyReaderAt{bytes.NewReader(b)})
				}
				if !errors.Is(err, c.want) {
					t.Fatalf("%s: err = %v, want %v", how, err, c.want)
				}
				var fe *FormatError
				if !errors.As(err, &fe) || fe.File != "bad/cyrus.index" {
					t.Fatalf("%s: %v is not a *FormatError naming the file", how, err)
				}
				if !strings.Contains(err.Error(), c.where) || !strings.Contains(err.Error(), "bad/cyrus.index") {
					t.Errorf("%s: error %q should name the file and %q", how, err, c.where)
				}
			}
		})
	}
	if _, err := ParseRecord(make([]byte, 10), 17); !errors.Is(err, ErrTruncated) {
		t.Errorf("ParseRecord(short) = %v", err)
	}
	if _, err := ParseRecord(make([]byte, RecordSize), 12); !errors.Is(err, ErrVersion) {
		t.Errorf("ParseRecord(v12) = %v", err)
	}
	b := make([]byte, RecordSize)
	b[0] = 1
	if _, err := ParseRecord(b, 17); !errors.Is(err, ErrRecordCRC) {
		t.Errorf("ParseRecord(bad crc) = %v", err)
	}
}

func TestFlagsString(t *testing.T) {
	for f, want := range map[Flags]string{
		0:                                   "",
		FlagSeen | FlagAnswered:             `\Answered \Seen`,
		FlagExpunged | FlagUnlinked | 1<<20: "UNLINKED EXPUNGED 0x100000",
	} {
		if got := f.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint32(f), got, want)
		}
	}
}
