package spool

import (
	"bytes"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

// roundTripDB decodes every N and I record of a mailboxes.db written by
// Cyrus 3.6.1 and checks that encoding gives back the same bytes.
func roundTripDB(t *testing.T, path string) (n, i int) {
	t.Helper()
	db, err := twoskip.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	err = db.ForEach(func(k, v []byte) error {
		if len(k) == 0 || (k[0] != 'N' && k[0] != 'I') {
			return nil
		}
		byID := k[0] == 'I'
		e, err := parseEntry(string(k[1:]), byID, v)
		if err != nil {
			t.Errorf("%q: %v", k, err)
			return nil
		}
		var got []byte
		if byID {
			got, err = e.MarshalI()
			i++
		} else {
			got, err = e.MarshalN()
			n++
		}
		if err != nil {
			t.Errorf("%q: %v", k, err)
		} else if !bytes.Equal(got, v) {
			t.Errorf("%q:\n got %q\nwant %q", k, got, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, i
}

func TestEntryMarshalRoundTrip(t *testing.T) {
	for _, f := range []string{"twoskip/testdata/mailboxes.db", "twoskip/testdata/mailboxes-big.db"} {
		n, i := roundTripDB(t, f)
		if n == 0 || i == 0 {
			t.Errorf("%s: %d N and %d I records: the fixture should hold both", f, n, i)
		}
	}
}

// TestEntryMarshalVectors pins the forms Cyrus writes for the cases the
// fixtures may lack: a placeholder, a tombstone, an empty ACL, a name that
// needs quoting, 0x1F kept in an atom (imparse_isatom allows it), history items with and without partition.
func TestEntryMarshalVectors(t *testing.T) {
	cases := []struct {
		e    Entry
		n, i string
	}{{
		e: Entry{Name: "user.fred", Type: ParseMBType("ei"), UniqueID: "abc", MTime: 1700000000},
		n: `%(T ei I abc M 1700000000)`,
		i: "%(T ei N user\x1ffred M 1700000000 H ())",
	}, {
		e: Entry{Name: "shared", Type: ParseMBType("ed"), UniqueID: "u1", UIDValidity: 7, CreatedModseq: 1, FolderModseq: 3, MTime: 5},
		n: `%(T ed I u1 V 7 C 1 F 3 M 5)`,
		i: `%(T ed N shared V 7 C 1 F 3 M 5 H ())`,
	}, {
		e: Entry{Name: "with space", Type: KindEmail, UniqueID: "u2", Partition: "default", MTime: 9, ACL: ACL{}},
		n: `%(T e I u2 P default M 9 A %())`,
		i: `%(T e N "with space" P default M 9 A %() H ())`,
	}, {
		e: Entry{Name: "a", Type: KindEmail | TypeLegacyDirs, UniqueID: "u3", Partition: "p2", UIDValidity: 1, MTime: 2,
			ACL: ACL{{"anyone", "lr"}, {"-bob", ""}},
			History: []HistoryEntry{{Name: "b.c", Type: KindEmail | TypeDeleted, MTime: 4, UIDValidity: 1, FolderModseq: 6, Partition: "p1"},
				{Name: "d", Type: KindEmail}}},
		n: `%(T el I u3 P p2 V 1 M 2 A %(anyone lr -bob ""))`,
		i: "%(T el N a P p2 V 1 M 2 A %(anyone lr -bob \"\") H (%(N b\x1fc M 4 V 1 F 6 T ed P p1) %(N d T e)))",
	}}
	for _, c := range cases {
		n, err := c.e.MarshalN()
		if err != nil || string(n) != c.n {
			t.Errorf("%s N: got %q, %v\nwant %q", c.e.Name, n, err, c.n)
		}
		i, err := c.e.MarshalI()
		if err != nil || string(i) != c.i {
			t.Errorf("%s I: got %q, %v\nwant %q", c.e.Name, i, err, c.i)
		}
		back, err := parseEntry(c.e.UniqueID, true, i)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := back.MarshalI(); string(again) != c.i {
			t.Errorf("%s: decode/encode changed the I record: %q", c.e.Name, again)
		}
	}
}

func TestEntryMarshalRefusesNUL(t *testing.T) {
	e := Entry{Name: "x", ACL: ACL{{"a\x00b", "lr"}}}
	if _, err := e.MarshalN(); err == nil {
		t.Error("ACL identifier with NUL encoded")
	}
}
