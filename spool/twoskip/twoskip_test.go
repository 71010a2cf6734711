package twoskip

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Fixtures are real files written by Cyrus 3.6.1 (see
// ../index/testdata/mkfixtures.sh); *.golden files hold what
// "cyr_dbtool <db> twoskip show|dump" and "ctl_mboxlist -d" printed for them.
var fixtures = []string{"mailboxes", "mailboxes-big", "seen", "empty"}

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// show renders keys and values the way cyr_dbtool's printer_cb does:
// key TAB value LF, raw bytes.
func show(t *testing.T, db *DB, prefix []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	fn := func(k, v []byte) error {
		out.Write(k)
		out.WriteByte('\t')
		out.Write(v)
		out.WriteByte('\n')
		return nil
	}
	var err error
	if prefix == nil {
		err = db.ForEach(fn)
	} else {
		err = db.ForEachPrefix(prefix, fn)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestShowMatchesCyrDbtool(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			db, err := ReadFile(filepath.Join("testdata", name+".db"))
			if err != nil {
				t.Fatal(err)
			}
			got := show(t, db, nil)
			want := readGolden(t, name+".show.golden")
			if !bytes.Equal(got, want) {
				t.Errorf("ForEach output differs from cyr_dbtool show:\n got: %q\nwant: %q", got, want)
			}
			if err := db.Verify(); err != nil {
				t.Error(err)
			}
			if n := bytes.Count(want, []byte("\n")); db.Len() != n {
				t.Errorf("Len = %d, cyr_dbtool shows %d keys", db.Len(), n)
			}
		})
	}
}

func TestPrefixMatchesCyrDbtool(t *testing.T) {
	db, err := ReadFile("testdata/mailboxes.db")
	if err != nil {
		t.Fatal(err)
	}
	got := show(t, db, []byte("Nuser\x1fcassandane\x1fF0"))
	want := readGolden(t, "mailboxes.show-prefix.golden")
	if !bytes.Equal(got, want) {
		t.Errorf("ForEachPrefix differs from cyr_dbtool show <prefix>:\n got: %q\nwant: %q", got, want)
	}
	// prefixes that match nothing, everything, or end past the last key
	for _, p := range []string{"", "Z", "\xff", "Nuser\x1fcassandane\x1fF0\xff", "I", "N"} {
		var n int
		if err := db.ForEachPrefix([]byte(p), func(k, _ []byte) error {
			if !bytes.HasPrefix(k, []byte(p)) {
				t.Errorf("prefix %q yielded %q", p, k)
			}
			n++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var want int
		for _, l := range strings.Split(string(readGolden(t, "mailboxes.show.golden")), "\n") {
			if l != "" && strings.HasPrefix(l, p) {
				want++
			}
		}
		if n != want {
			t.Errorf("prefix %q: %d keys, want %d", p, n, want)
		}
	}
}

func TestGetEveryShownKey(t *testing.T) {
	for _, name := range fixtures {
		db, err := ReadFile(filepath.Join("testdata", name+".db"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(readGolden(t, name+".show.golden")))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), "\t")
			got, ok, err := db.Get([]byte(k))
			if err != nil || !ok || string(got) != v {
				t.Errorf("%s: Get(%q) = %q, %v, %v; want %q", name, k, got, ok, err, v)
			}
			for _, miss := range []string{k + "\x00", k[:len(k)-1], k + "~"} {
				if strings.Contains(string(readGolden(t, name+".show.golden")), "\n"+miss+"\t") ||
					strings.HasPrefix(string(readGolden(t, name+".show.golden")), miss+"\t") {
					continue
				}
				if _, ok, err := db.Get([]byte(miss)); ok || err != nil {
					t.Errorf("%s: Get(%q) found=%v err=%v; want absent", name, miss, ok, err)
				}
			}
		}
		for _, miss := range []string{"", "\x00", "\xff\xff"} {
			if _, ok, err := db.Get([]byte(miss)); ok || err != nil {
				t.Errorf("%s: Get(%q) found=%v err=%v; want absent", name, miss, ok, err)
			}
		}
	}
}

// dumpRecord is one record as printed by "cyr_dbtool … twoskip dump".
type dumpRecord struct {
	off   uint64
	typ   string
	kl    uint64
	dl    uint64
	lvl   int
	slots []uint64
}

func parseDump(t *testing.T, b []byte) (hdr string, recs []dumpRecord) {
	t.Helper()
	lines := strings.Split(string(b), "\n")
	hdr = lines[0]
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "\t") {
			for _, f := range strings.Fields(l) {
				v, err := strconv.ParseUint(f, 16, 64)
				if err != nil {
					t.Fatalf("dump slot %q: %v", f, err)
				}
				recs[len(recs)-1].slots = append(recs[len(recs)-1].slots, v)
			}
			continue
		}
		offs, rest, _ := strings.Cut(l, " ")
		off, err := strconv.ParseUint(offs, 16, 64)
		if err != nil {
			t.Fatalf("dump line %q: %v", l, err)
		}
		r := dumpRecord{off: off}
		r.typ, rest, _ = strings.Cut(rest, " ")
		switch r.typ {
		case "BLANK":
			continue
		case "COMMIT", "DELETE":
			_, ptr, _ := strings.Cut(rest, "=")
			p, err := strconv.ParseUint(ptr, 16, 64)
			if err != nil {
				t.Fatalf("dump line %q: %v", l, err)
			}
			r.slots = []uint64{p}
		default:
			if _, err := fmt.Sscanf(rest, "kl=%d dl=%d lvl=%d", &r.kl, &r.dl, &r.lvl); err != nil {
				t.Fatalf("dump line %q: %v", l, err)
			}
		}
		recs = append(recs, r)
	}
	return hdr, recs
}

func TestRecordsMatchCyrDbtoolDump(t *testing.T) {
	for _, name := range []string{"mailboxes", "mailboxes-big"} {
		t.Run(name, func(t *testing.T) { testDump(t, name) })
	}
}

func testDump(t *testing.T, name string) {
	db, err := ReadFile("testdata/" + name + ".db")
	if err != nil {
		t.Fatal(err)
	}
	hdr, want := parseDump(t, readGolden(t, name+".dump.golden"))
	h := db.Header()
	if got := fmt.Sprintf("HEADER: v=%d fl=%d num=%d sz=(%08X/%08X)", h.Version, h.Flags, h.NumRecords, h.CurrentSize, h.RepackSize); got != hdr {
		t.Errorf("header %q, dump says %q", got, hdr)
	}
	var got []dumpRecord
	if err := db.Records(func(r RawRecord) error {
		if !r.CheckTail() {
			t.Errorf("tail CRC of record at %X", r.Offset)
		}
		d := dumpRecord{off: r.Offset, typ: r.Type.String(), slots: r.Slots()}
		if r.Type == TypeRecord || r.Type == TypeDummy {
			d.kl, d.dl, d.lvl = uint64(len(r.Key)), uint64(len(r.Value)), int(r.Level)
		} else {
			d.slots = d.slots[:1]
		}
		got = append(got, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records differ from cyr_dbtool dump:\n got %v\nwant %v", got, want)
	}
	var deletes, commits int
	for _, r := range got {
		switch r.typ {
		case "DELETE":
			deletes++
		case "COMMIT":
			commits++
		}
	}
	if name == "mailboxes" && (deletes == 0 || commits == 0) {
		t.Errorf("fixture should contain DELETE and COMMIT records (have %d, %d)", deletes, commits)
	}
}

func TestMailboxNamesMatchCtlMboxlist(t *testing.T) {
	var dump map[string]json.RawMessage
	if err := json.Unmarshal(readGolden(t, "mailboxes.ctl_mboxlist.golden"), &dump); err != nil {
		t.Fatal(err)
	}
	db, err := ReadFile("testdata/mailboxes.db")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	if err := db.ForEachPrefix([]byte("N"), func(k, v []byte) error {
		got[strings.ReplaceAll(string(k[1:]), "\x1f", ".")] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(dump) {
		t.Errorf("%d N records, ctl_mboxlist -d lists %d mailboxes", len(got), len(dump))
	}
	for name := range dump {
		if !got[name] {
			t.Errorf("ctl_mboxlist lists %q, no N record found", name)
		}
	}
}

// appendRecord appends a well-formed record (with CRCs) to buf and
// returns the new buffer and the record's offset.
func appendRecord(buf []byte, typ Type, slots []uint64, key, val []byte) ([]byte, uint64) {
	off := uint64(len(buf))
	head := []byte{byte(typ), byte(len(slots) - 1), 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(head[2:], uint16(len(key)))
	binary.BigEndian.PutUint32(head[4:], uint32(len(val)))
	for _, s := range slots {
		head = binary.BigEndian.AppendUint64(head, s)
	}
	tail := append(append([]byte{}, key...), val...)
	for len(tail)%8 != 0 {
		tail = append(tail, 0)
	}
	head = binary.BigEndian.AppendUint32(head, crc32.ChecksumIEEE(head))
	head = binary.BigEndian.AppendUint32(head, crc32.ChecksumIEEE(tail))
	return append(append(buf, head...), tail...), off
}

// setSlot rewrites pointer slot i of the record at off in place and
// recomputes its head CRC, as a Cyrus writer does.
func setSlot(t *testing.T, buf []byte, off uint64, i int, val uint64) {
	t.Helper()
	db := &DB{name: "x", data: buf}
	r, err := db.recordAt(off, false)
	if err != nil {
		t.Fatal(err)
	}
	p := off + 8 // start of slots (short key and value lengths only)
	binary.BigEndian.PutUint64(buf[p+8*uint64(i):], val)
	hl := p + 8*uint64(r.NumSlots()) - off
	binary.BigEndian.PutUint32(buf[off+hl:], crc32.ChecksumIEEE(buf[off:off+hl]))
}

func rewriteHeader(buf []byte, flags uint32) {
	binary.BigEndian.PutUint32(buf[56:], flags)
	binary.BigEndian.PutUint32(buf[60:], crc32.ChecksumIEEE(buf[:60]))
}

// TestUncommittedIgnored simulates a writer that crashed in the middle of
// a transaction: DIRTY set, new records appended past current_size and
// pointers of committed records rewritten to point at them (level 0 by
// the two-pointer rule, higher levels directly). Readers must see exactly
// the committed state.
func TestUncommittedIgnored(t *testing.T) {
	orig, err := os.ReadFile("testdata/mailboxes.db")
	if err != nil {
		t.Fatal(err)
	}
	db0, err := Parse("orig", orig)
	if err != nil {
		t.Fatal(err)
	}
	want := show(t, db0, nil)
	dummy, _ := db0.Record(HeaderSize)
	first, ok, err := db0.next0(&dummy)
	if err != nil || !ok {
		t.Fatal(err, ok)
	}

	buf := append([]byte{}, orig...)
	rewriteHeader(buf, FlagDirty)
	// new key "A…" sorts before every existing key: insert after DUMMY
	slots := make([]uint64, 4)
	slots[1] = first.Offset
	buf, off := appendRecord(buf, TypeRecord, slots, []byte("Auncommitted"), []byte("value"))
	// two-pointer rule: overwrite the older level-0 slot of the DUMMY
	if dummy.Slot(0) < dummy.Slot(1) {
		setSlot(t, buf, HeaderSize, 0, off)
	} else {
		setSlot(t, buf, HeaderSize, 1, off)
	}
	for lvl := 1; lvl < 3; lvl++ {
		setSlot(t, buf, HeaderSize, lvl+1, off)
	}
	// sanity check of the simulation: committing it would expose the key
	committed := append([]byte{}, buf...)
	binary.BigEndian.PutUint64(committed[48:], uint64(len(committed)))
	rewriteHeader(committed, 0)
	if dbc, err := Parse("committed", committed); err != nil {
		t.Fatal(err)
	} else if _, ok, err := dbc.Get([]byte("Auncommitted")); !ok || err != nil {
		t.Fatalf("simulated transaction is not visible once committed (%v, %v)", ok, err)
	}
	// a DELETE of the first key, relinking the new record to it
	buf, _ = appendRecord(buf, TypeDelete, []uint64{first.Slot(0)}, nil, nil)
	// and garbage after that
	buf = append(buf, bytes.Repeat([]byte{0xAB}, 100)...)

	db, err := Parse("crashed", buf)
	if err != nil {
		t.Fatal(err)
	}
	if !db.Header().Dirty() {
		t.Fatal("DIRTY not reported")
	}
	if got := show(t, db, nil); !bytes.Equal(got, want) {
		t.Errorf("uncommitted data leaked into ForEach:\n got %q\nwant %q", got, want)
	}
	if _, ok, err := db.Get([]byte("Auncommitted")); ok || err != nil {
		t.Errorf("Get(uncommitted key) = %v, %v", ok, err)
	}
	if v, ok, err := db.Get(first.Key); !ok || err != nil || !bytes.Equal(v, first.Value) {
		t.Errorf("Get(%q) = %q, %v, %v", first.Key, v, ok, err)
	}
	if err := db.Verify(); err != nil {
		t.Error(err)
	}

	// ReadFile on such a file reads only up to current_size
	path := filepath.Join(t.TempDir(), "crashed.db")
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		t.Fatal(err)
	}
	db2, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := show(t, db2, nil); !bytes.Equal(got, want) {
		t.Errorf("ReadFile: uncommitted data leaked")
	}
}

func TestBadInput(t *testing.T) {
	orig, err := os.ReadFile("testdata/mailboxes.db")
	if err != nil {
		t.Fatal(err)
	}
	db0, _ := Parse("x", orig)
	// offset of a RECORD with a key, to damage its head and its tail
	var rec RawRecord
	_ = db0.Records(func(r RawRecord) error {
		if rec.Offset == 0 && r.Type == TypeRecord {
			rec = r
		}
		return nil
	})
	keyOff := rec.Offset + rec.Len - uint64(len(rec.tail))
	cases := []struct {
		name   string
		mangle func([]byte) []byte
		want   error
		offset string
	}{
		{"empty", func(b []byte) []byte { return nil }, ErrTruncated, "offset 0x0"},
		{"short header", func(b []byte) []byte { return b[:40] }, ErrTruncated, "offset 0x0"},
		{"magic", func(b []byte) []byte { b[3] = 'X'; return b }, ErrMagic, "offset 0x0"},
		{"header crc", func(b []byte) []byte { b[33]++; return b }, ErrHeaderCRC, "offset 0x0"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-100] }, ErrTruncated, ""},
		{"head crc", func(b []byte) []byte { b[rec.Offset+8]++; return b }, ErrHeadCRC, fmt.Sprintf("offset 0x%X", rec.Offset)},
		{"tail crc", func(b []byte) []byte { b[keyOff]++; return b }, ErrTailCRC, fmt.Sprintf("offset 0x%X", rec.Offset)},
		{"version", func(b []byte) []byte {
			b[23] = 2
			binary.BigEndian.PutUint32(b[60:], crc32.ChecksumIEEE(b[:60]))
			return b
		}, ErrVersion, "offset 0x0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.mangle(append([]byte{}, orig...))
			err := parseAndWalk("bad.db", b)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.File != "bad.db" {
				t.Fatalf("err %v is not a *FormatError naming the file", err)
			}
			if !strings.Contains(err.Error(), "bad.db") || !strings.Contains(err.Error(), c.offset) {
				t.Errorf("error %q should name the file and %q", err, c.offset)
			}
		})
	}
}

// parseAndWalk runs every reader entry point on b and returns the first
// error.
func parseAndWalk(name string, b []byte) error {
	db, err := Parse(name, b)
	if err != nil {
		return err
	}
	var keys [][]byte
	if err := db.ForEach(func(k, _ []byte) error { keys = append(keys, k); return nil }); err != nil {
		return err
	}
	for _, k := range keys {
		if _, _, err := db.Get(k); err != nil {
			return err
		}
	}
	if err := db.ForEachPrefix([]byte("N"), func(_, _ []byte) error { return nil }); err != nil {
		return err
	}
	return db.Verify()
}

// TestEveryByteFlipped damages each byte of a real file in turn: the
// readers must return an error or a consistent result, never panic or
// loop.
func TestEveryByteFlipped(t *testing.T) {
	orig, err := os.ReadFile("testdata/seen.db")
	if err != nil {
		t.Fatal(err)
	}
	for i := range orig {
		b := append([]byte{}, orig...)
		b[i] ^= 0x5A
		_ = parseAndWalk("flip", b)
	}
}
