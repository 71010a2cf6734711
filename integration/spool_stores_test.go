package integration

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool"
)

// TestSpoolStores is the differential test of the store writers that
// sync_server needs: two instances start from the same spool (one cloned
// from the other, so uniqueids agree), Cyrus's own sync_server (APPLY
// SEEN, SUB, UNSUB, ANNOTATION, UNANNOTATION, QUOTA, UNQUOTA, UNUSER) or
// imapd (STORE ANNOTATION) changes the first, our spool writers make the
// same change to the second, running as the cyrus user; then the
// databases must show the same in cyr_dbtool, the flat and quota files
// and cyrus.header be byte-identical, the index headers and records equal
// (times aside), imapd must show the same, and quota -f must find the
// same (nothing) to fix. Last, our writers and Cyrus's imapd change the
// same databases at the same time.
func TestSpoolStores(t *testing.T) {
	RequireCyrus(t)
	ctx := context.Background()
	base := TempDir(t)
	a := NewInstance(t, base, "a")
	a.Start(t)
	for _, u := range []string{"alice", "bob", "carol"} {
		a.CreateUser(t, u)
	}
	create(t, a, "alice", "Work")
	imapLines(t, a, "alice", UserPassword, "SETACL Work bob lrswi")
	a.Deliver(t, "alice", 3)
	a.Deliver(t, "bob", 2)
	a.Deliver(t, "carol", 1)
	multiAppend(t, a, "alice", "Work", [][]byte{message("alice", 1, ""), message("alice", 2, ""), message("alice", 3, "")})
	imapLines(t, a, AdminUser, AdminPassword, "SETQUOTA user/alice (STORAGE 100000 "+annotStorageName(a)+" 10)",
		"SETQUOTA user/carol (STORAGE 1000)")
	imapLines(t, a, "carol", UserPassword, "SUBSCRIBE INBOX")
	sv := a.Sieve(t, "carol", UserPassword)
	sv.Put("f", "keep;\r\n")
	sv.SetActive("f")
	// settle \Recent so that later SELECTs change nothing
	imapLines(t, a, "alice", UserPassword, "SELECT INBOX", "SELECT Work")
	imapLines(t, a, "carol", UserPassword, "SELECT INBOX")
	sa := openSpool(t, a)
	work, err := sa.LookupName("user.alice.Work")
	if err != nil {
		t.Fatal(err)
	}
	inbox, _ := sa.LookupName("user.alice")
	carolInbox, _ := sa.LookupName("user.carol")
	csyncOK(t, a, apply("SEEN", "USERID", "carol", "UNIQUEID", work.UniqueID, "LASTREAD", "1", "LASTUID", "1",
		"LASTCHANGE", "1", "SEENUIDS", "1"))
	a.Stop()
	b := cloneInstance(t, a, base, "b", "alice", "bob", "carol")
	a.Start(t)
	b.Start(t)
	p := &pair{a: a, b: b, sa: sa, sb: openSpool(t, b)}

	t.Run("Seen", func(t *testing.T) {
		for _, sd := range []spool.Seen{
			{UniqueID: work.UniqueID, LastRead: 1700000100, LastUID: 3, LastChange: 1700000050, SeenUIDs: "1:2"},
			{UniqueID: inbox.UniqueID, LastRead: 1700000200, LastUID: 2, LastChange: 1700000201, SeenUIDs: ""},
			{UniqueID: work.UniqueID, LastRead: 1700000300, LastUID: 3, LastChange: 1700000301, SeenUIDs: "1,3"},
		} {
			csyncOK(t, a, apply("SEEN", "USERID", "bob", "UNIQUEID", sd.UniqueID, "LASTREAD", itoa(int(sd.LastRead)),
				"LASTUID", itoa(int(sd.LastUID)), "LASTCHANGE", itoa(int(sd.LastChange)), "SEENUIDS", sd.SeenUIDs))
			asCyrus(t, func() error { return p.sb.SetSeen("bob", sd) })
			path, _ := sa.SeenPath("bob")
			p.sameDB(t, path)
		}
		got := p.sameIMAP(t, "bob", UserPassword, `EXAMINE "Other Users/alice/Work"`, "FETCH 1:* (FLAGS)")
		if n := strings.Count(strings.Join(got, "\n"), `\Seen`); n != 2 {
			t.Errorf("bob sees %d messages as seen, want 2: %q", n, got)
		}
	})

	t.Run("Subscriptions", func(t *testing.T) {
		// dave (no mailboxes) has a pre-3.6 file: the first change
		// upgrades it
		davePath, _ := sa.SubscriptionsPath("dave")
		for _, in := range []*Instance{a, b} {
			path := in.Dir + p.rel(davePath)
			os.MkdirAll(filepath.Dir(path), 0o755)
			os.WriteFile(path, []byte("shared.x\t\nuser.dave\t\nuser.dave.Sent\t\n"), 0o600)
			Chown(t, filepath.Dir(path))
		}
		ops := [][3]string{
			{"SUB", "dave", "user.dave.Trash"}, {"UNSUB", "erin", "user.erin"},
			{"SUB", "alice", "user.alice.Work"}, {"SUB", "alice", "user.alice"}, {"SUB", "alice", "user.bob.nothere"},
			{"SUB", "alice", "user.alicex.y"}, {"SUB", "bob", "user.alice.Work"}, {"UNSUB", "alice", "user.bob.nothere"},
			{"UNSUB", "bob", "user.none"}, {"UNSUB", "dave", "user.dave"}, {"SUB", "carol", "user.alice.Work"},
		}
		for _, op := range ops {
			csyncOK(t, a, apply(op[0], "USERID", op[1], "MBOXNAME", op[2]))
			asCyrus(t, func() error {
				if op[0] == "SUB" {
					return p.sb.Subscribe(ctx, op[1], op[2])
				}
				return p.sb.Unsubscribe(ctx, op[1], op[2])
			})
		}
		for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
			path, _ := sa.SubscriptionsPath(u)
			p.sameFile(t, path)
		}
		if b, _ := os.ReadFile(davePath); !strings.HasPrefix(string(b), "\x1FVER\x1F\t2\n") {
			t.Errorf("dave's file not upgraded: %q", b)
		}
		// user.alicex.y does not exist: LSUB leaves it out
		got := p.sameIMAP(t, "alice", UserPassword, `LSUB "" "*"`)
		if len(got) != 2 {
			t.Errorf("alice's LSUB: %q", got)
		}
	})

	t.Run("Annotations", func(t *testing.T) {
		type op struct {
			name, mbox, entry, userid, value string
		}
		for _, o := range []op{
			{"ANNOTATION", "", "/comment", "", "server note"},
			{"ANNOTATION", "user.alice.Work", "/comment", "alice", "mine"},
			{"ANNOTATION", "user.alice.Work", "/comment", "", "shared"},
			{"ANNOTATION", "user.alice.Work", "/comment", "bob", "bob's"},
			{"UNANNOTATION", "user.alice.Work", "/comment", "alice", ""},
			{"ANNOTATION", "", "/comment", "bob", "x"},
			{"UNANNOTATION", "", "/comment", "", ""},
		} {
			kv := []string{"MBOXNAME", o.mbox, "ENTRY", o.entry, "USERID", o.userid}
			if o.name == "ANNOTATION" {
				kv = append(kv, "VALUE", o.value)
			}
			csyncOK(t, a, apply(o.name, kv...))
			asCyrus(t, func() error {
				if o.mbox == "" {
					_, err := p.sb.WriteServerAnnotation(o.entry, o.userid, []byte(o.value))
					return err
				}
				w, err := p.sb.OpenMailboxWriter(ctx, o.mbox)
				if err != nil {
					return err
				}
				if err := w.WriteAnnotation(spool.AnnotationWrite{Entry: o.entry, UserID: o.userid,
					Value: []byte(o.value), CheckQuota: true}); err != nil {
					w.Abort()
					return err
				}
				_, err = w.Commit()
				return err
			})
			p.sameDB(t, p.sa.AnnotationsDBPath())
			if o.mbox != "" {
				p.sameIndex(t, o.mbox)
				p.sameFile(t, sa.QuotaPath("user.alice"))
				// mailboxes.db: the same entry, its time aside
				ea, _ := p.sa.LookupName(o.mbox)
				eb, _ := p.sb.LookupName(o.mbox)
				ea.MTime, eb.MTime = 0, 0
				if fmt.Sprint(*ea) != fmt.Sprint(*eb) {
					t.Errorf("%s %+v: mailboxes.db entry\ncyrus: %+v\n ours: %+v", o.name, o, *ea, *eb)
				}
			}
		}
		p.sameIMAP(t, "alice", UserPassword, "GETMETADATA Work (/private/comment /shared/comment)")
		p.sameIMAP(t, "bob", UserPassword, `GETMETADATA "Other Users/alice/Work" (/private/comment /shared/comment)`)
		p.sameIMAP(t, AdminUser, AdminPassword, `GETMETADATA "" (/private/comment /shared/comment)`)
	})

	t.Run("MessageAnnotations", func(t *testing.T) {
		type write struct {
			entry, userid, value string
			silent               bool
		}
		for _, c := range []struct {
			user, mbox, store string
			uid               uint32
			writes            []write
		}{
			{"alice", "user.alice", `(/comment (value.shared "note"))`, 1, []write{{"/comment", "", "note", false}}},
			{"alice", "user.alice", `(/comment (value.shared "other note" value.priv "mine"))`, 1,
				[]write{{"/comment", "", "other note", false}, {"/comment", "alice", "mine", false}}},
			// entries are stored last first; all but the first silently
			{"alice", "user.alice", `(/comment (value.shared "a") /altsubject (value.shared "b"))`, 2,
				[]write{{"/altsubject", "", "b", false}, {"/comment", "", "a", true}}},
			{"alice", "user.alice", `(/comment (value.shared NIL))`, 1, []write{{"/comment", "", "", false}}},
			{"bob", "user.alice.Work", `(/comment (value.priv "bob's"))`, 3, []write{{"/comment", "bob", "bob's", false}}},
		} {
			folder := "INBOX"
			if c.user != "alice" {
				folder = `"Other Users/alice/Work"`
			}
			imapLines(t, a, c.user, UserPassword, "SELECT "+folder, fmt.Sprintf("UID STORE %d ANNOTATION %s", c.uid, c.store))
			asCyrus(t, func() error {
				w, err := p.sb.OpenMailboxWriter(ctx, c.mbox)
				if err != nil {
					return err
				}
				for _, wr := range c.writes {
					if err := w.WriteAnnotation(spool.AnnotationWrite{UID: c.uid, Entry: wr.entry, UserID: wr.userid,
						Value: []byte(wr.value), Silent: wr.silent, CheckQuota: true}); err != nil {
						w.Abort()
						return err
					}
				}
				r, _ := w.Record(c.uid)
				if err := w.Rewrite(r); err != nil {
					w.Abort()
					return err
				}
				_, err = w.Commit()
				return err
			})
			e, _ := sa.LookupName(c.mbox)
			apath, _ := sa.MetaPath(e, spool.MetaAnnotations)
			p.sameDB(t, apath)
			p.sameIndex(t, c.mbox)
			p.sameFile(t, sa.QuotaPath("user.alice"))
			p.sameIMAP(t, c.user, UserPassword, "EXAMINE "+folder,
				"FETCH 1:* (ANNOTATION ((/comment /altsubject) (value.shared value.priv)))")
		}
	})

	t.Run("Quota", func(t *testing.T) {
		type op struct {
			cmd    string
			root   string
			limits [4]int64
			modseq uint64
		}
		un := int64(spool.QuotaUnlimited)
		for _, o := range []op{
			{"QUOTA", "user.bob", [4]int64{5000, un, un, un}, 7},
			{"QUOTA", "user.alice", [4]int64{200000, 50, un, un}, 0},
			{"QUOTA", "user.alice.Work", [4]int64{un, un, un, 3}, 0},
			{"QUOTA", "user.alice.Work", [4]int64{un, un, un, 3}, 9},
			{"UNQUOTA", "user.bob", [4]int64{}, 0},
			{"UNQUOTA", "user.alice.Work", [4]int64{}, 0},
			{"UNQUOTA", "user.nobody", [4]int64{}, 0},
		} {
			if o.cmd == "UNQUOTA" {
				csyncOK(t, a, "UNQUOTA "+o.root)
				asCyrus(t, func() error { return p.sb.RemoveQuotaRoot(ctx, o.root, nil) })
			} else {
				kv := []string{"ROOT", o.root}
				for i, name := range []string{"STORAGE", "MESSAGE", "X-ANNOTATION-STORAGE", "X-NUM-FOLDERS"} {
					if o.limits[i] != un {
						kv = append(kv, name, itoa(int(o.limits[i])))
					}
				}
				if o.modseq != 0 {
					kv = append(kv, "MODSEQ", strconv.FormatUint(o.modseq, 10))
				}
				csyncOK(t, a, apply("QUOTA", kv...))
				asCyrus(t, func() error { return p.sb.SetQuotaLimits(ctx, o.root, o.limits, o.modseq, nil) })
			}
			for _, r := range []string{"user.alice", "user.bob", "user.alice.Work"} {
				p.sameFile(t, sa.QuotaPath(r))
			}
			for _, m := range []string{"user.alice", "user.alice.Work", "user.bob"} {
				e, _ := sa.LookupName(m)
				hpath, _ := sa.MetaPath(e, spool.MetaHeader)
				p.sameFile(t, hpath)
				p.sameIndex(t, m)
			}
		}
		p.sameIMAP(t, AdminUser, AdminPassword, "GETQUOTAROOT user/alice/Work")
		p.sameIMAP(t, AdminUser, AdminPassword, "GETQUOTA user/alice")
		// 3.6.1 leaves Work's usage out of user.alice after UNQUOTA
		// (both sides); after quota -f both agree again
		p.quotaFix(t)
		p.sameFile(t, sa.QuotaPath("user.alice"))
		if fix := p.quotaFix(t); strings.Contains(fix, "usage was") || strings.Contains(fix, "-->") {
			t.Errorf("quota -f fixes again: %q", fix)
		}
	})

	t.Run("Unuser", func(t *testing.T) {
		ca, err := a.DialIMAP("carol", UserPassword)
		if err != nil {
			t.Fatal(err)
		}
		defer ca.Close()
		cb, err := b.DialIMAP("carol", UserPassword)
		if err != nil {
			t.Fatal(err)
		}
		defer cb.Close()
		csyncOK(t, a, "UNUSER carol")
		asCyrus(t, func() error {
			l, err := p.sb.Lock(ctx, spool.UserLockName("carol"), true)
			if err != nil {
				return err
			}
			defer l.Release()
			return p.sb.DeleteUserData(carolInbox, true)
		})
		for _, d := range []string{"conf/user", "conf/quota", "sieve"} {
			fa, fb := listFiles(t, filepath.Join(a.Dir, d)), listFiles(t, filepath.Join(b.Dir, d))
			if fa != fb {
				t.Errorf("%s differs:\ncyrus: %s\n ours: %s", d, fa, fb)
			}
		}
		if strings.Contains(listFiles(t, filepath.Join(b.Dir, "sieve")), carolInbox.UniqueID) {
			t.Error("carol's sieve directory kept")
		}
		for side, noop := range map[string]func() error{"cyrus": func() error { return ca.Noop().Wait() },
			"ours": func() error { return cb.Noop().Wait() }} {
			if noop() == nil {
				t.Errorf("%s: carol's IMAP session survived", side)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		// B only: Cyrus's imapd and our writers on the same files at once
		for i := 1; i <= 15; i++ {
			create(t, b, "bob", "f"+itoa(i))
		}
		const n = 15
		var imapCmds, quotaCmds []string
		for i := 1; i <= n; i++ {
			imapCmds = append(imapCmds, "SUBSCRIBE f"+itoa(i), fmt.Sprintf("SETMETADATA INBOX (/shared/comment \"v%d\")", i))
			quotaCmds = append(quotaCmds, fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(message("alice", i, "")), message("alice", i, "")))
		}
		seenCmds := []string{`SELECT "Other Users/alice/Work"`}
		for i := 1; i <= n; i++ {
			seenCmds = append(seenCmds, "STORE 1:3 -FLAGS (\\Seen)", "STORE 1:3 +FLAGS (\\Seen)")
		}
		errs := make(chan error, 4)
		go func() { errs <- imapSession(b, "bob", append([]string{"SELECT INBOX"}, imapCmds...)) }()
		go func() { errs <- imapSession(b, "alice", quotaCmds) }()
		go func() { errs <- imapSession(b, "bob", seenCmds) }()
		go func() {
			errs <- runAsCyrus(func() error {
				for i := 1; i <= n; i++ {
					if err := p.sb.Subscribe(ctx, "bob", "user.bob.g"+itoa(i)); err != nil {
						return err
					}
					if _, err := p.sb.WriteServerAnnotation("/comment", "u"+itoa(i), []byte("x")); err != nil {
						return err
					}
					if err := p.sb.SetSeen("bob", spool.Seen{UniqueID: "x" + itoa(i), LastRead: 1, LastUID: 1, LastChange: 1, SeenUIDs: "1"}); err != nil {
						return err
					}
					if err := p.sb.SetQuotaLimits(ctx, "user.alice", [4]int64{300000 + int64(i), -1, -1, -1}, 0, nil); err != nil {
						return err
					}
				}
				return nil
			})
		}()
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		subs, err := p.sb.Subscriptions("bob")
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(subs.Names, " ")
		for i := 1; i <= n; i++ {
			if !strings.Contains(all+" ", "user.bob.f"+itoa(i)+" ") || !strings.Contains(all+" ", "user.bob.g"+itoa(i)+" ") {
				t.Errorf("subscription %d lost: %s", i, all)
			}
		}
		show := dbShow(t, b, p.sb.AnnotationsDBPath())
		for i := 1; i <= n; i++ {
			if !strings.Contains(show, "\x00/comment\x00u"+itoa(i)+"\x00") {
				t.Errorf("server annotation u%d lost", i)
			}
		}
		seenPath, _ := p.sb.SeenPath("bob")
		if show := dbShow(t, b, seenPath); !strings.Contains(show, "x"+itoa(n)) || !strings.Contains(show, work.UniqueID) {
			t.Errorf("seen db: %q", show)
		}
		if fix := b.Tool(t, "quota", "-f").Stderr; strings.Contains(fix, "usage was") {
			t.Errorf("quota -f after concurrent appends and limit changes: %q", fix)
		}
		if q, err := p.sb.Quota("user.alice"); err != nil || q.Limit[spool.ResStorage] != 300000+n || q.Used[spool.ResMessage] < 3+n {
			t.Errorf("alice's quota %+v %v", q, err)
		}
	})
}

// listFiles lists the files and directories below dir, relative, sorted.
func listFiles(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dir {
			out = append(out, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	sort.Strings(out)
	return strings.Join(out, " ")
}

// imapSession logs in as user and runs cmds, each of which must end OK;
// for goroutines, so errors are returned.
func imapSession(in *Instance, user string, cmds []string) error {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.IMAPPort), 10*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(120 * time.Second))
	r := bufio.NewReader(conn)
	if _, err := r.ReadString('\n'); err != nil {
		return err
	}
	for i, c := range append([]string{"LOGIN " + user + " " + UserPassword}, cmds...) {
		tag := "c" + itoa(i)
		fmt.Fprintf(conn, "%s %s\r\n", tag, c)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("%s %q: %w", user, c, err)
			}
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK") {
					return fmt.Errorf("%s %q: %s", user, c, l)
				}
				break
			}
		}
	}
	fmt.Fprintf(conn, "z LOGOUT\r\n")
	return nil
}
