package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/applets/syncclient"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/emersion/go-imap/v2"
)

// uniqueID reads a master mailbox's uniqueid from its mailboxes.db.
func uniqueID(t *testing.T, in *Instance, name string) string {
	t.Helper()
	cfg := in.LoadConf(t, "sync_client", 0)
	sp, err := spool.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := sp.LookupName(name)
	if err != nil {
		t.Fatal(err)
	}
	return e.UniqueID
}

func slicesContainsMsg(ls []SyslogLine, msg string) bool {
	for _, l := range ls {
		if l.Msg == msg {
			return true
		}
	}
	return false
}

// TestRollingFileItems: `sync_client -r -f FILE` with every item type
// (USER, UNUSER, META, SIEVE, MAILBOX, APPEND, DOUBLEMAILBOX, UNMAILBOX,
// RENAME, QUOTA, ANNOTATION of a mailbox and of the server, SEEN, SUB,
// UNSUB), names quoted, as a literal ({N}: Cyrus cannot read {N+}) and
// in modified UTF-7, CRLF line ends, an unknown item and a type in lower
// case, run by Cyrus's
// sync_client and by ours, each to its own empty replica: the same exit
// status, the same -v lines, the same syslog lines, both replicas as the
// master; the file is kept. sync_batchsize is 2 and a mailbox has more new
// messages: Cyrus 3.6 never syncs in batches (SYNC_FLAG_BATCH does not
// reach its sync state), neither do we. A missing file and "-" fail alike.
func TestRollingFileItems(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	tr := newTrio(t, []string{"ours", "cyrus"}, "sync_batchsize: 2")
	m := tr.master
	tr.addUser(t, "itemu")
	tr.addUser(t, "itemv")
	m.Deliver(t, "itemu", 5)
	create(t, m, "itemu", "Sent", "Old", "Gone", "with space")
	rawIMAP(t, m, "itemu", UserPassword, `CREATE "&AMQ-pfel"`, `RENAME Old New`, `DELETE Gone`, `SUBSCRIBE Sent`)
	copyAll(t, m, "itemu", "Sent")
	c := m.IMAP(t, "itemu", UserPassword)
	if err := c.SetACL("Sent", "itemv", imap.RightModificationReplace, imap.RightSet("lrs")).Wait(); err != nil {
		t.Fatal(err)
	}
	note := []byte("note")
	c.SetMetadata("INBOX", map[string]*[]byte{"/shared/comment": &note}).Wait()
	rawIMAP(t, m, AdminUser, AdminPassword, `SETMETADATA "" (/shared/comment "server")`, "SETQUOTA user/itemu (STORAGE 5000)")
	rawIMAP(t, m, "itemv", UserPassword, `SELECT "Other Users/itemu/Sent"`, `STORE 1:3 +FLAGS (\Seen)`)
	m.Sieve(t, "itemu", UserPassword).Put("s", "keep;\r\n")
	sent := uniqueID(t, m, "user.itemu.Sent")

	file := filepath.Join(tr.base, "items.log")
	cyrusFile(t, file, []byte("USER itemu\n"+
		"UNUSER ghostuser\r\n"+
		"META itemu\n"+
		"SIEVE itemv\n"+
		"MAILBOX user.itemu\n"+
		"APPEND user.itemu.Sent\r\n"+
		"DOUBLEMAILBOX user.itemu user.itemu.Sent\n"+
		"UNMAILBOX user.itemu.Gone\n"+
		"RENAME user.itemu.Old user.itemu.New\nMAILBOX user.itemu.Old\nMAILBOX user.itemu.New\n"+
		"QUOTA user.itemu\n"+
		"ANNOTATION user.itemu\n"+
		"ANNOTATION \"\"\n"+
		"SEEN itemv "+sent+"\n"+
		"SUB itemu user.itemu.Sent\n"+
		"UNSUB itemu user.itemu.New\n"+
		"MAILBOX \"user.itemu.with space\"\n"+
		"MAILBOX user.itemu.&AMQ-pfel\r\n"+
		"MAILBOX {15}\r\nuser.itemu.Sent\n"+
		"ACL user.itemu itemv\n"+
		"mailbox user.itemu.New\n"+
		"USER itemv\n"))
	before, _ := os.ReadFile(file)
	sl.Take(rollingSyslogPrefix + "/sync_client")
	run := func(prog, channel string, args ...string) (Result, []SyslogLine) {
		res := tr.master.Run(t, nil, prog, append([]string{"-C", m.Conf(), "-v", "-l", "-n", channel}, args...)...)
		return res, sl.Take(rollingSyslogPrefix + "/sync_client")
	}
	cres, clog := run(cyrusClient(tr.master), "cyrus", "-r", "-f", file)
	ores, olog := run(tr.ours(t), "ours", "-r", "-f", file)
	compareVerbose(t, cres, ores)
	compareSyslog(t, clog, olog)
	if !slicesContainsMsg(clog, "Unknown action type: ACL") || !slicesContainsMsg(clog, "Reprocessing sync log file "+file) {
		t.Errorf("Cyrus's syslog: %v", clog)
	}
	if cres.Code != 0 || !strings.Contains(cres.Stdout, "MAILBOX user.itemu.&AMQ-pfel") ||
		!strings.Contains(cres.Stdout, "MAILBOX user.itemu.with space") {
		t.Errorf("Cyrus's run: exit %d\n%s", cres.Code, cres.Stdout)
	}
	if strings.Count(cres.Stdout, "MAILBOX user.itemu\n") != 1 {
		t.Errorf("Cyrus synced INBOX in batches?\n%s", cres.Stdout)
	}
	if after, _ := os.ReadFile(file); string(after) != string(before) {
		t.Error("the file changed")
	}
	tr.sameAcross(t, "itemu", "itemv")
	for _, ch := range []string{"ours", "cyrus"} {
		if b, err := os.ReadFile(filepath.Join(tr.channelDir(ch), "log")); err == nil && strings.Contains(string(b), "MAILBOX user.itemu\n") &&
			!strings.Contains(string(b), "RENAME") {
			t.Errorf("%s: the client re-queued a partial mailbox:\n%s", ch, b)
		}
	}

	// Twice: the same again, nothing to send beyond the items' own APPLYs.
	cres, clog = run(cyrusClient(tr.master), "cyrus", "-r", "-f", file)
	ores, olog = run(tr.ours(t), "ours", "-r", "-f", file)
	compareVerbose(t, cres, ores)
	compareSyslog(t, clog, olog)

	for _, f := range []string{filepath.Join(tr.base, "missing"), "-"} {
		cres, clog = run(cyrusClient(tr.master), "cyrus", "-r", "-f", f)
		ores, olog = run(tr.ours(t), "ours", "-r", "-f", f)
		if cres.Code != 1 {
			t.Errorf("Cyrus's -f %s: exit %d", f, cres.Code)
		}
		compareVerbose(t, cres, ores)
		compareSyslog(t, clog, olog)
	}
}

// TestRollingDeferral: with -N and a user's sync lock held elsewhere,
// both clients (-1 -n) write the items of that user back to their own
// channel's log, in the same order, say so in syslog ("  Deferred: …"),
// sync the rest, and exit 0; once the lock is free the next -1 syncs the
// deferred items.
func TestRollingDeferral(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	tr := newTrio(t, []string{"ours", "cyrus"})
	m := tr.master
	for _, u := range []string{"defu", "defv"} {
		tr.addUser(t, u)
		m.Deliver(t, u, 2)
	}
	rawIMAP(t, m, AdminUser, AdminPassword, "SETQUOTA user/defu (STORAGE 3000)")
	items := "MAILBOX user.defu\nAPPEND user.defv\nQUOTA user.defu\nANNOTATION user.defu\nUSER defu\nUSER defv\nUNUSER defw\n"
	cfg := m.LoadConf(t, "sync_client", 0)
	sp, err := spool.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := sp.Lock(context.Background(), syncclient.SyncLockName("127.0.0.1", "defu"), true)
	if err != nil {
		t.Fatal(err)
	}
	sl.Take(rollingSyslogPrefix + "/sync_client")
	var res [2]Result
	var logs [2][]SyslogLine
	var left [2]string
	for i, ch := range []string{"cyrus", "ours"} {
		prog := map[string]string{"ours": tr.ours(t), "cyrus": cyrusClient(tr.master)}[ch]
		cyrusFile(t, filepath.Join(tr.channelDir(ch), "log"), []byte(items))
		res[i] = tr.master.Run(t, nil, prog, "-C", m.Conf(), "-R", "-1", "-N", "-v", "-l", "-n", ch)
		logs[i] = sl.Take(rollingSyslogPrefix + "/sync_client")
		b, _ := os.ReadFile(filepath.Join(tr.channelDir(ch), "log"))
		left[i] = string(b)
	}
	// Cyrus takes the users' mailbox groups in the order of a hash table
	// seeded by rand(): compare the lines, not their order.
	if c, o := sortedLines(normVerbose(res[0].Stdout)), sortedLines(normVerbose(res[1].Stdout)); c != o || res[0].Code != 0 || res[1].Code != 0 {
		t.Errorf("-v (exit %d, %d):\n--- Cyrus\n%s\n--- ours\n%s", res[0].Code, res[1].Code, c, o)
	}
	syslogText := func(ls []SyslogLine) string {
		var b strings.Builder
		for _, l := range ls {
			fmt.Fprintf(&b, "fac=%d sev=%d %s\n", l.Facility, l.Severity, l.Msg)
		}
		// 3.10 logs each busy sync lock ("can not lock mailbox"), with
		// the syserror=<…> we never write
		return sortedLines(normVerbose(sysError.ReplaceAllString(b.String(), "")))
	}
	if c, o := syslogText(logs[0]), syslogText(logs[1]); c != o {
		t.Errorf("syslog:\n--- Cyrus\n%s\n--- ours\n%s", c, o)
	}
	if want := "MAILBOX user.defu\nQUOTA user.defu\nANNOTATION user.defu\nUSER defu\n"; left[0] != want || left[1] != want {
		t.Errorf("deferred:\n--- Cyrus\n%s--- ours\n%s--- want\n%s", left[0], left[1], want)
	}
	if !slicesContainsMsg(logs[0], "  Deferred: USER defu") {
		t.Errorf("Cyrus's syslog: %v", logs[0])
	}
	lock.Release()
	for i, ch := range []string{"cyrus", "ours"} {
		prog := map[string]string{"ours": tr.ours(t), "cyrus": cyrusClient(tr.master)}[ch]
		res[i] = tr.master.Run(t, nil, prog, "-C", m.Conf(), "-R", "-1", "-N", "-v", "-n", ch)
		if res[i].Code != 0 || len(tr.pending(ch)) != 0 {
			t.Errorf("%s after the lock: exit %d, left %q", ch, res[i].Code, tr.pending(ch))
		}
	}
	if c, o := sortedLines(normVerbose(res[0].Stdout)), sortedLines(normVerbose(res[1].Stdout)); c != o {
		t.Errorf("-v after the lock:\n--- Cyrus\n%s\n--- ours\n%s", c, o)
	}
	tr.sameAcross(t, "defu", "defv")
}
