package integration

import (
	"crypto/sha1"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-smtp"
)

// TestSyncClientScenarioImmediateDelete: with delete_mode immediate on the
// master a deleted folder leaves only a tombstone, and our sync_client -u
// deletes it on the replica (UNMAILBOX, children first, so that one run
// suffices) and its quota root (UNQUOTA).
func TestSyncClientScenarioImmediateDelete(t *testing.T) {
	RequireCyrus(t)
	p := NewPair(t, "delete_mode: immediate")
	for _, channel := range []string{"csync", "imap"} {
		t.Run(channel, func(t *testing.T) {
			sc := &scenario{p: p, channel: channel}
			user := "imm" + channel
			p.AddUser(t, user)
			p.Master.Deliver(t, user, 2)
			create(t, p.Master, user, "Doomed", "Doomed/Child", "Kept")
			copyAll(t, p.Master, user, "Doomed")
			a := p.Master.IMAP(t, AdminUser, AdminPassword)
			if err := a.SetQuota("user/"+user+"/Doomed", map[imap.QuotaResourceType]int64{imap.QuotaResourceMessage: 9}).Wait(); err != nil {
				t.Fatal(err)
			}
			sc.sync(t, sc.sameUsers(user), "-u", user)
			c := p.Master.IMAP(t, user, UserPassword)
			for _, f := range []string{"Doomed/Child", "Doomed"} {
				if err := c.Delete(f).Wait(); err != nil {
					t.Fatalf("delete %s: %v", f, err)
				}
			}
			out := sc.sync(t, sc.sameUsers(user), "-u", user)
			if !strings.Contains(out, "UNMAILBOX user."+user+".Doomed\n") || !strings.Contains(out, "UNQUOTA user."+user+".Doomed\n") {
				t.Errorf("no UNMAILBOX or UNQUOTA in -v output:\n%s", out)
			}
			if l := sc.sameAdminList(t, "*"+user+"*"); len(l) != 2 {
				t.Errorf("admin LIST: %q", l)
			}
		})
	}
}

// folderDeleteDelayed: with delete_mode delayed an IMAP DELETE renames the
// folder to DELETED.user.<u>.<folder>.<hex>; the replica must follow.
func (sc *scenario) folderDeleteDelayed(t *testing.T) {
	p, user := sc.p, "deleter"
	p.AddUser(t, user)
	p.Master.Deliver(t, user, 3)
	create(t, p.Master, user, "Trash1", "Keep", "Keep/Child")
	copyAll(t, p.Master, user, "Trash1")
	sc.sync(t, sc.sameUsers(user), "-u", user)

	c := p.Master.IMAP(t, user, UserPassword)
	for _, f := range []string{"Trash1", "Keep/Child"} {
		if err := c.Delete(f).Wait(); err != nil {
			t.Fatalf("delete %s: %v", f, err)
		}
	}
	sc.sync(t, func(t *testing.T) {
		sc.sameUsers(user)(t)
		if l := sc.sameAdminList(t, "DELETED/user/"+user+"/*"); len(l) != 2 {
			t.Errorf("delayed-delete mailboxes: %q", l)
		}
	}, "-u", user)

	// cyr_expire removes the delayed-delete mailboxes for good: GET USER
	// does not list DELETED mailboxes, so neither sync_client touches the
	// replica's; its own cyr_expire removes them.
	for _, in := range []*Instance{p.Master, p.Replica} {
		if res := in.Tool(t, "cyr_expire", "-D", "0"); res.Code != 0 {
			t.Fatalf("cyr_expire: exit %d: %s", res.Code, res.Stderr)
		}
	}
	sc.sync(t, func(t *testing.T) {
		sc.sameUsers(user)(t)
		if l := sc.sameAdminList(t, "DELETED/user/"+user+"/*"); len(l) != 0 {
			t.Errorf("delayed-delete mailboxes left: %q", l)
		}
	}, "-u", user)
}

// renameChain: a folder takes the name another one just left (the renames
// must go in order). Two folders swapping names cannot be
// replicated by Cyrus 3.6's sync_client, nor by ours: see
// TestSyncClientScenarioVerboseLikeCyrus.
func (sc *scenario) renameChain(t *testing.T) {
	p, user := sc.p, "chainer"
	p.AddUser(t, user)
	p.Master.Deliver(t, user, 2)
	create(t, p.Master, user, "A", "A/Child", "B")
	copyAll(t, p.Master, user, "A")
	sc.sync(t, sc.sameUsers(user), "-u", user)
	c := p.Master.IMAP(t, user, UserPassword)
	for _, r := range [][2]string{{"B", "C"}, {"A", "B"}} {
		if err := c.Rename(r[0], r[1], nil).Wait(); err != nil {
			t.Fatalf("rename %s %s: %v", r[0], r[1], err)
		}
	}
	out := sc.sync(t, sc.sameUsers(user), "-u", user)
	if i, j := strings.Index(out, "RENAME user."+user+".B -> "), strings.Index(out, "RENAME user."+user+".A -> "); i < 0 || j < i {
		t.Errorf("renames out of order:\n%s", out)
	}
}

// oddNamesAndDuplicates: folder names with spaces, dots, 8-bit
// characters (modified UTF-7) and '&'; one message appended twice to a
// folder and once to another (one upload), the same delivery to two users
// synced in one run, subscriptions to the odd names.
func (sc *scenario) oddNamesAndDuplicates(t *testing.T) {
	p := sc.p
	users := []string{"oddu1", "oddu2"}
	for _, u := range users {
		p.AddUser(t, u)
	}
	odd := []string{"with space", "dot.ted", "Café", "Café/Über", "a&b"}
	create(t, p.Master, "oddu1", odd...)
	c := p.Master.IMAP(t, "oddu1", UserPassword)
	for _, f := range odd {
		if err := c.Subscribe(f).Wait(); err != nil {
			t.Fatalf("subscribe %s: %v", f, err)
		}
	}
	msg := message("oddu1", 1, "twice")
	multiAppend(t, p.Master, "oddu1", "with space", [][]byte{msg, msg})
	multiAppend(t, p.Master, "oddu1", "dot.ted", [][]byte{msg})
	p.Master.Deliver(t, "oddu1", 1)
	copyAll(t, p.Master, "oddu1", "Café/Über")
	// One LMTP transaction for both users: one file, one GUID.
	deliverTo(t, p.Master, users, message("both", 2, ""))
	res := sc.p.ourSyncOK(t, "-v", "-v", "-n", sc.channel, "-u", "oddu1", "oddu2")
	if n := strings.Count(res.Stderr, "%{default "+guidOf(msg)); n != 1 {
		t.Errorf("the duplicated message went up %d times", n)
	}
	sc.sync(t, sc.sameUsers(users...), "-u", "oddu1", "oddu2")
	if err := c.Rename("Café", "Ça va", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	sc.sync(t, sc.sameUsers(users...), "-u", "oddu1")
}

// deliverTo delivers one message to several users in one LMTP transaction.
func deliverTo(t *testing.T, in *Instance, users []string, msg []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.LMTPPort), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("sender@example.org", nil); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := c.Rcpt(u, nil); err != nil {
			t.Fatalf("RCPT %s: %v", u, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(msg)
	if _, err := w.CloseWithLMTPResponse(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
}

// guidOf is Cyrus's GUID of a message appended as is: its SHA-1.
func guidOf(msg []byte) string { return fmt.Sprintf("%x", sha1.Sum(msg)) }
