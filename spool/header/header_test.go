package header

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// Real cyrus.header files from Cyrus 3.6.1 with what mbexamine printed for
// their mailboxes (see ../index/testdata/mkfixtures.sh), and the
// mailboxes' cyrus.index files (for header_file_crc).
var fixtures = []string{"user.cassandane", "user.cassandane.Archive", "user.user1", "user.cassandane.F00", "user.cassandane.with_space"}

func goldenField(t *testing.T, golden []byte, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(string(golden), "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return v
		}
	}
	t.Fatalf("no %q line in golden file", prefix)
	return ""
}

func TestMatchesMbexamine(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			h, err := ReadFile(filepath.Join("testdata", name+".header"))
			if err != nil {
				t.Fatal(err)
			}
			golden, err := os.ReadFile(filepath.Join("testdata", name+".mbexamine.golden"))
			if err != nil {
				t.Fatal(err)
			}
			if want := goldenField(t, golden, "  Mailbox ACL: "); h.ACLString() != want {
				t.Errorf("ACL %q, mbexamine %q", h.ACLString(), want)
			}
			if want := goldenField(t, golden, "  Unique ID: "); h.UniqueID != want {
				t.Errorf("UniqueID %q, mbexamine %q", h.UniqueID, want)
			}
			// mbexamine prints each name followed by a space, or [none]
			flags := strings.Join(h.UserFlags, " ") + " "
			if len(h.UserFlags) == 0 {
				flags = "[none]"
			}
			if want := goldenField(t, golden, "  User Flags: "); flags != want {
				t.Errorf("user flags %q, mbexamine %q", flags, want)
			}
			// "Examining user/cassandane/with space..." is the external
			// name (unixhierarchysep: yes); the header holds the internal one
			ext := goldenField(t, golden, "Examining ")
			ext = ext[:strings.Index(ext, "...")]
			if want := strings.ReplaceAll(ext, "/", "."); h.Name != want {
				t.Errorf("Name %q, want %q", h.Name, want)
			}
			if h.Type != "e" || h.OldFormat || h.QuotaRoot != "" {
				t.Errorf("Type %q OldFormat %v QuotaRoot %q", h.Type, h.OldFormat, h.QuotaRoot)
			}
			idx, err := index.ReadFile(filepath.Join("..", "index", "testdata", name+".index"))
			if err != nil {
				t.Fatal(err)
			}
			if idx.Header.HeaderFileCRC != h.FileCRC {
				t.Errorf("FileCRC %08X, cyrus.index header_file_crc %08X", h.FileCRC, idx.Header.HeaderFileCRC)
			}
		})
	}
}

func TestSynthetic(t *testing.T) {
	cases := []struct {
		name, body string
		want       Header
	}{
		{"nil slots and quota root", "%(T e N user.dave I gqqm Q user.dave A %(dave lrswipkxtecdan -anyone p) U (Work NIL \"a b\" NIL))\n",
			Header{Type: "e", Name: "user.dave", UniqueID: "gqqm", QuotaRoot: "user.dave",
				ACL:       []ACLEntry{{"dave", "lrswipkxtecdan"}, {"-anyone", "p"}},
				UserFlags: []string{"Work", "", "a b"}}},
		{"minimal", "%(T f N user.x.#sieve I abc)\n", Header{Type: "f", Name: "user.x.#sieve", UniqueID: "abc"}},
		{"unknown keys", "%(T e Z (1 2) N a I b X %(k v))\n", Header{Type: "e", Name: "a", UniqueID: "b"}},
		{"old format", "user.bob\t5i8fzs9k\n\\Junk  Work\nbob\tlrs\tanyone\tl\t\n",
			Header{QuotaRoot: "user.bob", UniqueID: "5i8fzs9k", OldFormat: true,
				UserFlags: []string{`\Junk`, "", "Work"},
				ACL:       []ACLEntry{{"bob", "lrs"}, {"anyone", "l"}}}},
		{"old format, no uniqueid", "\n\n\n", Header{OldFormat: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse("x", []byte(Magic+c.body))
			if err != nil {
				t.Fatal(err)
			}
			got.FileCRC = 0
			if !reflect.DeepEqual(*got, c.want) {
				t.Errorf("got  %#v\nwant %#v", *got, c.want)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name, data string
		want       error
	}{
		{"empty", "", ErrMagic},
		{"short magic", Magic[:50], ErrMagic},
		{"wrong magic", strings.Replace(Magic, "goals", "GOALS", 1) + "%(T e)\n", ErrMagic},
		{"no LF", Magic + "%(T e N a I b)", ErrTruncated},
		{"bad dlist", Magic + "%(T e N a I\n", ErrSyntax},
		{"trailing garbage", Magic + "%(T e) x\n", ErrSyntax},
		{"not kvlist A", Magic + "%(A (x y))\n", ErrSyntax},
		{"old format short", Magic + "q\tid\nflags\n", ErrTruncated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad/cyrus.header", []byte(c.data))
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), "bad/cyrus.header") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := ReadFile("testdata/missing"); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}
}
