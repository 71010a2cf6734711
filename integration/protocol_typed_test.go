package integration

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// TestTypedAgainstCyrus asks a real Cyrus 3.6 replica, on csync (plain and
// DEFLATE) and on imapd's X-REPLICATION, for the state of a populated user
// (deliveries, system and user flags, an expunge, folders, mailbox and
// message annotations, a quota, seen state, subscriptions, #sieve), decodes
// every reply into typed values, checks that each re-encodes to the bytes
// Cyrus sent and that the SYNC_CRC and SYNC_CRC_ANNOT of every MAILBOX
// equal what spool's CRC code computes from the RECORDs of GET
// FULLMAILBOX. Then it sends typed APPLY commands and reads their effect
// back.
func TestTypedAgainstCyrus(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "replica")
	in.Start(t)
	populate(t, in)

	for _, tc := range []struct {
		name       string
		port       int
		tryIMAP    bool
		noCompress bool
	}{
		{"csync", in.CSyncPort, false, true},
		{"csync-deflate", in.CSyncPort, false, false},
		{"imap", in.IMAPPort, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			target, _ := protocol.ParseTarget("127.0.0.1")
			c, err := protocol.Dial(ctx, protocol.ClientOptions{
				Target: target, Port: itoa(tc.port), TryIMAP: tc.tryIMAP,
				AuthName: SyncUser, Password: SyncPassword, NoCompression: tc.noCompress,
			})
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			t.Run("get-user", func(t *testing.T) { typedGetUser(ctx, t, c, in.Cyrus.Version) })
			t.Run("get-meta", func(t *testing.T) { typedGetMeta(ctx, t, c) })
			t.Run("apply", func(t *testing.T) { typedApply(ctx, t, c, tc.name, in.Cyrus.Version) })
		})
	}
}

// sameBytes checks that a typed value encodes as the raw item did.
func sameBytes(t *testing.T, raw dlist.Value, typed protocol.Body) {
	t.Helper()
	a, err1 := dlist.Marshal(raw)
	b, err2 := dlist.Marshal(typed.Value())
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Errorf("%s re-encodes differently (%v %v):\n got %q\nwant %q", typed.Key(), err1, err2, b, a)
	}
}

// parseAll parses every item of a reply, checking byte identity.
func parseAll(t *testing.T, resp *protocol.Response) []protocol.Body {
	t.Helper()
	var out []protocol.Body
	for _, it := range resp.Items {
		b, err := protocol.ParseItem(it)
		if err != nil {
			t.Fatalf("%s: %v", it.Key, err)
		}
		sameBytes(t, it.Value, b)
		out = append(out, b)
	}
	return out
}

func typedGetUser(ctx context.Context, t *testing.T, c *protocol.Client, v Version) {
	resp, err := c.Do(ctx, &protocol.GetUser{UserID: "fred"})
	if err != nil {
		t.Fatalf("GET USER: %v", err)
	}
	parseAll(t, resp)
	st, err := protocol.ParseUserState(resp.Items)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Mailboxes) < 5 || st.Mailboxes[0].Name != "user.fred" {
		t.Fatalf("mailboxes %v", names(st.Mailboxes))
	}
	if len(st.Quotas) != 1 || st.Quotas[0].Root != "user.fred" || st.Quotas[0].Limits != [4]int64{100000, 500, -1, -1} {
		t.Errorf("quotas %+v", st.Quotas)
	}
	if st.Subscriptions == nil || !slices.Contains(st.Subscriptions.Names, "user.fred.Work") {
		t.Errorf("subscriptions %+v", st.Subscriptions)
	}
	checked, expunged, userFlags, annots, sieve, inter := 0, 0, 0, 0, false, 0
	for _, m := range st.Mailboxes {
		if m.Intermediate() {
			inter++
			if m.SyncCRC != 0 || m.Present.Has(protocol.KeySyncCRCAnnot) {
				t.Errorf("intermediate %s: %+v", m.Name, m)
			}
			continue
		}
		if !m.Present.Has(protocol.FullMailboxKeys) || m.Records != nil {
			t.Errorf("%s: keys %b records %v", m.Name, m.Present, m.Records != nil)
		}
		full, err := c.GetFullMailbox(ctx, m.Name)
		if err != nil {
			t.Fatalf("GET FULLMAILBOX %s: %v", m.Name, err)
		}
		if full.SyncCRC != m.SyncCRC || full.SyncCRCAnnot != m.SyncCRCAnnot || full.LastUID != m.LastUID || full.UniqueID != m.UniqueID {
			t.Errorf("%s: FULLMAILBOX %d/%d differs from USER %d/%d", m.Name, full.SyncCRC, full.SyncCRCAnnot, m.SyncCRC, m.SyncCRCAnnot)
		}
		sm := full.ToSpool()
		basic, annot := sm.ComputeSyncCRCs()
		if basic != full.SyncCRC || annot != full.SyncCRCAnnot {
			t.Errorf("%s: we compute SYNC_CRC %d SYNC_CRC_ANNOT %d from %d records, Cyrus says %d %d",
				m.Name, basic, annot, len(full.Records), full.SyncCRC, full.SyncCRCAnnot)
		}
		for i := range full.Records {
			r := &full.Records[i]
			if r.Expunged() {
				expunged++
			}
			userFlags += len(r.UserFlags())
			for _, a := range r.Annotations {
				if !strings.HasPrefix(a.Entry, "/vendor/cmu/cyrus-imapd/") {
					annots++
				}
			}
			if got := protocol.RecordFromSpool(&sm.Records[i], protocol.DefaultIndexVersion); !sameRecord(&got, r) {
				t.Errorf("%s uid %d: spool round trip %+v, want %+v", m.Name, r.UID, got, *r)
			}
		}
		if m.Name == "user.fred" && !hasAnnot(m.Annotations, "/comment", "fred", "fred's note") {
			t.Errorf("INBOX mailbox annotations %+v", m.Annotations)
		}
		sieve = sieve || m.Type == "f"
		checked++
	}
	t.Logf("%d mailboxes: CRCs recomputed from records; %d expunged records, %d user flags, %d message annotations; %d intermediates",
		checked, expunged, userFlags, annots, inter)
	if checked < 5 || expunged == 0 || userFlags < 3 || annots < 3 || !sieve {
		t.Errorf("population not seen: %d mailboxes, %d expunged, %d user flags, %d annotations, #sieve %v, %d intermediates",
			checked, expunged, userFlags, annots, sieve, inter)
	}
	if _, err := c.GetFullMailbox(ctx, "user.nosuch"); !errorsIsCode(err, protocol.CodeMailboxNonexistent) {
		t.Errorf("FULLMAILBOX of a missing mailbox: %v", err)
	}

	// Cyrus 3.6.1 takes GET ANNOTATION's argument as a mailbox pattern in
	// the admin's external namespace (annotatemore_findall_pattern →
	// mboxlist_findall): with unixhierarchysep the internal name matches
	// nothing; "user/fred" does, and the items carry internal names.
	// 3.10.2 takes the internal name (annotatemore_findall_mboxname):
	// "user/fred" is no mailbox.
	if v == V310 {
		if as, err := c.GetAnnotations(ctx, "user/fred"); !errorsIsCode(err, protocol.CodeMailboxNonexistent) {
			t.Errorf("GET ANNOTATION user/fred: %v %+v", err, as)
		}
	} else if as, err := c.GetAnnotations(ctx, "user.fred"); err != nil || len(as) != 0 {
		t.Errorf("GET ANNOTATION user.fred: %v %+v", err, as)
	}
	resp, err = c.Do(ctx, &protocol.GetAnnotation{MboxName: annotationArg(v, "user.fred")})
	if err != nil {
		t.Fatalf("GET ANNOTATION: %v", err)
	}
	var as []*protocol.MailboxAnnotation
	for _, b := range parseAll(t, resp) {
		as = append(as, b.(*protocol.MailboxAnnotation))
	}
	if len(as) != 2 || as[0].MboxName != "user.fred" || as[0].Entry != "/comment" {
		t.Errorf("GET ANNOTATION %s: %+v", annotationArg(v, "user.fred"), as)
	}
	resp, err = c.Do(ctx, &protocol.GetQuota{Root: "user.fred"})
	if err != nil || len(parseAll(t, resp)) != 1 {
		t.Errorf("GET QUOTA: %v", err)
	}
	ms, err := c.GetMailboxes(ctx, "user.fred.Work", "user.fred.nosuch")
	if err != nil || len(ms) != 1 || ms[0].Name != "user.fred.Work" {
		t.Errorf("GET MAILBOXES: %v %v", err, names(ms))
	}
}

// annotationArg is how GET ANNOTATION names mailbox name (internal) to
// Cyrus v: 3.6.1 wants the external name, 3.10.2 the internal one.
//
// cyrus: imap/sync_support.c sync_get_annotation (3.6.1, 3.10.2)
func annotationArg(v Version, name string) string {
	if v == V310 {
		return name
	}
	return strings.ReplaceAll(name, ".", "/")
}

func typedGetMeta(ctx context.Context, t *testing.T, c *protocol.Client) {
	resp, err := c.Do(ctx, &protocol.GetMeta{UserID: "bob"})
	if err != nil {
		t.Fatalf("GET META: %v", err)
	}
	parseAll(t, resp)
	st, err := protocol.ParseUserState(resp.Items)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Seen) == 0 || st.Seen[0].LastUID == 0 || st.Seen[0].SeenUIDs == "" {
		t.Errorf("bob's seen state %+v", st.Seen)
	}
}

// typedApply sends typed APPLY commands to the real replica and reads
// their effect back with typed GETs.
func typedApply(ctx context.Context, t *testing.T, c *protocol.Client, suffix string, v Version) {
	suffix = strings.ReplaceAll(suffix, "-", "")
	name := "user.bob.Typed" + suffix
	m := &protocol.Mailbox{
		UniqueID: "typed-" + suffix + "-0123456789abcdef", Name: name, SyncCRC: 0, SyncCRCAnnot: 12345678,
		LastUID: 0, HighestModseq: 3, UIDValidity: 1700000000, Partition: "default",
		ACL: "bob\tlrswipkxtecdan\t", Options: "P", CreatedModseq: 2, FolderModseq: 3,
		Annotations: []protocol.ListAnnotation{{Entry: "/comment", Modseq: 3, Data: "typed"}},
		Records:     []protocol.Record{},
	}
	m.SetCyrusKeys()
	if _, err := c.Do(ctx, &protocol.ApplyMailbox{Mailbox: m}); err != nil {
		t.Fatalf("APPLY MAILBOX: %v", err)
	}
	got, err := c.GetMailboxes(ctx, name)
	if err != nil || len(got) != 1 {
		t.Fatalf("GET MAILBOXES %s: %v %d", name, err, len(got))
	}
	want := *m
	want.Records = nil
	if a, b := dlist.Value.String(got[0].Value()), want.Value().String(); a != b {
		t.Errorf("replica has\n %s\nwe sent\n %s", a, b)
	}

	// An intermediate, in the form sync_client sends it; GET answers in
	// sync_mailbox_byentry's intermediate form.
	im := &protocol.Mailbox{UniqueID: "typed-i-" + suffix + "-0123456789abcd", Name: "user.bob.Inter" + suffix, Type: "ei",
		HighestModseq: 4, CreatedModseq: 2, FolderModseq: 4,
		Present: protocol.KeyMboxType | protocol.KeyHighestModseq | protocol.KeyCreatedModseq | protocol.KeyFolderModseq}
	if _, err := c.Do(ctx, &protocol.ApplyMailbox{Mailbox: im}); err != nil {
		t.Fatalf("APPLY MAILBOX intermediate: %v", err)
	}
	resp, err := c.Do(ctx, &protocol.GetMailboxes{Names: []string{im.Name}})
	if err != nil || len(resp.Items) != 1 {
		t.Fatalf("GET MAILBOXES intermediate: %v", err)
	}
	gi := parseAll(t, resp)[0].(*protocol.Mailbox)
	wantKeys := protocol.KeyMboxType | protocol.KeySyncCRC | protocol.KeyLastUID | protocol.KeyHighestModseq |
		protocol.KeyRecentUID | protocol.KeyRecentTime | protocol.KeyLastAppendDate | protocol.KeyPOP3LastLogin |
		protocol.KeyPOP3ShowAfter | protocol.KeyUIDValidity | protocol.KeyPartition | protocol.KeyACL | protocol.KeyOptions |
		protocol.KeyCreatedModseq | protocol.KeyFolderModseq
	if !gi.Intermediate() || gi.Present != wantKeys || gi.HighestModseq != 0 || gi.FolderModseq != 4 || gi.CreatedModseq != 2 {
		t.Errorf("intermediate read back: %s", gi.Value())
	}
	t.Logf("intermediate: %s", gi.Value())
	if _, err := c.Do(ctx, &protocol.ApplyUnmailbox{Name: im.Name}); err != nil {
		t.Errorf("UNMAILBOX intermediate: %v", err)
	}

	reserve := &protocol.ApplyReserve{Partition: "default", MboxNames: []string{"user.fred"},
		GUIDs: []guid.GUID{guid.Sum([]byte("nowhere"))}}
	full, err := c.GetFullMailbox(ctx, "user.fred")
	if err != nil {
		t.Fatal(err)
	}
	reserve.GUIDs = append(reserve.GUIDs, full.Records[0].GUID)
	missing, err := c.Reserve(ctx, reserve)
	if err != nil || len(missing) != 1 || missing[0] != reserve.GUIDs[0] {
		t.Errorf("RESERVE: %v missing %v", err, missing)
	}

	q := &protocol.Quota{Root: name, Limits: [4]int64{2048, 30, -1, 4}, Modseq: 5, HasModseq: true}
	if _, err := c.Do(ctx, &protocol.ApplyQuota{Quota: q}); err != nil {
		t.Errorf("APPLY QUOTA: %v", err)
	}
	resp, err = c.Do(ctx, &protocol.GetQuota{Root: name})
	if err != nil || len(resp.Items) != 1 {
		t.Fatalf("GET QUOTA: %v", err)
	}
	if gq, err := protocol.ParseQuota(resp.Items[0].Value); err != nil || gq.Limits != q.Limits {
		t.Errorf("quota read back %+v %v, sent %+v", gq, err, q)
	}

	steps := []protocol.Request{
		&protocol.ApplyAnnotation{Annotation: &protocol.MailboxAnnotation{MboxName: name, Entry: "/comment", UserID: "", Data: `\Sent ünïcode`}},
		&protocol.ApplySub{UserID: "bob", MboxName: name},
		&protocol.ApplySeen{Seen: &protocol.Seen{UserID: "bob", UniqueID: "typed-seen-" + suffix, LastRead: 1700000001,
			LastUID: 7, LastChange: 1700000002, SeenUIDs: "1:5,7"}},
	}
	for _, s := range steps {
		if _, err := c.Do(ctx, s); err != nil {
			t.Errorf("APPLY %s: %v", s.Key(), err)
		}
	}
	as, err := c.GetAnnotations(ctx, annotationArg(v, name))
	if err != nil || !slices.ContainsFunc(as, func(a *protocol.MailboxAnnotation) bool { return a.Data == `\Sent ünïcode` }) {
		t.Errorf("annotation read back: %v %+v", err, as)
	}
	meta, err := c.GetMeta(ctx, "bob")
	if err != nil || meta.Subscriptions == nil || !slices.Contains(meta.Subscriptions.Names, name) ||
		!slices.ContainsFunc(meta.Seen, func(s *protocol.Seen) bool {
			return s.UniqueID == "typed-seen-"+suffix && s.SeenUIDs == "1:5,7" && s.LastUID == 7
		}) {
		t.Errorf("GET META bob after APPLY: %v %+v", err, meta)
	}

	cleanup := []protocol.Request{
		&protocol.ApplyUnannotation{MboxName: name, Entry: "/comment", UserID: ""},
		&protocol.ApplySub{Unsub: true, UserID: "bob", MboxName: name},
		&protocol.ApplyUnquota{Root: name},
		&protocol.ApplyRename{OldName: name, NewName: name + "X", Partition: "default", UIDValidity: m.UIDValidity},
		&protocol.ApplyUnmailbox{Name: name + "X"},
	}
	for _, s := range cleanup {
		if _, err := c.Do(ctx, s); err != nil {
			t.Errorf("APPLY %s: %v", s.Key(), err)
		}
	}
	if ms, err := c.GetMailboxes(ctx, name, name+"X"); err != nil || len(ms) != 0 {
		t.Errorf("after RENAME + UNMAILBOX: %v %v", err, names(ms))
	}
	// A name that only has a tombstone left is deleted again with OK; a
	// name never seen is IMAP_MAILBOX_NONEXISTENT.
	if _, err := c.Do(ctx, &protocol.ApplyUnmailbox{Name: name + "X"}); err != nil {
		t.Errorf("UNMAILBOX of a tombstone: %v", err)
	}
	if _, err := c.Do(ctx, &protocol.ApplyUnmailbox{Name: name + "Never"}); !errorsIsCode(err, protocol.CodeMailboxNonexistent) {
		t.Errorf("UNMAILBOX of a name never used: %v", err)
	}
}

func names(ms []*protocol.Mailbox) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func hasAnnot(as []protocol.ListAnnotation, entry, userid, value string) bool {
	return slices.ContainsFunc(as, func(a protocol.ListAnnotation) bool {
		return a.Entry == entry && a.UserID == userid && a.Data == value
	})
}

// sameRecord compares what RecordFromSpool can rebuild: everything but the
// order of stored annotations (Cyrus's DB order).
func sameRecord(a, b *protocol.Record) bool {
	x, y := *a, *b
	x.Annotations, y.Annotations = nil, nil
	if !slices.Equal(x.Flags, y.Flags) {
		return false
	}
	x.Flags, y.Flags = nil, nil
	if x.UID != y.UID || x.Modseq != y.Modseq || x.LastUpdated != y.LastUpdated || x.InternalDate != y.InternalDate ||
		x.Size != y.Size || x.GUID != y.GUID || len(a.Annotations) != len(b.Annotations) {
		return false
	}
	for _, an := range a.Annotations {
		if !slices.ContainsFunc(b.Annotations, func(o protocol.ListAnnotation) bool {
			return o.Entry == an.Entry && o.UserID == an.UserID && o.Data == an.Data && o.Modseq == an.Modseq
		}) {
			return false
		}
	}
	return true
}
