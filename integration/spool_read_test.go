package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// TestSpoolRead populates a real Cyrus 3.6 (by-id layout, and legacy
// by-name directories with hashimapspool) and compares what package spool
// reads with what Cyrus's own tools print: ctl_mboxlist -d (every
// mailboxes.db entry), mbpath -j (directories, per-user files, sieve dir),
// mbexamine (index header and records), quota (usage and limits); and the
// sync CRCs we recompute with the ones Cyrus keeps in cyrus.index, which
// are what its sync_server reports in GET MAILBOXES. Variants: legacy
// by-name directories (also with fulldirhash), a flat mailboxes.db and seen
// db with twoskip subscriptions, skiplist for every DB, and a metapartition plus an archive
// partition after cyr_expire -A.
func TestSpoolRead(t *testing.T) {
	RequireCyrus(t)
	base := TempDir(t)
	meta, archive := base+"/meta", base+"/archive"
	for _, c := range []struct {
		name   string
		legacy bool
		extra  []string
		after  func(t *testing.T, in *Instance)
	}{
		{name: "uuid"},
		{name: "legacy", legacy: true, extra: []string{"mailbox_legacy_dirs: yes", "hashimapspool: true"}},
		{name: "legacy-fulldirhash", legacy: true, extra: []string{"mailbox_legacy_dirs: yes", "hashimapspool: true", "fulldirhash: yes"}},
		{name: "flat-mboxlist", extra: []string{"mboxlist_db: flat", "seenstate_db: flat", "subscription_db: twoskip"}},
		{name: "skiplist-dbs", extra: []string{"mboxlist_db: skiplist", "seenstate_db: skiplist", "annotation_db: skiplist", "subscription_db: skiplist"}},
		{name: "meta-archive", extra: []string{"metapartition-default: " + meta, "metapartition_files: header index annotations",
			"archive_enabled: yes", "archivepartition-default: " + archive},
			after: func(t *testing.T, in *Instance) {
				if r := in.Tool(t, "cyr_expire", "-A", "0", "-X", "1000"); r.Code != 0 {
					t.Fatalf("cyr_expire -A 0: %d %s", r.Code, r.Stderr)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, d := range []string{meta, archive} {
				os.MkdirAll(d, 0o750)
				Chown(t, d)
			}
			in := NewInstance(t, TempDir(t), "master", c.extra...)
			in.Start(t)
			populate(t, in)
			if c.after != nil {
				c.after(t, in)
			}
			sp := openSpool(t, in)
			checkMailboxList(t, in, sp, c.legacy)
			checkMailboxes(t, in, sp)
			checkUserStores(t, in, sp)
			checkSieve(t, sp)
			if b, _ := os.ReadFile(sp.MailboxListPath()); c.name == "flat-mboxlist" && (len(b) == 0 || b[0] == 0xA1) {
				t.Errorf("mailboxes.db is not flat: %q", b[:min(len(b), 40)])
			}
			if b, _ := os.ReadFile(sp.MailboxListPath()); c.name == "skiplist-dbs" && !strings.HasPrefix(string(b), "\xA1\x02\x8B\x0Dskiplist") {
				t.Errorf("mailboxes.db is not skiplist: %q", b[:min(len(b), 40)])
			}
			if c.name == "meta-archive" {
				checkMetaArchive(t, sp, meta, archive)
			}
		})
	}
}

func openSpool(t *testing.T, in *Instance) *spool.Spool {
	t.Helper()
	cfg := in.LoadConf(t, "sync_client", 0)
	sp, err := spool.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

type ctlEntry struct {
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

// checkMailboxList compares every N entry with ctl_mboxlist -d, and the I
// records' name history with the renames and deletes done.
func checkMailboxList(t *testing.T, in *Instance, sp *spool.Spool, legacy bool) {
	r := in.Tool(t, "ctl_mboxlist", "-d")
	if r.Code != 0 {
		t.Fatalf("ctl_mboxlist -d: %d %s", r.Code, r.Stderr)
	}
	var golden map[string]ctlEntry
	if err := json.Unmarshal([]byte(r.Stdout), &golden); err != nil {
		t.Fatalf("ctl_mboxlist -d output: %v\n%s", err, r.Stdout)
	}
	n := 0
	for e, err := range sp.Mailboxes(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		g, ok := golden[e.Name]
		if !ok {
			t.Errorf("%s: not in ctl_mboxlist -d", e.Name)
			continue
		}
		acl := map[string]string{}
		for _, a := range e.ACL {
			acl[a.ID] = a.Rights
		}
		if g.ACL == nil {
			g.ACL = map[string]string{}
		}
		got := ctlEntry{e.Name, fmt.Sprint(e.MTime), fmt.Sprint(e.UIDValidity), fmt.Sprint(e.CreatedModseq),
			fmt.Sprint(e.FolderModseq), e.Type.String(), e.Partition, e.UniqueID, acl}
		if fmt.Sprint(got) != fmt.Sprint(g) {
			t.Errorf("%s:\n ours %+v\nCyrus %+v", e.Name, got, g)
		}
		if !e.Deleted() && e.LegacyDirs() != legacy {
			t.Errorf("%s: legacy dirs %v", e.Name, e.LegacyDirs())
		}
	}
	if n != len(golden) {
		t.Errorf("%d entries, ctl_mboxlist -d has %d", n, len(golden))
	}
	ren, err := sp.LookupName("user.fred.Renamed")
	if err != nil {
		t.Fatal(err)
	}
	byID, err := sp.LookupUniqueID(ren.UniqueID)
	if err != nil {
		t.Fatal(err)
	}
	if byID.Name != "user.fred.Renamed" || len(byID.History) != 1 || byID.History[0].Name != "user.fred.Old" || !byID.History[0].Type.Has(spool.TypeDeleted) {
		t.Errorf("history of Renamed: %+v", byID)
	}
	if old, err := sp.LookupName("user.fred.Old"); err != nil || !old.Deleted() || old.UniqueID != ren.UniqueID {
		t.Errorf("tombstone: %+v %v", old, err)
	}
	users, err := sp.Users(context.Background())
	if err != nil || strings.Join(users, " ") != "bob fred" {
		t.Errorf("users %q %v", users, err)
	}
}

// extName is the external name (unixhierarchysep) tools take.
func extName(intname string) string {
	ext, err := (conf.Namespace{Sep: '/', DeletedPrefix: "DELETED"}).External(intname)
	if err != nil {
		panic(err)
	}
	return ext
}

var (
	reExamRecord = regexp.MustCompile(`UID:(\d+)\s+INT_DATE:(\d+) SENTDATE:\d+ SAVEDATE:(\d+) SIZE:(\d+)\s+> HDRSIZE:\d+\s+LASTUPD :(\d+) SYSFLAGS:([0-9a-f]+)\s+> CACHEVER:\d+ GUID:([0-9a-f]+) MODSEQ:(\d+)[^\n]*\n[^\n]*\n\s+> USERFLAGS: ([0-9a-f ]+)`)
	reExamHeader = regexp.MustCompile(`Number of Messages: (\d+)  Mailbox Size: (\d+) bytes  Annotations Size: (\d+) bytes[\s\S]*UIDValidity: (\d+)  Last UID: (\d+)\s+Deleted: (\d+)  Answered: (\d+)  Flagged: (\d+)[\s\S]*Highest Mod Sequence: (\d+)`)
)

// checkMailboxes snapshots every live mailbox and compares it with mbpath
// -j and mbexamine; recomputes both sync CRCs and every message GUID.
func checkMailboxes(t *testing.T, in *Instance, sp *spool.Spool) {
	ctx := context.Background()
	checked := 0
	for e, err := range sp.Mailboxes(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if !e.HasFiles() {
			continue
		}
		checked++
		// Cyrus created the mailbox's lock file (and the owner's
		// namespace lock file) when it opened the mailbox
		// (checked before our snapshot, which would create them).
		locks := []string{spool.MailboxLockName(e)}
		if owner := sp.Layout().NS.UserIDOf(e.Name); owner != "" {
			locks = append(locks, spool.UserLockName(owner))
		}
		for _, l := range locks {
			if _, err := os.Stat(sp.LockPath(l)); err != nil {
				t.Errorf("%s: lock file: %v", e.Name, err)
			}
		}
		m, st, err := sp.SnapshotStats(ctx, e.Name)
		if err != nil {
			t.Errorf("%s: %v", e.Name, err)
			continue
		}
		if st.IndexLocked > st.NameLocked {
			t.Errorf("%s: lock times %+v", e.Name, st)
		}
		var paths struct {
			Archive, Data, Meta string
		}
		args := []string{"-j", extName(e.Name)}
		if in.Cyrus.Version == V310 {
			// cyrus: imap/mbpath.c main (3.10.2): names are UTF-8 unless -7
			args = append([]string{"-7"}, args...)
		}
		r := in.Tool(t, "mbpath", args...)
		if err := json.Unmarshal([]byte(r.Stdout), &paths); err != nil {
			t.Fatalf("mbpath -j %s: %v %s", e.Name, err, r.Stdout+r.Stderr)
		}
		data, _ := sp.MailboxDir(e)
		archive, _ := sp.ArchiveDir(e)
		meta, _ := sp.MetaPath(e, spool.MetaIndex)
		if data != paths.Data || archive != paths.Archive || meta != paths.Meta+"/cyrus.index" {
			t.Errorf("%s: paths %s %s %s, mbpath %+v", e.Name, data, archive, meta, paths)
		}
		basic, annot := m.ComputeSyncCRCs()
		if basic != m.SyncCRC || annot != m.SyncCRCAnnot {
			t.Errorf("%s: computed sync CRCs %d/%d, cyrus.index has %d/%d", e.Name, basic, annot, m.SyncCRC, m.SyncCRCAnnot)
		}
		compareExamine(t, in, sp, m)
	}
	if checked < 6 { // bob, fred, Renamed, Work, Work.Deep, DELETED.…Gone
		t.Errorf("only %d mailboxes checked", checked)
	}
	// Message annotations and flags of fred's INBOX, as populate set them.
	m, err := sp.Snapshot(ctx, "user.fred")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range m.Records {
		for _, a := range r.Annotations {
			got = append(got, fmt.Sprintf("%d %s %s=%s", r.UID, a.Entry, a.UserID, a.Value))
		}
	}
	slices.Sort(got)
	want := []string{"3 /comment =msg note", "3 /comment fred=mine", "4 /altsubject =hello"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("message annotations %q, want %q", got, want)
	}
	if len(m.Records) != 4 || !m.Records[1].Expunged() || strings.Join(m.Records[0].FlagNames(), " ") != `\Flagged \Seen $Work Later` {
		t.Errorf("INBOX records: %+v", m.Records)
	}
	var ma []string
	for _, a := range m.Annotations {
		ma = append(ma, fmt.Sprintf("%s %s=%s", a.Entry, a.UserID, a.Value))
	}
	slices.Sort(ma)
	if strings.Join(ma, "|") != "/comment =shared note|/comment fred=fred's note" {
		t.Errorf("mailbox annotations %q", ma)
	}
	if m.QuotaRoot != "user.fred" {
		t.Errorf("quota root %q", m.QuotaRoot)
	}
}

// compareExamine compares the mailbox with what mbexamine prints: counters
// of the index header and every non-expunged record.
func compareExamine(t *testing.T, in *Instance, sp *spool.Spool, m *spool.Mailbox) {
	r := in.Tool(t, "mbexamine", extName(m.Name))
	if r.Code != 0 {
		t.Errorf("mbexamine %s: %d %s", m.Name, r.Code, r.Stderr)
		return
	}
	out := r.Stdout
	h := m.IndexHeader
	hm := reExamHeader.FindStringSubmatch(out)
	if hm == nil {
		t.Errorf("mbexamine %s: no header in\n%s", m.Name, out)
		return
	}
	ours := []string{fmt.Sprint(h.Exists), fmt.Sprint(h.QuotaMailboxUsed), fmt.Sprint(h.QuotaAnnotUsed), fmt.Sprint(m.UIDValidity),
		fmt.Sprint(m.LastUID), fmt.Sprint(h.Deleted), fmt.Sprint(h.Answered), fmt.Sprint(h.Flagged), fmt.Sprint(m.HighestModseq)}
	if strings.Join(ours, " ") != strings.Join(hm[1:], " ") {
		t.Errorf("%s header: ours %v, mbexamine %v", m.Name, ours, hm[1:])
	}
	if want := "  Unique ID: " + m.UniqueID + "\n"; !strings.Contains(out, want) {
		t.Errorf("%s: uniqueid %s not in mbexamine", m.Name, m.UniqueID)
	}
	uf := "[none]"
	if len(m.UserFlags) > 0 {
		uf = strings.Join(m.UserFlags, " ") + " "
	}
	if !strings.Contains(out, "  User Flags: "+uf+"\n") {
		t.Errorf("%s: user flags %q not in mbexamine", m.Name, uf)
	}
	var live []spool.Record
	for _, rec := range m.Records {
		if !rec.Expunged() {
			live = append(live, rec)
		}
	}
	recs := reExamRecord.FindAllStringSubmatch(out, -1)
	if len(recs) != len(live) {
		t.Errorf("%s: %d live records, mbexamine shows %d", m.Name, len(live), len(recs))
		return
	}
	for i, g := range recs {
		rec := &live[i]
		words := make([]string, 4)
		for j := range 4 {
			var w uint32
			for k, f := range m.UserFlags {
				if k/32 == 3-j && slices.Contains(rec.UserFlags, f) && f != "" {
					w |= 1 << (k % 32)
				}
			}
			words[j] = fmt.Sprintf("%08x", w)
		}
		ours := []string{fmt.Sprint(rec.UID), fmt.Sprint(rec.InternalDate), fmt.Sprint(rec.SaveDate), fmt.Sprint(rec.Size),
			fmt.Sprint(rec.LastUpdated), fmt.Sprintf("%08x", uint32(rec.System&0xffff)), rec.GUID.String(), fmt.Sprint(rec.Modseq),
			strings.Join(words, " ")}
		theirs := append([]string{}, g[1:]...)
		u, _ := strconv.Atoi(theirs[0])
		theirs[0] = fmt.Sprint(u)
		theirs[8] = strings.TrimSpace(theirs[8])
		if strings.Join(ours, "|") != strings.Join(theirs, "|") {
			t.Errorf("%s record %d:\n ours %v\nCyrus %v", m.Name, i, ours, theirs)
		}
		path, err := sp.RecordPath(m, rec)
		if err != nil {
			t.Error(err)
			continue
		}
		if g, err := guid.File(path); err != nil || g != rec.GUID {
			t.Errorf("%s: %s: GUID %s, record %s (%v)", m.Name, path, g, rec.GUID, err)
		}
		if err := sp.VerifyMessage(m, rec); err != nil {
			t.Error(err)
		}
	}
}

// checkUserStores compares per-user files: paths with mbpath -j, quota with
// the quota tool, seen state and subscriptions with what populate did.
func checkUserStores(t *testing.T, in *Instance, sp *spool.Spool) {
	var paths struct {
		User struct{ Seen, Sub, Sieve string }
	}
	for _, u := range []string{"fred", "bob"} {
		r := in.Tool(t, "mbpath", "-j", "user/"+u)
		if err := json.Unmarshal([]byte(r.Stdout), &paths); err != nil {
			t.Fatalf("mbpath -j: %v", err)
		}
		seen, _ := sp.SeenPath(u)
		sub, _ := sp.SubscriptionsPath(u)
		sieve, _ := sp.SieveDir(u)
		if seen != paths.User.Seen || sub != paths.User.Sub || sieve != paths.User.Sieve {
			t.Errorf("%s: %s %s %s, mbpath %+v", u, seen, sub, sieve, paths.User)
		}
	}
	subs, err := sp.Subscriptions("fred")
	if err != nil || strings.Join(subs.Names, " ") != "user.fred.Work" {
		t.Errorf("fred's subscriptions %+v %v", subs, err)
	}
	work, err := sp.LookupName("user.fred.Work")
	if err != nil {
		t.Fatal(err)
	}
	seen, err := sp.SeenState("bob")
	if err != nil || len(seen) != 1 || seen[0].UniqueID != work.UniqueID || seen[0].SeenUIDs != "1" || seen[0].LastUID != 2 {
		t.Errorf("bob's seen state %+v %v", seen, err)
	}
	roots, err := sp.QuotaRoots()
	if err != nil || strings.Join(roots, " ") != "user.fred" {
		t.Fatalf("quota roots %q %v", roots, err)
	}
	q, err := sp.Quota("user.fred")
	if err != nil {
		t.Fatal(err)
	}
	// quota prints: limit, percent, used (KiB for STORAGE), resource, root.
	r := in.Tool(t, "quota")
	// Cyrus 3.10 prints RFC 9208's names, 3.6 the legacy ones.
	names := map[string]string{"STORAGE": spool.ResStorage, "MESSAGE": spool.ResMessage, "X-ANNOTATION-STORAGE": spool.ResAnnotStorage, "X-NUM-FOLDERS": spool.ResNumFolders,
		"ANNOTATION-STORAGE": spool.ResAnnotStorage, "MAILBOX": spool.ResNumFolders}
	n := 0
	for _, l := range strings.Split(r.Stdout, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || f[len(f)-1] != "user/fred" {
			continue
		}
		res := names[f[len(f)-2]]
		used := q.Used[res]
		if res == spool.ResStorage || res == spool.ResAnnotStorage {
			used /= 1024
		}
		want := fmt.Sprint(used)
		if lim, ok := q.Limit[res]; ok {
			want = fmt.Sprintf("%d %d", lim, used)
			f = []string{f[0], f[2]}
		} else {
			f = []string{f[0]}
		}
		if strings.Join(f, " ") != want {
			t.Errorf("quota %s: ours %s, quota tool %v", res, want, f)
		}
		n++
	}
	if n != 4 {
		t.Errorf("quota tool: %d lines for user/fred\n%s", n, r.Stdout)
	}
	if _, err := os.Stat(sp.QuotaPath("user.fred")); err != nil {
		t.Error(err)
	}
}

// checkSieve compares fred's scripts in #sieve with what putSieve stored
// and with the sieve directory's defaultbc link.
func checkSieve(t *testing.T, sp *spool.Spool) {
	scripts, err := sp.SieveScripts(context.Background(), "fred")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range scripts {
		got = append(got, fmt.Sprintf("%s active=%v %q", s.Name, s.Active, s.Content))
		if s.GUID != guid.Sum(s.Content) || s.ID == "" {
			t.Errorf("script %s: guid %s id %q", s.Name, s.GUID, s.ID)
		}
	}
	want := []string{`first active=false "keep;\r\n"`,
		`filter active=true "require \"fileinto\";\r\nif header :contains \"subject\" \"y\" { fileinto \"Work\"; }\r\n"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sieve scripts:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if a, err := sp.ActiveSieveScript("fred"); err != nil || a != "filter" {
		t.Errorf("active script %q %v", a, err)
	}
}

// checkMetaArchive checks that cyrus.index/header/annotations were found on
// the metapartition and that cyr_expire -A moved messages to the archive
// partition, where RecordPath found them (checkMailboxes hashed them).
func checkMetaArchive(t *testing.T, sp *spool.Spool, meta, archive string) {
	m, err := sp.Snapshot(context.Background(), "user.fred")
	if err != nil {
		t.Fatal(err)
	}
	ipath, _ := sp.MetaPath(m.Entry(), spool.MetaIndex)
	cpath, _ := sp.MetaPath(m.Entry(), spool.MetaCache)
	if !strings.HasPrefix(ipath, meta+"/") || strings.HasPrefix(cpath, meta+"/") {
		t.Errorf("meta paths %s %s", ipath, cpath)
	}
	archived := 0
	for i := range m.Records {
		r := &m.Records[i]
		if !r.Archived() || r.Expunged() {
			continue
		}
		archived++
		p, _ := sp.RecordPath(m, r)
		if !strings.HasPrefix(p, archive+"/") {
			t.Errorf("archived message at %s", p)
		}
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	if archived == 0 {
		t.Errorf("no archived message in user.fred: %+v", m.Records)
	}
}
