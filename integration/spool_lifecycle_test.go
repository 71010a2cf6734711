package integration

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// csyncReplies sends replication commands to the instance's own Cyrus
// sync_server as the replication admin and returns each command's response
// lines, its final OK, NO or BAD line last.
func csyncReplies(t *testing.T, in *Instance, cmds ...string) [][]string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.CSyncPort), 10*time.Second)
	if err != nil {
		t.Fatalf("csync dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReader(conn)
	read := func() string {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("csync: %v", err)
		}
		return strings.TrimRight(l, "\r\n")
	}
	for !strings.HasPrefix(read(), "* OK") {
	}
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + SyncUser + "\x00" + SyncPassword))
	fmt.Fprintf(conn, "AUTHENTICATE PLAIN %s\r\n", auth)
	if l := read(); !strings.HasPrefix(l, "OK") {
		t.Fatalf("csync authenticate: %s", l)
	}
	var out [][]string
	for _, c := range cmds {
		fmt.Fprintf(conn, "%s\r\n", c)
		var lines []string
		for {
			l := read()
			lines = append(lines, l)
			if strings.HasPrefix(l, "OK") || strings.HasPrefix(l, "NO") || strings.HasPrefix(l, "BAD") {
				break
			}
		}
		out = append(out, lines)
	}
	fmt.Fprintf(conn, "EXIT\r\n")
	return out
}

// csyncApply sends replication commands as csyncReplies does and returns
// each command's final response line.
func csyncApply(t *testing.T, in *Instance, cmds ...string) []string {
	t.Helper()
	var out []string
	for _, lines := range csyncReplies(t, in, cmds...) {
		out = append(out, lines[len(lines)-1])
	}
	return out
}

// lcBox is one APPLY MAILBOX of the scenario (an empty mailbox).
type lcBox struct {
	name, uniqueid, acl string
	uidvalidity         uint32
	modseq              uint64
}

func (b lcBox) apply() string {
	return fmt.Sprintf("APPLY MAILBOX %%(UNIQUEID %s MBOXNAME %s LAST_UID 0 HIGHESTMODSEQ %d RECENTUID 0 RECENTTIME 0 "+
		"LAST_APPENDDATE 0 POP3_LAST_LOGIN 0 POP3_SHOW_AFTER 0 UIDVALIDITY %d PARTITION default ACL \"%s\" OPTIONS P "+
		"CREATEDMODSEQ %d FOLDERMODSEQ %d MBOXTYPE e RECORD ())", b.uniqueid, b.name, b.modseq, b.uidvalidity, b.acl, b.modseq, b.modseq)
}

func (b lcBox) params() spool.CreateParams {
	var acl spool.ACL
	f := strings.Split(strings.TrimSuffix(b.acl, "\t"), "\t")
	for i := 0; i+1 < len(f); i += 2 {
		acl = append(acl, spool.ACLEntry{ID: f[i], Rights: f[i+1]})
	}
	return spool.CreateParams{Name: b.name, UniqueID: b.uniqueid, Partition: "default", ACL: acl, Type: spool.KindEmail,
		UIDValidity: b.uidvalidity, CreatedModseq: b.modseq, FolderModseq: b.modseq, HighestModseq: b.modseq,
		Options: index.OptPOP3NewUIDL}
}

var lcBoxes = []lcBox{
	{"user.fred", "lcinbox0000000000000000a", "fred\tlrswipkxtecdan\t", 1700000001, 4},
	{"user.fred.Work", "lcwork00000000000000000b", "fred\tlrswipkxtecdan\t", 1700000002, 6},
	{"user.fred.Old", "lcold000000000000000000c", "fred\tlrswipkxtecdan\t", 1700000003, 7},
	{"user.fred.Later", "lclater00000000000000000d", "fred\tlrswipkxtecdan\t", 1700000004, 8},
	{"user.fred.a.b", "lcdeep00000000000000000e", "fred\tlrswipkxtecdan\t", 1700000005, 9},
	{"shared", "lcshared0000000000000000f", "anyone\tlrs\t", 1700000006, 3},
	{"shared.x", "lcsharedx000000000000000g", "anyone\tlrs\t", 1700000007, 5},
}

// TestSpoolLifecycle does the same mailbox creates, renames and deletes
// with Cyrus's own sync_server (and imapd, for the delayed delete, which
// sync_server never does) on one instance and with our spool writer on a
// second instance in the same start state, for both directory layouts,
// and compares mailboxes.db, the mailboxes, quota and health, then has
// Cyrus's imapd serve what we wrote.
func TestSpoolLifecycle(t *testing.T) {
	RequireCyrus(t)
	for _, layout := range []string{"uuid", "legacy"} {
		t.Run(layout, func(t *testing.T) {
			base := TempDir(t)
			legacy := "mailbox_legacy_dirs: " + map[string]string{"uuid": "no", "legacy": "yes"}[layout]
			cy := NewInstance(t, base, "cyrus", legacy)
			ours := NewInstance(t, base, "ours", legacy)
			for _, in := range []*Instance{cy, ours} {
				in.Start(t)
				in.AddSASLUser(t, "fred", UserPassword)
			}
			lifecycleByCyrus(t, cy)
			lifecycleByUs(t, ours)
			compareLifecycle(t, cy, ours)
			ours.Healthy(t, "fred")
			servesWhatWeWrote(t, ours)
		})
	}
}

func lifecycleByCyrus(t *testing.T, in *Instance) {
	var cmds []string
	for _, b := range lcBoxes {
		cmds = append(cmds, b.apply())
		if b.name == "user.fred" {
			cmds = append(cmds, "APPLY QUOTA %(ROOT user.fred STORAGE 100000)")
		}
	}
	cmds = append(cmds, lcBox{"user.bob.x", "lcorphan0000000000000000", "bob\tlr\t", 1700000009, 2}.apply(),
		"APPLY RENAME %(OLDMBOXNAME user.fred.Work NEWMBOXNAME user.fred.Work2 PARTITION default)",
		"APPLY RENAME %(OLDMBOXNAME user.fred NEWMBOXNAME user.frida PARTITION default)",
		"APPLY UNMAILBOX user.fred.Old", "APPLY UNMAILBOX shared.x")
	got := csyncApply(t, in, cmds...)
	for i, l := range got {
		t.Logf("cyrus: %.60s… → %s", cmds[i], l)
	}
	c := in.IMAP(t, "fred", UserPassword)
	if err := c.Delete("Later").Wait(); err != nil {
		t.Fatalf("cyrus: delete Later: %v", err)
	}
}

func lifecycleByUs(t *testing.T, in *Instance) {
	sp := openSpool(t, in)
	ctx := context.Background()
	for _, b := range lcBoxes {
		if _, err := sp.CreateMailbox(ctx, b.params()); err != nil {
			t.Fatalf("ours: create %s: %v", b.name, err)
		}
		if b.name == "user.fred" {
			if r := csyncApply(t, in, "APPLY QUOTA %(ROOT user.fred STORAGE 100000)"); r[0] != "OK success" {
				t.Fatalf("ours: APPLY QUOTA: %v", r)
			}
		}
	}
	_, err := sp.CreateMailbox(ctx, lcBox{"user.bob.x", "lcorphan0000000000000000", "bob\tlr\t", 1700000009, 2}.params())
	if !errors.Is(err, spool.ErrPermissionDenied) {
		t.Errorf("ours: create user.bob.x: %v, want permission denied", err)
	}
	if err := sp.RenameMailbox(ctx, "user.fred.Work", "user.fred.Work2", spool.RenameOptions{Partition: "default"}); err != nil {
		t.Fatalf("ours: rename: %v", err)
	}
	if err := sp.RenameMailbox(ctx, "user.fred", "user.frida", spool.RenameOptions{Partition: "default"}); !errors.Is(err, spool.ErrNotSupported) {
		t.Errorf("ours: user rename: %v, want not supported", err)
	}
	for _, n := range []string{"user.fred.Old", "shared.x"} {
		if err := sp.DeleteMailbox(ctx, n, spool.DeleteOptions{}); err != nil {
			t.Fatalf("ours: delete %s: %v", n, err)
		}
	}
	if err := sp.DeleteMailbox(ctx, "user.fred.Later", spool.DeleteOptions{Delayed: true}); err != nil {
		t.Fatalf("ours: delayed delete: %v", err)
	}
}

var (
	reHexTime = regexp.MustCompile(`\.[0-9A-F]{8}$`)
	reMbexVar = regexp.MustCompile(`(?m)(Last Append|Last Change|Changes Epoch|last_updated|Last POP3|Recent Time)[^\n]*`)
)

// mboxlistDump is ctl_mboxlist -d with what legitimately differs
// normalised: mtimes, the delete time in DELETED names, and the uniqueid
// and uidvalidity of mailboxes made up on the spot (intermediaries).
func mboxlistDump(t *testing.T, in *Instance) (string, []string) {
	r := in.Tool(t, "ctl_mboxlist", "-d")
	if r.Code != 0 {
		t.Fatalf("%s: ctl_mboxlist -d: %s", in.Name, r.Stderr)
	}
	var m map[string]ctlEntry
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil {
		t.Fatalf("%s: ctl_mboxlist -d: %v\n%s", in.Name, err, r.Stdout)
	}
	fixed := map[string]bool{}
	for _, b := range lcBoxes {
		fixed[b.uniqueid] = true
	}
	var lines, names []string
	for name, e := range m {
		e.MTime = ""
		if !fixed[e.UniqueID] && e.UniqueID != "" {
			e.UniqueID, e.UIDValidity = "*", "*"
		}
		e.Name = reHexTime.ReplaceAllString(e.Name, ".HEX")
		b, _ := json.Marshal(e)
		lines = append(lines, reHexTime.ReplaceAllString(name, ".HEX")+" "+string(b))
		if !strings.Contains(e.MBType, "d") && !strings.Contains(e.MBType, "i") {
			names = append(names, name)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n"), names
}

func compareLifecycle(t *testing.T, cy, ours *Instance) {
	want, names := mboxlistDump(t, cy)
	got, _ := mboxlistDump(t, ours)
	if got != want {
		t.Errorf("ctl_mboxlist -d differs\n--- cyrus:\n%s\n--- ours:\n%s", want, got)
	}
	sort.Strings(names)
	for _, n := range names {
		w := cy.Tool(t, "mbexamine", n)
		g := ours.Tool(t, "mbexamine", n)
		if norm(w.Stdout+w.Stderr, cy.Dir) != norm(g.Stdout+g.Stderr, ours.Dir) {
			t.Errorf("mbexamine %s differs\n--- cyrus:\n%s\n--- ours:\n%s", n, w.Stdout+w.Stderr, g.Stdout+g.Stderr)
		}
	}
	for _, args := range [][]string{{"-f"}, {}} {
		w, g := cy.Tool(t, "quota", args...), ours.Tool(t, "quota", args...)
		if w.Stdout+w.Stderr != g.Stdout+g.Stderr {
			t.Errorf("quota %v differs\n--- cyrus:\n%s\n--- ours:\n%s", args, w.Stdout+w.Stderr, g.Stdout+g.Stderr)
		}
	}
}

// norm hides the times and made-up ids mbexamine prints.
func norm(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "DIR")
	s = reMbexVar.ReplaceAllString(s, "$1 T")
	return regexp.MustCompile(`DELETED\.(\S+)\.[0-9A-F]{8}`).ReplaceAllString(s, "DELETED.$1.HEX")
}

// servesWhatWeWrote has Cyrus's imapd list, select, append to and fetch
// from the mailboxes we created and renamed.
func servesWhatWeWrote(t *testing.T, in *Instance) {
	c := in.IMAP(t, "fred", UserPassword)
	boxes, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	var names []string
	for _, b := range boxes {
		names = append(names, b.Mailbox)
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "INBOX Shared Folders/shared Work2 a a/b" {
		t.Errorf("LIST: %v", names)
	}
	for _, box := range []string{"Work2", "a/b", "INBOX"} {
		msg := "From: a@b\r\nSubject: hello " + box + "\r\n\r\nbody\r\n"
		ap := c.Append(box, int64(len(msg)), nil)
		ap.Write([]byte(msg))
		ap.Close()
		if _, err := ap.Wait(); err != nil {
			t.Fatalf("APPEND %s: %v", box, err)
		}
		sel, err := c.Select(box, nil).Wait()
		if err != nil || sel.NumMessages != 1 {
			t.Fatalf("SELECT %s: %v %+v", box, err, sel)
		}
		msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}).Collect()
		if err != nil || len(msgs) != 1 || msgs[0].Envelope.Subject != "hello "+box {
			t.Errorf("FETCH %s: %v %+v", box, err, msgs)
		}
	}
	in.Healthy(t, "fred")
}
