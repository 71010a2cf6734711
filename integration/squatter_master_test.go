package integration

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/squat"
)

// TestSquatterChannelUnderMaster: Cyrus 3.6's master runs our
// squatter-channel -R from cyrus.conf's DAEMON section, as Cyrus's own
// cyrus.conf runs squatter -R. Deliveries through lmtpd to two users get
// indexed (cyrus.squat appears, then names the later messages too) and
// imapd's SEARCH finds a body word; master's SIGHUP ends our daemon with
// status 0 (as it ends Cyrus's squatter) and master starts it again;
// master's SIGTERM ends it; master logs no abnormal end.
func TestSquatterChannelUnderMaster(t *testing.T) {
	RequireCyrus(t)
	logs := CatchSyslog(t)
	// debug: master logs its children's normal ends (LOG_DEBUG).
	in := NewInstance(t, TempDir(t), "master", "search_engine: squat", "sync_log: 1", "sync_log_channels: squatter", "debug: 1")
	ours := OursApplet(t, "squatter-channel")
	path := filepath.Join(in.Dir, "cyrus.conf")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "DAEMON {\n", fmt.Sprintf("DAEMON {\n  squatter cmd=\"%s -C %s -R\"\n", ours, in.Conf()), 1)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	in.Start(t)
	ident := "cyrepl-master/"
	in.CreateUser(t, "fred")
	in.CreateUser(t, "alice")

	sp := openSpool(t, in)
	squatPath := func(user string) string {
		e, err := sp.LookupName("user." + user)
		if err != nil {
			t.Fatal(err)
		}
		p, err := sp.MetaPath(e, spool.MetaSquat)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	message := func(n int, word string) []byte {
		return fmt.Appendf(nil, "From: sender@example.org\r\nTo: someone@example.org\r\nSubject: note %d\r\n"+
			"Message-ID: <master-%d@squat.test>\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nthe word is %s today\r\n", n, n, word)
	}
	// waitIndexed waits until user's cyrus.squat names UIDs 1..n.
	waitIndexed := func(user string, n int) {
		t.Helper()
		var uids []uint32
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			ix, err := squat.ReadFile(squatPath(user))
			if err == nil {
				if uids = ix.IndexedUIDs(); len(uids) == n && int(uids[n-1]) == n {
					return
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s's cyrus.squat: %v", user, err)
			}
		}
		t.Fatalf("%s's cyrus.squat names UIDs %v, want 1 to %d", user, uids, n)
	}
	search := func(user, word string) []uint32 {
		t.Helper()
		c := in.IMAP(t, user, UserPassword)
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		data, err := c.UIDSearch(&imap.SearchCriteria{Body: []string{word}}, nil).Wait()
		if err != nil {
			t.Fatalf("%s: SEARCH BODY %s: %v", user, word, err)
		}
		var uids []uint32
		for _, u := range data.AllUIDs() {
			uids = append(uids, uint32(u))
		}
		return uids
	}

	in.DeliverRaw(t, "fred", message(1, "pelican"), message(2, "heron"))
	in.DeliverRaw(t, "alice", message(3, "heron"))
	waitIndexed("fred", 2)
	waitIndexed("alice", 1)
	if got := search("fred", "heron"); !slices.Equal(got, []uint32{2}) {
		t.Errorf("fred: SEARCH BODY heron finds UIDs %v, want [2]", got)
	}

	daemon := oneProc(t, ours, "-C", in.Conf(), "-R")
	if err := syscall.Kill(in.pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !gone(daemon.pid, 10*time.Second) {
		t.Errorf("our squatter-channel still runs after master's SIGHUP")
	}
	again := oneProc(t, ours, "-C", in.Conf(), "-R")
	if again.pid == daemon.pid {
		t.Errorf("master did not start our squatter-channel again after SIGHUP")
	}
	// The new process indexes what comes next.
	in.DeliverRaw(t, "fred", message(4, "cormorant"))
	in.DeliverRaw(t, "alice", message(5, "pelican"))
	waitIndexed("fred", 3)
	waitIndexed("alice", 2)
	if got := search("alice", "pelican"); !slices.Equal(got, []uint32{2}) {
		t.Errorf("alice: SEARCH BODY pelican finds UIDs %v, want [2]", got)
	}

	in.Stop()
	if !gone(again.pid, 10*time.Second) {
		t.Errorf("our squatter-channel still runs after master's SIGTERM")
		syscall.Kill(again.pid, syscall.SIGKILL)
	}
	ml := logs.Take(ident + "master")
	hupExit := false
	for _, l := range ml {
		for _, bad := range []string{"terminated abnormally", "signaled to death", "exited, status", "forced to", "already ready",
			"already busy", "long dead", "UNKNOWN state", "not yet been recycled"} {
			if strings.Contains(l.Msg, bad) {
				t.Errorf("master: %s", l.Msg)
			}
		}
		// cyrus: master/master.c decode_wait_status (3.6.1)
		if strings.HasSuffix(l.Msg, fmt.Sprintf(" pid:%d exited normally", daemon.pid)) {
			hupExit = true
		}
	}
	if !hupExit {
		t.Errorf("master did not log our daemon (pid %d) as exited normally after SIGHUP", daemon.pid)
	}
	if len(ml) == 0 {
		t.Fatal("no line of master caught: the check above proves nothing")
	}
	for _, who := range []string{"squatter", "squatter-channel"} {
		for _, l := range logs.Take(ident + who) {
			if l.Severity <= 3 { // LOG_ERR and worse
				t.Errorf("%s: %s", who, l.Msg)
			}
		}
	}
}
