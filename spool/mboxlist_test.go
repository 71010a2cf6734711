package spool

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// testSpool returns a Spool over a temporary configdirectory holding a copy
// of the fixture mailboxes.db (if db != "") and the given extra lines.
func testSpool(t testing.TB, db string, extra ...string) (*Spool, string) {
	t.Helper()
	dir := t.TempDir()
	if db != "" {
		b, err := os.ReadFile(db)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "mailboxes.db"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	lines := append([]string{"configdirectory: " + dir, "partition-default: " + filepath.Join(dir, "spool"),
		"sievedir: " + filepath.Join(dir, "sieve")}, extra...)
	cf := filepath.Join(dir, "imapd.conf")
	if err := os.WriteFile(cf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(cf, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// TestMailboxListCtlMboxlist compares our N entries with what
// `ctl_mboxlist -d` printed for the same file.
func TestMailboxListCtlMboxlist(t *testing.T) {
	s, _ := testSpool(t, "twoskip/testdata/mailboxes.db")
	b, err := os.ReadFile("twoskip/testdata/mailboxes.ctl_mboxlist.golden")
	if err != nil {
		t.Fatal(err)
	}
	type dump struct {
		Name, MTime, UIDValidity, CreatedModseq, FolderModseq, MBType, Partition, UniqueID string
		ACL                                                                                map[string]string
	}
	var golden map[string]struct {
		Name          string            `json:"name"`
		MTime         string            `json:"mtime"`
		UIDValidity   string            `json:"uidvalidity"`
		CreatedModseq string            `json:"createdmodseq"`
		FolderModseq  string            `json:"foldermodseq"`
		MBType        string            `json:"mbtype"`
		Partition     string            `json:"partition"`
		UniqueID      string            `json:"uniqueid"`
		ACL           map[string]string `json:"acl"`
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for e, err := range s.Mailboxes(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		g, ok := golden[e.Name]
		if !ok {
			continue
		}
		seen++
		acl := map[string]string{}
		for _, a := range e.ACL {
			acl[a.ID] = a.Rights
		}
		got := dump{e.Name, strconv.FormatInt(e.MTime, 10), strconv.FormatUint(uint64(e.UIDValidity), 10),
			strconv.FormatUint(e.CreatedModseq, 10), strconv.FormatUint(e.FolderModseq, 10), e.Type.String(),
			e.Partition, e.UniqueID, acl}
		want := dump{g.Name, g.MTime, g.UIDValidity, g.CreatedModseq, g.FolderModseq, g.MBType, g.Partition, g.UniqueID, g.ACL}
		if len(got.ACL) == 0 {
			got.ACL = map[string]string{}
		}
		if g.ACL == nil {
			want.ACL = map[string]string{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", e.Name, got, want)
		}
	}
	if seen != len(golden) {
		t.Errorf("matched %d of %d ctl_mboxlist entries", seen, len(golden))
	}
}

func TestLookupAndHistory(t *testing.T) {
	s, _ := testSpool(t, "twoskip/testdata/mailboxes.db")
	e, err := s.LookupName("user.cassandane.F03renamed")
	if err != nil {
		t.Fatal(err)
	}
	if e.UniqueID != "vo7m4j7lkza7fwj95hdbbstz" || e.Partition != "default" || e.Deleted() || e.ACL.String() != "cassandane\tlrswipkxtecdan\tuser1\tlrsw\t" {
		t.Errorf("entry %+v", e)
	}
	old, err := s.LookupName("user.cassandane.F03")
	if err != nil || !old.Deleted() || old.Partition != "" || old.UniqueID != e.UniqueID {
		t.Errorf("tombstone %+v %v", old, err)
	}
	byID, err := s.LookupUniqueID(e.UniqueID)
	if err != nil {
		t.Fatal(err)
	}
	if byID.Name != e.Name || len(byID.History) != 1 || byID.History[0].Name != "user.cassandane.F03" ||
		byID.History[0].Type.String() != "ed" || byID.History[0].FolderModseq != 2 {
		t.Errorf("by id %+v", byID)
	}
	if _, err := s.LookupName("user.nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	users, err := s.Users(context.Background())
	if err != nil || strings.Join(users, ",") != "cassandane,user1" {
		t.Errorf("users %q %v", users, err)
	}
	mbs, err := s.UserMailboxes(context.Background(), "cassandane")
	if err != nil || len(mbs) < 10 || mbs[0].Name != "user.cassandane" {
		t.Errorf("user mailboxes %d %v", len(mbs), err)
	}
}

func TestMailboxListCorrupt(t *testing.T) {
	s, dir := testSpool(t, "twoskip/testdata/mailboxes.db")
	p := filepath.Join(dir, "mailboxes.db")
	b, _ := os.ReadFile(p)
	b[100] ^= 0xff
	os.WriteFile(p, b, 0o600)
	_, err := s.LookupName("user.cassandane")
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("corrupt db: %v", err)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ in, db string }{
		{"user.alice.Sent", "user\x1Falice\x1FSent"},
		{"example.com!user.bob^x", "example.com\x1Duser\x1Fbob.x"},
		{"DELETED.user.alice.Trash.6B0453B7", "DELETED\x1Fuser\x1Falice\x1FTrash\x1F6B0453B7"},
	} {
		if got := DBName(c.in); got != c.db {
			t.Errorf("DBName(%q) = %q", c.in, got)
		}
		if got := IntName(c.db); got != c.in {
			t.Errorf("IntName(%q) = %q", c.db, got)
		}
	}
	for _, s := range []string{"e", "ed", "ei", "fl", "elm", "cdl"} {
		if got := ParseMBType(s).String(); got != s && !(s == "elm" && got == "eml") {
			t.Errorf("mbtype %q -> %q", s, got)
		}
	}
	if ParseMBType("d").String() != "ed" || ParseMBType("f")&KindMask != KindSieve {
		t.Error("mbtype kinds")
	}
}

func TestEntriesWithPrefix(t *testing.T) {
	s, _ := testSpool(t, "twoskip/testdata/mailboxes.db")
	l, err := s.MailboxList()
	if err != nil {
		t.Fatal(err)
	}
	var all, want []string
	for e, err := range l.Entries(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e.Name)
		if strings.HasPrefix(e.Name, "user.cassandane.") {
			want = append(want, e.Name)
		}
	}
	var got []string
	for e, err := range l.EntriesWithPrefix(context.Background(), "user.cassandane.") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Name)
	}
	if len(want) == 0 || len(want) == len(all) || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("prefix walk %q, want %q (of %d)", got, want, len(all))
	}
}
