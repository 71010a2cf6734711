package spool

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/header"
)

// lifecycleSpool is a temporary spool with an empty mailboxes.db and a
// quota root for user.fred.
func lifecycleSpool(t *testing.T, extra ...string) (*Spool, string) {
	t.Helper()
	s, dir := testSpool(t, "", append([]string{"defaultpartition: default", "partition-other: " + filepath.Join(t.TempDir(), "other")}, extra...)...)
	if err := os.WriteFile(filepath.Join(dir, "mailboxes.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func mustCreate(t *testing.T, s *Spool, p CreateParams) *Entry {
	t.Helper()
	e, err := s.CreateMailbox(context.Background(), p)
	if err != nil {
		t.Fatalf("create %s: %v", p.Name, err)
	}
	return e
}

func entryOf(t *testing.T, s *Spool, name string) *Entry {
	t.Helper()
	e, err := s.LookupName(name)
	if err != nil {
		t.Fatalf("lookup %s: %v", name, err)
	}
	return e
}

func TestCreateMailbox(t *testing.T) {
	s, _ := lifecycleSpool(t)
	ctx := context.Background()
	inbox := mustCreate(t, s, CreateParams{Name: "user.fred", UniqueID: "inboxid", UIDValidity: 100, HighestModseq: 5,
		ACL: ACL{{"fred", "lrswipkxtecdan"}}})
	if inbox.Partition != "default" || inbox.FolderModseq != 5 || inbox.CreatedModseq != 5 {
		t.Errorf("INBOX entry: %+v", inbox)
	}
	m, h := readBack(t, s, "user.fred")
	if m.UIDValidity != 100 || m.HighestModseq != 5 || m.IndexVersion != 17 || m.SyncCRCAnnot != crcInitAnnot ||
		h.Name != "user.fred" || h.UniqueID != "inboxid" || h.Type != "e" {
		t.Errorf("new INBOX: %+v %+v", m.IndexHeader, h)
	}
	// a sub-mailbox deep down fills in the missing level as a real mailbox
	mustCreate(t, s, CreateParams{Name: "user.fred.a.b", UIDValidity: 7, HighestModseq: 9, FolderModseq: 8})
	mid := entryOf(t, s, "user.fred.a")
	if !mid.HasFiles() || mid.FolderModseq != 8 || mid.ACL.String() != "fred\tlrswipkxtecdan\t" {
		t.Errorf("intermediate user.fred.a: %+v", mid)
	}
	for _, c := range []struct {
		p    CreateParams
		want error
	}{
		{CreateParams{Name: "user.bob.x"}, ErrPermissionDenied},
		{CreateParams{Name: "user.fred.a"}, ErrMailboxExists},
		{CreateParams{Name: "user.fred.z", Partition: "nowhere"}, ErrPartitionUnknown},
		{CreateParams{Name: "user.fred..z"}, ErrBadName},
	} {
		_, err := s.CreateMailbox(ctx, c.p)
		var me *MailboxError
		if !errors.Is(err, c.want) || !errors.As(err, &me) {
			t.Errorf("create %s: %v, want %v", c.p.Name, err, c.want)
		}
	}
	// the writer appends to a new mailbox (cyrus.cache made on demand)
	w, err := s.OpenMailboxWriter(ctx, "user.fred.a.b")
	if err != nil {
		t.Fatal(err)
	}
	w.RaiseLastUID(3)
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteMailbox(t *testing.T) {
	s, _ := lifecycleSpool(t)
	ctx := context.Background()
	mustCreate(t, s, CreateParams{Name: "user.fred", HighestModseq: 2})
	e := mustCreate(t, s, CreateParams{Name: "user.fred.gone", HighestModseq: 3})
	dir, _ := s.MailboxDir(e)
	if err := s.DeleteMailbox(ctx, "user.fred.gone", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	tomb := entryOf(t, s, "user.fred.gone")
	if tomb.Type.String() != "ed" || tomb.UniqueID != e.UniqueID || tomb.FolderModseq != 3 || tomb.Partition != "" {
		t.Errorf("tombstone: %+v", tomb)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still there: %v", dir, err)
	}
	if err := s.DeleteMailbox(ctx, "user.fred.nope", DeleteOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete missing: %v", err)
	}
	// delayed: renamed under DELETED, files kept
	e = mustCreate(t, s, CreateParams{Name: "user.fred.later", HighestModseq: 4})
	if err := s.DeleteMailbox(ctx, "user.fred.later", DeleteOptions{Delayed: true}); err != nil {
		t.Fatal(err)
	}
	var moved *Entry
	for x, err := range s.Mailboxes(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(x.Name, "DELETED.user.fred.later.") {
			moved = x
		}
	}
	if moved == nil || moved.UniqueID != e.UniqueID || moved.FolderModseq != 5 {
		t.Fatalf("DELETED entry: %+v", moved)
	}
	if _, h := readBack(t, s, moved.Name); h.Name != moved.Name {
		t.Errorf("DELETED mailbox header: %+v", h)
	}
}

func TestRenameMailbox(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(map[bool]string{false: "uuid", true: "legacy"}[legacy], func(t *testing.T) {
			var extra []string
			if legacy {
				extra = append(extra, "mailbox_legacy_dirs: yes")
			}
			s, _ := lifecycleSpool(t, extra...)
			ctx := context.Background()
			mustCreate(t, s, CreateParams{Name: "user.fred", HighestModseq: 2})
			e := mustCreate(t, s, CreateParams{Name: "user.fred.old", HighestModseq: 6, UIDValidity: 33})
			if err := s.RenameMailbox(ctx, "user.fred.old", "user.fred.new", RenameOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := entryOf(t, s, "user.fred.old"); !got.Deleted() {
				t.Errorf("old name: %+v", got)
			}
			n := entryOf(t, s, "user.fred.new")
			if n.UniqueID != e.UniqueID || n.UIDValidity != 33 || n.FolderModseq != 6 || n.LegacyDirs() != legacy {
				t.Errorf("new entry: %+v", n)
			}
			i, err := s.LookupUniqueID(e.UniqueID)
			if err != nil || len(i.History) != 1 || i.History[0].Name != "user.fred.old" {
				t.Errorf("I record: %+v, %v", i, err)
			}
			if m, h := readBack(t, s, "user.fred.new"); h.Name != "user.fred.new" || m.HighestModseq != 6 {
				t.Errorf("renamed mailbox: %+v %+v", m.IndexHeader, h)
			}
			if err := s.RenameMailbox(ctx, "user.fred", "user.bob", RenameOptions{}); !errors.Is(err, ErrNotSupported) {
				t.Errorf("user rename without allowusermoves: %v", err)
			}
			if err := s.RenameMailbox(ctx, "user.fred.new", "user.fred.new", RenameOptions{Partition: "other"}); err != nil {
				t.Fatal(err)
			}
			if n := entryOf(t, s, "user.fred.new"); n.Partition != "other" {
				t.Errorf("partition move: %+v", n)
			}
			readBack(t, s, "user.fred.new")
		})
	}
}

// readBack reads a mailbox as our reader does, and its cyrus.header.
func readBack(t *testing.T, s *Spool, name string) (*Mailbox, *header.Header) {
	t.Helper()
	m, err := s.Snapshot(context.Background(), name)
	if err != nil {
		t.Fatalf("snapshot %s: %v", name, err)
	}
	p, err := s.MetaPath(entryOf(t, s, name), MetaHeader)
	if err != nil {
		t.Fatal(err)
	}
	h, err := header.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return m, h
}
