package protocol

import (
	"reflect"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// TestMailboxSpoolConversion converts a mailbox to the spool model and
// back.
func TestMailboxSpoolConversion(t *testing.T) {
	m := sampleMailbox()
	sm := m.ToSpool()
	if sm.Type != spool.KindEmail || sm.Options != index.OptPOP3NewUIDL|index.OptIMAPSharedSeen ||
		!reflect.DeepEqual(sm.ACL, spool.ACL{{ID: "alice", Rights: "lrswipkxtecdan"}, {ID: "anyone", Rights: "p"}}) ||
		!reflect.DeepEqual(sm.UserFlags, []string{"$Label1", "Work"}) || sm.IndexVersion != DefaultIndexVersion {
		t.Errorf("mailbox %+v", sm)
	}
	if len(sm.Annotations) != 1 || sm.Annotations[0].UID != 0 || string(sm.Annotations[0].Value) != "hi there" {
		t.Errorf("mailbox annotations %+v", sm.Annotations)
	}
	r := sm.Records[0]
	if r.System != index.FlagSeen || !reflect.DeepEqual(r.UserFlags, []string{"$Label1"}) || r.CID != 0xab ||
		r.SaveDate != 1700000000 || r.CreatedModseq != 2 || len(r.Annotations) != 1 || r.Annotations[0].UserID != "alice" ||
		r.Annotations[0].UID != 1 || r.Size != 143 {
		t.Errorf("record %+v", r)
	}

	back := MailboxFromSpool(sm, true)
	if back.Type != "" || back.ACL != m.ACL || back.Options != m.Options || back.QuotaRoot != m.QuotaRoot {
		t.Errorf("back %+v", back)
	}
	if !back.Present.Has(FullMailboxKeys|KeyQuotaRoot|KeyCreatedModseq|KeyFolderModseq) || back.Present.Has(KeyMboxType|KeySinceModseq) {
		t.Errorf("back keys %b", back.Present)
	}
	for i := range m.Records {
		if got, want := back.Records[i].Value().String(), m.Records[i].Value().String(); got != want {
			t.Errorf("record %d:\n got %s\nwant %s", i, got, want)
		}
	}
	if got := MailboxFromSpool(sm, false); got.Records != nil {
		t.Errorf("records without asking")
	}

	// Without USERFLAGS the slots come from the records; old index
	// versions carry fewer pseudo-annotations.
	m.UserFlags = nil
	m.Records[1].Flags = []string{"Z", `\deleted`, "$Label1", `\Unknown`}
	sm = m.ToSpool()
	if !reflect.DeepEqual(sm.UserFlags, []string{"$Label1", "Z"}) || sm.Records[1].System != index.FlagDeleted {
		t.Errorf("derived user flags %v, system %v", sm.UserFlags, sm.Records[1].System)
	}
	if rec := RecordFromSpool(&sm.Records[0], 14); len(rec.Annotations) != 2 {
		t.Errorf("version 14 annotations %+v", rec.Annotations)
	}
	sm.Type = spool.KindSieve | spool.TypeLegacyDirs
	if got := MailboxFromSpool(sm, false); got.Type != "f" || !got.Present.Has(KeyMboxType) {
		t.Errorf("sieve type %q", got.Type)
	}
}

func TestACLAndOptions(t *testing.T) {
	for _, s := range []string{"", "a\tl\t", "alice\tlrswipkxtecdan\t-bob\tr\tanyone\tp\t"} {
		if got := ParseACL(s).String(); got != s {
			t.Errorf("ACL %q -> %q", s, got)
		}
	}
	if got := ParseACL("a\tl\tb"); !reflect.DeepEqual(got, spool.ACL{{ID: "a", Rights: "l"}, {ID: "b"}}) {
		t.Errorf("odd ACL %+v", got)
	}
	for _, s := range []string{"", "P", "PSDA", "SA"} {
		if got := EncodeOptions(ParseOptions(s)); got != s {
			t.Errorf("options %q -> %q", s, got)
		}
	}
	if got := EncodeOptions(ParseOptions("xDyP") | index.OptMailboxDeleted); got != "PD" {
		t.Errorf("options %q", got)
	}
}

func TestQuotaSeenSpoolConversion(t *testing.T) {
	sq := &spool.Quota{Root: "user.a", Used: map[string]int64{spool.ResStorage: 5},
		Limit: map[string]int64{spool.ResStorage: 100, spool.ResNumFolders: 3}, Modseq: 9}
	q := QuotaFromSpool(sq)
	if q.Limits != [4]int64{100, -1, -1, 3} || !q.HasModseq || q.Modseq != 9 {
		t.Errorf("quota %+v", q)
	}
	if got := q.Value().String(); got != "%(ROOT user.a LIMIT 100 STORAGE 100 X-NUM-FOLDERS 3 MODSEQ 9)" {
		t.Errorf("quota wire %s", got)
	}
	back := q.ToSpool()
	if !reflect.DeepEqual(back.Limit, sq.Limit) || back.Root != sq.Root || back.Modseq != 9 {
		t.Errorf("quota back %+v", back)
	}
	ss := &spool.Seen{UniqueID: "u", LastRead: 1, LastUID: 2, LastChange: 3, SeenUIDs: "1:2"}
	s := SeenFromSpool("bob", ss)
	if got := s.Value().String(); got != "%(USERID bob UNIQUEID u LASTREAD 1 LASTUID 2 LASTCHANGE 3 SEENUIDS 1:2)" {
		t.Errorf("seen wire %s", got)
	}
	if s.ToSpool() != *ss {
		t.Errorf("seen back %+v", s.ToSpool())
	}
	if got := (&LSub{Names: []string{"user.a"}}).ToSpool("a"); got.UserID != "a" || len(got.Names) != 1 {
		t.Errorf("lsub %+v", got)
	}
}
