package integration

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// rawIMAP runs IMAP commands the go-imap client has no call for (message
// annotations): it logs in as user and sends each command, failing the
// test unless every one ends in OK.
func rawIMAP(t *testing.T, in *Instance, user, password string, cmds ...string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.IMAPPort), 10*time.Second)
	if err != nil {
		t.Fatalf("imap dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("imap greeting: %v", err)
	}
	all := append([]string{fmt.Sprintf("LOGIN %s %s", user, password)}, cmds...)
	all = append(all, "LOGOUT")
	for i, c := range all {
		tag := fmt.Sprintf("r%d", i)
		fmt.Fprintf(conn, "%s %s\r\n", tag, c)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("imap %q: %v", c, err)
			}
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK") {
					t.Fatalf("imap %q: %s", c, l)
				}
				break
			}
		}
	}
}

// populate fills a fresh instance with what replication must see: two
// users, LMTP deliveries, system and user flags, an expunge, folders
// created, renamed and deleted, a subscription, a folder shared with and
// read by another user (seen db), mailbox and message annotations and a
// quota root; shared mailboxes with messages; sieve scripts over ManageSieve (one replaced, one active).
func populate(t *testing.T, in *Instance) {
	t.Helper()
	in.CreateUser(t, "fred")
	in.CreateUser(t, "bob")
	in.Deliver(t, "fred", 4)
	in.Deliver(t, "bob", 2)

	c := in.IMAP(t, "fred", UserPassword)
	for _, m := range []string{"Work", "Old", "Gone", "Work/Deep", "dot.ted", "with space", "Café/Sub"} {
		if err := c.Create(m, nil).Wait(); err != nil {
			t.Fatalf("create %s: %v", m, err)
		}
	}
	if err := c.Rename("Old", "Renamed", nil).Wait(); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if err := c.Delete("Gone").Wait(); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := c.Subscribe("Work").Wait(); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	store := func(uids imap.UIDSet, op imap.StoreFlagsOp, flags ...string) {
		t.Helper()
		if err := c.Store(uids, &imap.StoreFlags{Op: op, Silent: true, Flags: Flags(flags...)}, nil).Close(); err != nil {
			t.Fatalf("store %v: %v", flags, err)
		}
	}
	store(imap.UIDSetNum(1), imap.StoreFlagsAdd, `\Seen`, `\Flagged`, "$Work", "Later")
	store(imap.UIDSetNum(3), imap.StoreFlagsAdd, `\Answered`, "Later")
	store(imap.UIDSetNum(2), imap.StoreFlagsAdd, `\Deleted`)
	if err := c.Expunge().Close(); err != nil {
		t.Fatalf("expunge: %v", err)
	}
	if _, err := c.Copy(imap.UIDSetNum(1, 3), "Work").Wait(); err != nil {
		t.Fatalf("copy: %v", err)
	}
	v1, v2 := []byte("fred's note"), []byte("shared note")
	if err := c.SetMetadata("INBOX", map[string]*[]byte{"/private/comment": &v1, "/shared/comment": &v2}).Wait(); err != nil {
		t.Fatalf("setmetadata: %v", err)
	}
	if err := c.SetACL("Work", "bob", imap.RightModificationReplace, imap.RightSet("lrs")).Wait(); err != nil {
		t.Fatalf("setacl: %v", err)
	}
	rawIMAP(t, in, "fred", UserPassword, "SELECT INBOX",
		`UID STORE 3 ANNOTATION (/comment (value.shared "msg note" value.priv "mine"))`,
		`UID STORE 4 ANNOTATION (/altsubject (value.shared {5}`+"\r\nhello))")
	// bob reads fred's shared folder: seen state in bob's seen db.
	rawIMAP(t, in, "bob", UserPassword, `SELECT "Other Users/fred/Work"`, "FETCH 1 BODY[]")

	putSieve(t, in, "fred", "first", "keep;\r\n", false)
	putSieve(t, in, "fred", "filter", "require \"fileinto\";\r\nif header :contains \"subject\" \"x\" { fileinto \"Work\"; }\r\n", true)
	putSieve(t, in, "fred", "filter", "require \"fileinto\";\r\nif header :contains \"subject\" \"y\" { fileinto \"Work\"; }\r\n", true)

	a := in.IMAP(t, AdminUser, AdminPassword)
	for _, m := range []string{"shared", "shared/folder"} {
		if err := a.Create(m, nil).Wait(); err != nil {
			t.Fatalf("create %s: %v", m, err)
		}
	}
	if err := a.SetACL("shared/folder", "anyone", imap.RightModificationReplace, imap.RightSet("lrsip")).Wait(); err != nil {
		t.Fatalf("setacl: %v", err)
	}
	rawIMAP(t, in, "fred", UserPassword, "SELECT INBOX", `UID COPY 1,4 "Shared Folders/shared/folder"`)
	if err := a.SetQuota("user/fred", map[imap.QuotaResourceType]int64{imap.QuotaResourceStorage: 100000, imap.QuotaResourceMessage: 500}).Wait(); err != nil {
		t.Fatalf("setquota: %v", err)
	}
}

// putSieve uploads a sieve script over ManageSieve (timsieved) as user and
// makes it active if active is set.
func putSieve(t *testing.T, in *Instance, user, name, script string, active bool) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.SievePort), 10*time.Second)
	if err != nil {
		t.Fatalf("sieve dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	expectOK := func(what string) {
		t.Helper()
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("sieve %s: %v", what, err)
			}
			if strings.HasPrefix(l, "OK") {
				return
			}
			if strings.HasPrefix(l, "NO") || strings.HasPrefix(l, "BYE") {
				t.Fatalf("sieve %s: %s", what, l)
			}
		}
	}
	expectOK("greeting")
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + UserPassword))
	fmt.Fprintf(conn, "AUTHENTICATE \"PLAIN\" \"%s\"\r\n", auth)
	expectOK("authenticate")
	fmt.Fprintf(conn, "PUTSCRIPT \"%s\" {%d+}\r\n%s\r\n", name, len(script), script)
	expectOK("putscript")
	if active {
		fmt.Fprintf(conn, "SETACTIVE \"%s\"\r\n", name)
		expectOK("setactive")
	}
	fmt.Fprintf(conn, "LOGOUT\r\n")
}
