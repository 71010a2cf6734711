package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// resetReplicas is a master replicated by Cyrus's sync_client into two
// replicas served by Cyrus's sync_server (channel "" into cyrus, channel
// "ours" into ours), all three on the mailbox layout the extra lines
// choose, with alice logged in to each replica's imapd.
func resetReplicas(t *testing.T, extra ...string) (p *Pair, theirs, ours *Instance) {
	t.Helper()
	base := TempDir(t)
	theirs = NewInstance(t, base, "replica", extra...)
	theirs.Start(t)
	ours = NewInstance(t, base, "ours", extra...)
	ours.Start(t)
	master := NewInstance(t, base, "master", append([]string{"sync_authname: " + SyncUser, "sync_password: " + SyncPassword,
		"sync_host: 127.0.0.1", "sync_try_imap: 0", "sync_port: " + itoa(theirs.CSyncPort),
		"ours_sync_port: " + itoa(ours.CSyncPort), "ours_sync_try_imap: 0"}, extra...)...)
	master.Start(t)
	p = &Pair{Master: master, Replica: theirs}
	richMaster(t, p, ours)
	create(t, master, "alice", "Old")
	sync := func() {
		for _, ch := range [][]string{nil, {"-n", "ours"}} {
			if res := p.CyrusSync(t, append(ch, "-A")...); res.Code != 0 {
				t.Fatalf("Cyrus's sync_client %v -A: %d\n%s%s", ch, res.Code, res.Stdout, res.Stderr)
			}
		}
	}
	sync()
	// a delayed-deleted folder of alice's (DELETED.user.alice.Old.<hex>)
	imapLines(t, master, "alice", UserPassword, "DELETE Old")
	sync()
	return p, theirs, ours
}

// ctlEntries are the mailboxes.db entries as ctl_mboxlist -d shows them.
func ctlEntries(t *testing.T, in *Instance) map[string]ctlEntry {
	t.Helper()
	r := in.Tool(t, "ctl_mboxlist", "-d")
	var all map[string]ctlEntry
	if err := json.Unmarshal([]byte(r.Stdout), &all); err != nil {
		t.Fatalf("%s: ctl_mboxlist -d: %v\n%s%s", in.Name, err, r.Stdout, r.Stderr)
	}
	return all
}

// liveOf are the names of user's mailboxes (DELETED ones included) that
// are neither tombstones nor intermediates.
func liveOf(t *testing.T, in *Instance, user string) []string {
	t.Helper()
	var out []string
	for name, e := range ctlEntries(t, in) {
		if (strings.HasPrefix(name, "user."+user+".") || name == "user."+user ||
			strings.HasPrefix(name, "DELETED.user."+user+".")) && !strings.ContainsAny(e.MBType, "di") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// TestSyncResetLikeCyrus: on either mailbox layout Cyrus's sync_reset
// and ours, run on two replicas of one master beside their imapd, print
// the same and leave the same replica: mailboxes.db, quota, per-user and
// sieve files, message files, annotations (no difference the replicas did
// not have before, none of alice's at all: replication leaves bob's seen
// file different on the legacy layout); alice has no live mailbox left
// and her imapd session is ended; a new sync seeds alice again on both,
// equal to the master; bob is untouched.
func TestSyncResetLikeCyrus(t *testing.T) {
	RequireCyrus(t)
	for _, layout := range []struct{ name, extra string }{
		{"legacy", "mailbox_legacy_dirs: yes"}, {"uuid", "mailbox_legacy_dirs: no"},
	} {
		t.Run(layout.name, func(t *testing.T) {
			p, theirs, ours := resetReplicas(t, layout.extra)
			if len(liveOf(t, theirs, "alice")) == 0 || len(liveOf(t, ours, "alice")) == 0 {
				t.Fatal("alice has no mailboxes on the replicas before the reset")
			}
			// the command line: a bad option, and no -f (nothing done)
			for _, args := range [][]string{{"-x", "alice"}, {"-C", theirs.Conf(), "alice"}, {"-C", theirs.Conf(), "-v"}} {
				cyr, our := theirs.Cyrus.Prog("sync_reset"), OursApplet(t, "sync_reset")
				cr, or := theirs.Run(t, nil, cyr, args...), ours.Run(t, nil, our, args...)
				cr.Stderr = strings.ReplaceAll(cr.Stderr, cyr, "sync_reset")
				or.Stderr = strings.ReplaceAll(or.Stderr, our, "sync_reset")
				if cr != or {
					t.Errorf("sync_reset %q:\nCyrus's: %+v\nours:    %+v", args, cr, or)
				}
			}
			before := resetState(t, theirs, ours)
			sessions := []*RawIMAP{theirs.OpenIMAP(t, "alice"), ours.OpenIMAP(t, "alice")}
			cr := theirs.Tool(t, "sync_reset", "-v", "-f", "alice")
			or := ours.Run(t, nil, OursApplet(t, "sync_reset"), "-C", ours.Conf(), "-v", "-f", "alice")
			if cr != or || cr.Code != 0 || strings.Contains(cr.Stderr, "Bailing out!") {
				t.Errorf("sync_reset -f alice:\nCyrus's: %+v\nours:    %+v", cr, or)
			}
			for _, s := range sessions {
				if s.Alive() {
					t.Errorf("%s: alice's imapd session survived the reset", s.in.Name)
				}
			}
			for _, in := range []*Instance{theirs, ours} {
				if l := liveOf(t, in, "alice"); len(l) != 0 {
					t.Errorf("%s: live mailboxes of alice left: %q", in.Name, l)
				}
				chkClean(t, in)
			}
			// what differs now differed before (replication, not the
			// reset), and none of it is alice's
			for l := range resetState(t, theirs, ours) {
				if !before[l] || strings.Contains(l, "alice") {
					t.Errorf("after the reset (Cyrus's vs ours): %s", l)
				}
			}
			for _, ch := range [][]string{nil, {"-n", "ours"}} {
				if res := p.CyrusSync(t, append(ch, "-u", "alice")...); res.Code != 0 {
					t.Fatalf("Cyrus's sync_client %v -u alice after the reset: %d\n%s%s", ch, res.Code, res.Stdout, res.Stderr)
				}
			}
			SameUser(t, p.Master, theirs, "alice")
			SameUser(t, p.Master, ours, "alice")
			SameUser(t, p.Master, ours, "bob")
		})
	}
}

// TestSyncResetINBOXName is cyrus-imapd issue 6017: given the user's INBOX
// as the administrator names it ("user/alice"), Cyrus's sync_reset looks
// for the INBOX of a user called "user/alice", opens that user's legacy
// subscription file (conf/user/u/user/alice.sub: the reporter's strace),
// finds no INBOX, prints "Bailing out!" and leaves alice as she was. Ours
// takes it for alice and removes her — no live mailboxes.db entry, mbpath
// knows no INBOX, no per-user, sieve or quota file of hers, chk_cyrus
// clean — and a new sync seeds her again, equal to the master.
func TestSyncResetINBOXName(t *testing.T) {
	RequireCyrus(t)
	p, theirs, ours := resetReplicas(t)
	cr := theirs.Tool(t, "sync_reset", "-v", "-f", "user/alice")
	if !strings.Contains(cr.Stderr, "Bailing out!") {
		t.Errorf("Cyrus's sync_reset -f user/alice did not bail out (issue 6017 fixed?): %+v", cr)
	}
	if len(liveOf(t, theirs, "alice")) == 0 {
		t.Errorf("Cyrus's failed sync_reset removed alice's mailboxes")
	}

	session := ours.OpenIMAP(t, "alice")
	or := ours.Run(t, nil, OursApplet(t, "sync_reset"), "-C", ours.Conf(), "-v", "-f", "user/alice")
	if or.Code != 0 || or.Stdout != "user/alice names the INBOX of user alice: resetting alice\n" || or.Stderr != "" {
		t.Fatalf("our sync_reset -f user/alice: %+v", or)
	}
	if session.Alive() {
		t.Errorf("alice's imapd session survived the reset")
	}
	if l := liveOf(t, ours, "alice"); len(l) != 0 {
		t.Errorf("live mailboxes of alice left: %q", l)
	}
	if res := ours.Tool(t, "mbpath", "user/alice"); res.Code == 0 {
		t.Errorf("mbpath still finds alice's INBOX: %+v", res)
	}
	for _, dir := range []string{filepath.Join(ours.ConfigDir(), "user"), filepath.Join(ours.Dir, "sieve")} {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !ownedByOthers(t, ours, path) {
				t.Errorf("left: %s", path)
			}
			return nil
		})
	}
	if q := treeFiles(t, ours.ConfigDir(), "quota"); strings.Contains(q, "user.alice") {
		t.Errorf("alice's quota root left:\n%s", q)
	}
	chkClean(t, ours)

	if res := p.CyrusSync(t, "-n", "ours", "-u", "alice"); res.Code != 0 {
		t.Fatalf("Cyrus's sync_client -u alice after the reset: %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	SameUser(t, p.Master, ours, "alice")
	SameUser(t, p.Master, ours, "bob")
}

// ownedByOthers reports whether a by-id path under conf/user or sieve
// belongs to the INBOX of a user other than alice.
func ownedByOthers(t *testing.T, in *Instance, file string) bool {
	t.Helper()
	for name, e := range ctlEntries(t, in) {
		if strings.HasPrefix(name, "user.") && !strings.Contains(name[5:], ".") && name != "user.alice" &&
			e.UniqueID != "" && strings.Contains(file, "/"+e.UniqueID+"/") {
			return true
		}
	}
	return false
}

// resetState is how two replicas differ: the lines of mailboxes.db,
// annotations, quota, per-user and sieve files, message files that only
// one has, each prefixed with what it is from.
func resetState(t *testing.T, theirs, ours *Instance) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	same := func(what, a, b string) {
		t.Helper()
		a, b = strings.ReplaceAll(a, theirs.Dir, "<dir>"), strings.ReplaceAll(b, ours.Dir, "<dir>")
		if d := setDiff(a, b); d != "" {
			for _, l := range strings.Split(d, "\n") {
				out[what+": "+l] = true
			}
		}
	}
	mtime := regexp.MustCompile(`"mtime": "[0-9]+"`)
	dump := func(in *Instance) string {
		return mtime.ReplaceAllString(in.Tool(t, "ctl_mboxlist", "-d").Stdout, `"mtime": <local>`)
	}
	same("ctl_mboxlist -d", dump(theirs), dump(ours))
	same("cyr_dbtool annotations.db", dbShow(t, theirs, filepath.Join(theirs.ConfigDir(), "annotations.db")),
		dbShow(t, ours, filepath.Join(ours.ConfigDir(), "annotations.db")))
	for _, sub := range []string{"quota", "user"} {
		same(sub+" files", treeFiles(t, theirs.ConfigDir(), sub), treeFiles(t, ours.ConfigDir(), sub))
	}
	same("message files", treeFiles(t, theirs.Dir, "spool"), treeFiles(t, ours.Dir, "spool"))
	same("sieve directories", treeFiles(t, theirs.Dir, "sieve"), treeFiles(t, ours.Dir, "sieve"))
	return out
}

// setDiff lists the lines only a has ("cyrus: ") and only b has ("ours:
// "), whatever their place, so that a difference that was there before
// reads the same after.
func setDiff(a, b string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	ca, cb := count(a), count(b)
	var out []string
	for l, n := range ca {
		if cb[l] < n {
			out = append(out, "cyrus: "+l)
		}
	}
	for l, n := range cb {
		if ca[l] < n {
			out = append(out, "ours:  "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// chkClean runs chk_cyrus over the default partition: every mailbox's
// index records have their message files.
func chkClean(t *testing.T, in *Instance) {
	t.Helper()
	res := in.Tool(t, "chk_cyrus", "-P", "default")
	for _, l := range strings.Split(strings.TrimSpace(res.Stdout+res.Stderr), "\n") {
		if l != "" && !strings.HasPrefix(l, "Examining partition:") && !strings.HasPrefix(l, "checking: ") {
			t.Errorf("%s: chk_cyrus: %s", in.Name, l)
		}
	}
	if res.Code != 0 {
		t.Errorf("%s: chk_cyrus exit %d", in.Name, res.Code)
	}
}

// RawIMAP is an IMAP session kept open, to see whether a server process
// ends it.
type RawIMAP struct {
	in   *Instance
	conn net.Conn
	r    *bufio.Reader
	n    int
}

// OpenIMAP logs user in to in's imapd and selects INBOX.
func (in *Instance) OpenIMAP(t *testing.T, user string) *RawIMAP {
	t.Helper()
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", in.IMAPPort), 10*time.Second)
	if err != nil {
		t.Fatalf("%s: imap: %v", in.Name, err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &RawIMAP{in: in, conn: conn, r: bufio.NewReader(conn)}
	s.r.ReadString('\n')
	for _, c := range []string{"LOGIN " + user + " " + UserPassword, "SELECT INBOX"} {
		if !s.do(c) {
			t.Fatalf("%s: imap %s failed", in.Name, c)
		}
	}
	return s
}

// do runs a command; false unless it ends in OK.
func (s *RawIMAP) do(cmd string) bool {
	s.n++
	tag := fmt.Sprintf("r%d", s.n)
	s.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(s.conn, "%s %s\r\n", tag, cmd); err != nil {
		return false
	}
	for {
		l, err := s.r.ReadString('\n')
		if err != nil || strings.HasPrefix(l, "* BYE") {
			return false
		}
		if strings.HasPrefix(l, tag+" ") {
			return strings.HasPrefix(l, tag+" OK")
		}
	}
}

// Alive reports whether the session still answers (a killed imapd closes
// it; the signal may take a moment to arrive).
func (s *RawIMAP) Alive() bool {
	for range 20 {
		if !s.do("NOOP") {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}
