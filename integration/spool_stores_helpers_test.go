package integration

import (
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// cloneInstance makes instance name under base with from's spool (from
// must be stopped): configdirectory, partition and sieve directory are
// copied, so mailboxes keep their uniqueids and every file starts equal;
// the copy has its own ports, configuration and SASL users (users get
// UserPassword).
func cloneInstance(t *testing.T, from *Instance, base, name string, users ...string) *Instance {
	t.Helper()
	in := NewInstance(t, base, name)
	keep, err := os.ReadFile(filepath.Join(in.ConfigDir(), "sasldb2"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"conf", "spool", "sieve"} {
		if out, err := exec.Command("cp", "-a", filepath.Join(from.Dir, d)+"/.", filepath.Join(in.Dir, d)).CombinedOutput(); err != nil {
			t.Fatalf("cp %s: %v %s", d, err, out)
		}
	}
	os.WriteFile(filepath.Join(in.ConfigDir(), "sasldb2"), keep, 0o600)
	for _, d := range []string{"socket", "proc"} {
		ents, _ := os.ReadDir(filepath.Join(in.ConfigDir(), d))
		for _, e := range ents {
			os.RemoveAll(filepath.Join(in.ConfigDir(), d, e.Name()))
		}
	}
	for _, u := range users {
		in.AddSASLUser(t, u, UserPassword)
	}
	Chown(t, in.Dir)
	return in
}

// asCyrus runs fn as runAsCyrus does, failing the test on error.
func asCyrus(t *testing.T, fn func() error) {
	t.Helper()
	if err := runAsCyrus(fn); err != nil {
		t.Fatal(err)
	}
}

// runAsCyrus runs fn with this thread's file system identity switched to
// cyrus:mail and umask 077, so that what our spool writers create belongs
// to Cyrus as if sync_server (running as cyrus) had written it.
func runAsCyrus(fn func() error) error {
	u, err := user.Lookup("cyrus")
	if err != nil {
		return err
	}
	g, err := user.LookupGroup("mail")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(g.Gid)
	runtime.LockOSThread()
	old := syscall.Umask(0o077)
	syscall.Setfsgid(gid)
	syscall.Setfsuid(uid)
	err = fn()
	syscall.Setfsuid(0)
	syscall.Setfsgid(0)
	syscall.Umask(old)
	runtime.UnlockOSThread()
	return err
}

// csyncOK sends each APPLY (a name and its arguments) to the instance's
// own Cyrus sync_server (csyncApply) and fails the test unless it
// answers OK.
func csyncOK(t *testing.T, in *Instance, cmds ...string) {
	t.Helper()
	lines := make([]string, len(cmds))
	for i, c := range cmds {
		lines[i] = "APPLY " + c
	}
	res := csyncApply(t, in, lines...)
	for i, c := range cmds {
		if i >= len(res) || !strings.HasPrefix(res[i], "OK") {
			t.Fatalf("%s: APPLY %s: %q", in.Name, c, res)
		}
	}
}

// apply renders an APPLY command: name and a kvlist of string values.
func apply(name string, kv ...string) string {
	var items []dlist.KV
	for i := 0; i+1 < len(kv); i += 2 {
		items = append(items, dlist.KV{Key: kv[i], Value: dlist.String(kv[i+1])})
	}
	b, err := dlist.Marshal(dlist.KVList(items...))
	if err != nil {
		panic(err)
	}
	return name + " " + string(b)
}

// dbShow is "cyr_dbtool <path> twoskip show" on the instance (after
// checking the file is consistent); a missing file shows as "(none)".
func dbShow(t *testing.T, in *Instance, path string) string {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return "(none)"
	}
	if r := in.Tool(t, "cyr_dbtool", path, "twoskip", "consistent"); r.Code != 0 || r.Stdout != "Yes, consistent\n" {
		t.Fatalf("cyr_dbtool %s consistent: %d %q %q", path, r.Code, r.Stdout, r.Stderr)
	}
	r := in.Tool(t, "cyr_dbtool", path, "twoskip", "show")
	if r.Code != 0 {
		t.Fatalf("cyr_dbtool %s show: %d %s", path, r.Code, r.Stderr)
	}
	return r.Stdout
}

// pair is the same start state on two instances: Cyrus changes A, our
// spool writers change B; afterwards their files are compared.
type pair struct {
	a, b   *Instance
	sa, sb *spool.Spool
}

// rel returns path (under a's directory) relative to it.
func (p *pair) rel(path string) string { return strings.TrimPrefix(path, p.a.Dir) }

// sameDB fails unless the twoskip file at path (an A path) shows the
// same in Cyrus's cyr_dbtool on both sides; it returns A's show.
func (p *pair) sameDB(t *testing.T, path string) string {
	t.Helper()
	a := dbShow(t, p.a, path)
	b := dbShow(t, p.b, p.b.Dir+p.rel(path))
	if a != b {
		t.Errorf("%s differs:\ncyrus: %q\n ours: %q", p.rel(path), a, b)
	}
	return a
}

// sameFile fails unless the file at path (an A path) has the same bytes
// on both sides (or is missing on both).
func (p *pair) sameFile(t *testing.T, path string) {
	t.Helper()
	a, errA := os.ReadFile(path)
	b, errB := os.ReadFile(p.b.Dir + p.rel(path))
	if os.IsNotExist(errA) && os.IsNotExist(errB) {
		return
	}
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("%s differs:\ncyrus: %q %v\n ours: %q %v", p.rel(path), a, errA, b, errB)
	}
}

// sameIMAP fails unless the last command's untagged lines are the same
// on both sides; it returns A's.
func (p *pair) sameIMAP(t *testing.T, user, password string, cmds ...string) []string {
	t.Helper()
	a := imapLines(t, p.a, user, password, cmds...)
	b := imapLines(t, p.b, user, password, cmds...)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("%q as %s differs:\ncyrus:\n%s\n ours:\n%s", cmds[len(cmds)-1], user, strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	return a
}

// indexOf reads a mailbox's cyrus.index on one side.
func indexOf(t *testing.T, sp *spool.Spool, name string) *index.Index {
	t.Helper()
	e, err := sp.LookupName(name)
	if err != nil {
		t.Fatal(err)
	}
	path, err := sp.MetaPath(e, spool.MetaIndex)
	if err != nil {
		t.Fatal(err)
	}
	x, err := index.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// sameIndex fails unless mailbox name's cyrus.index header and records
// are the same on both sides, last_updated (a time) and the CRCs made
// from it (record CRC, basic sync CRC) aside; each side's stored CRCs must be what its
// records and annotations give.
func (p *pair) sameIndex(t *testing.T, name string) {
	t.Helper()
	a, b := indexOf(t, p.sa, name), indexOf(t, p.sb, name)
	ha, hb := a.Header, b.Header
	ha.SyncCRCBasic, hb.SyncCRCBasic, ha.HeaderCRC, hb.HeaderCRC = 0, 0, 0, 0
	if ha != hb {
		t.Errorf("%s: index header differs:\ncyrus: %+v\n ours: %+v", name, ha, hb)
	}
	if len(a.Records) != len(b.Records) {
		t.Fatalf("%s: %d records, ours %d", name, len(a.Records), len(b.Records))
	}
	for i := range a.Records {
		ra, rb := a.Records[i], b.Records[i]
		ra.LastUpdated, rb.LastUpdated, ra.RecordCRC, rb.RecordCRC = 0, 0, 0, 0
		if ra != rb {
			t.Errorf("%s: record %d differs:\ncyrus: %+v\n ours: %+v", name, i+1, ra, rb)
		}
	}
	for side, sp := range map[string]*spool.Spool{"cyrus": p.sa, "ours": p.sb} {
		m, err := sp.Snapshot(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		basic, annot := m.ComputeSyncCRCs()
		if basic != m.SyncCRC || annot != m.SyncCRCAnnot {
			t.Errorf("%s (%s): stored CRCs %d/%d, records give %d/%d", name, side, m.SyncCRC, m.SyncCRCAnnot, basic, annot)
		}
	}
}

// quotaFix runs Cyrus's quota -f on both sides and fails unless they
// report the same fixes; it returns A's report (stderr).
func (p *pair) quotaFix(t *testing.T) string {
	t.Helper()
	a := p.a.Tool(t, "quota", "-f")
	b := p.b.Tool(t, "quota", "-f")
	if a.Code != 0 || b.Code != 0 || a.Stderr != b.Stderr {
		t.Errorf("quota -f: cyrus %d %q, ours %d %q", a.Code, a.Stderr, b.Code, b.Stderr)
	}
	return a.Stderr
}
