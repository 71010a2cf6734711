package integration

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// scenario is one pair and the channel (transport) the sync_client uses:
// ours, or Cyrus's with cyrusClient (to check our sync_server).
type scenario struct {
	p           *Pair
	channel     string
	cyrusClient bool
	// ourArgs are given to our sync_client before the scenario's own
	// (--pipeline: with -v it is off unless given).
	ourArgs []string
}

// sync runs the scenario's sync_client -v with args on its channel, then
// check (the comparison of both sides), then ours again, which must send
// no APPLY at all, then Cyrus's, which must find nothing to send. It
// returns the -v output of the first run.
func (sc *scenario) sync(t *testing.T, check func(t *testing.T), args ...string) string {
	t.Helper()
	var res Result
	if sc.cyrusClient {
		res = sc.p.CyrusSync(t, append([]string{"-v", "-n", sc.channel}, args...)...)
		if res.Code != 0 {
			t.Fatalf("Cyrus's sync_client %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, res.Code, res.Stdout, res.Stderr)
		}
	} else {
		res = sc.p.ourSyncOK(t, append(append([]string{"-v", "-n", sc.channel}, sc.ourArgs...), args...)...)
	}
	if check != nil {
		check(t)
	}
	again := sc.p.ourSyncOK(t, append(append([]string{"-v", "-v", "-n", sc.channel}, sc.ourArgs...), args...)...)
	if n := countApplies(again.Stderr); n != 0 {
		t.Errorf("second run of ours %q sent %d APPLY commands:\n%s", args, n, applyLines(again.Stderr))
	}
	sc.p.CyrusHasNothingToSend(t, append([]string{"-n", sc.channel}, args...)...)
	return res.Stdout
}

// sameUsers compares each user on both sides over IMAP.
func (sc *scenario) sameUsers(users ...string) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		for _, u := range users {
			SameUser(t, sc.p.Master, sc.p.Replica, u)
		}
	}
}

// applyLines keeps the APPLY lines of a -v -v trace, shortened.
func applyLines(trace string) string {
	var b strings.Builder
	for _, l := range strings.Split(trace, "\n") {
		if strings.HasPrefix(l, "C ") && strings.Contains(l, "APPLY") && !strings.Contains(l, "CAPABILITIES") {
			fmt.Fprintf(&b, "%.300s\n", l)
		}
	}
	return b.String()
}

// create makes folders over IMAP, failing the test on error.
func create(t *testing.T, in *Instance, user string, folders ...string) {
	t.Helper()
	c := in.IMAP(t, user, UserPassword)
	for _, f := range folders {
		if err := c.Create(f, nil).Wait(); err != nil {
			t.Fatalf("%s: create %s: %v", user, f, err)
		}
	}
}

// adminList lists, as admin, the mailboxes matching pattern (external
// names, the admin's namespace), sorted.
func adminList(t *testing.T, in *Instance, pattern string) []string {
	t.Helper()
	c := in.IMAP(t, AdminUser, AdminPassword)
	boxes, err := c.List("", pattern, nil).Collect()
	if err != nil {
		t.Fatalf("%s: LIST %s: %v", in.Name, pattern, err)
	}
	var out []string
	for _, b := range boxes {
		out = append(out, b.Mailbox)
	}
	sort.Strings(out)
	return out
}

// sameAdminList fails unless both sides list the same mailboxes for
// pattern as admin, and returns the master's list.
func (sc *scenario) sameAdminList(t *testing.T, pattern string) []string {
	t.Helper()
	m, r := adminList(t, sc.p.Master, pattern), adminList(t, sc.p.Replica, pattern)
	if strings.Join(m, "\n") != strings.Join(r, "\n") {
		t.Errorf("LIST %q differs:\nmaster:  %q\nreplica: %q", pattern, m, r)
	}
	return m
}

// imapLines logs in as user, runs cmds and returns the untagged lines of
// the last one (CRLF removed); every command must end in OK.
func imapLines(t *testing.T, in *Instance, user, password string, cmds ...string) []string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.IMAPPort), 10*time.Second)
	if err != nil {
		t.Fatalf("imap dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(conn)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("imap greeting: %v", err)
	}
	all := append([]string{fmt.Sprintf("LOGIN %s %s", user, password)}, cmds...)
	var out []string
	for i, c := range all {
		tag := fmt.Sprintf("s%d", i)
		fmt.Fprintf(conn, "%s %s\r\n", tag, c)
		out = out[:0]
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: imap %q: %v", in.Name, c, err)
			}
			l = strings.TrimRight(l, "\r\n")
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK") {
					t.Fatalf("%s: imap %q: %s", in.Name, c, l)
				}
				break
			}
			out = append(out, l)
		}
	}
	fmt.Fprintf(conn, "z LOGOUT\r\n")
	return out
}

// sameIMAP fails unless the last command's untagged lines are the same on
// both sides.
func (sc *scenario) sameIMAP(t *testing.T, user, password string, cmds ...string) []string {
	t.Helper()
	m := imapLines(t, sc.p.Master, user, password, cmds...)
	r := imapLines(t, sc.p.Replica, user, password, cmds...)
	if strings.Join(m, "\n") != strings.Join(r, "\n") {
		t.Errorf("%q as %s differs:\nmaster:\n%s\nreplica:\n%s", cmds[len(cmds)-1], user,
			strings.Join(m, "\n"), strings.Join(r, "\n"))
	}
	return m
}

// multiAppend appends msgs to mailbox in one MULTIAPPEND command with
// LITERAL+ (one round trip, one index transaction: thousands a second).
func multiAppend(t *testing.T, in *Instance, user, mailbox string, msgs [][]byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.IMAPPort), 10*time.Second)
	if err != nil {
		t.Fatalf("imap dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(120 * time.Second))
	r := bufio.NewReader(conn)
	w := bufio.NewWriterSize(conn, 1<<16)
	expect := func(tag string) {
		t.Helper()
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("imap %s: %v", tag, err)
			}
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK") {
					t.Fatalf("imap %s: %s", tag, l)
				}
				return
			}
		}
	}
	r.ReadString('\n')
	fmt.Fprintf(w, "a LOGIN %s %s\r\n", user, UserPassword)
	expect("a")
	fmt.Fprintf(w, "b APPEND %s", quoteSieve(mailbox))
	for _, m := range msgs {
		fmt.Fprintf(w, " {%d+}\r\n", len(m))
		w.Write(m)
	}
	w.WriteString("\r\n")
	expect("b")
	fmt.Fprintf(w, "c LOGOUT\r\n")
	w.Flush()
}

// message builds a small distinct RFC 822 message.
func message(user string, i int, extra string) []byte {
	return []byte(fmt.Sprintf("From: sender@example.org\r\nTo: %s@example.org\r\nSubject: scenario %d\r\n"+
		"Message-ID: <scn.%d.%d@cyrepl.test>\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nbody %d\r\n%s\r\n",
		user, i, time.Now().UnixNano(), i, i, extra))
}

// copyAll copies every message of INBOX into folder, as user.
func copyAll(t *testing.T, in *Instance, user, folder string) {
	t.Helper()
	c := in.IMAP(t, user, UserPassword)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	if _, err := c.Copy(all, folder).Wait(); err != nil {
		t.Fatalf("copy to %s: %v", folder, err)
	}
}

// objectFile writes lines into a file the cyrus user can read (for -f).
func objectFile(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(TempDir(t), "objects")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
