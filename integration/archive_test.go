package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool"
)

// REPLICATION-ARCHIVE (sync_client -a, Cyrus 3.8+): the replica stages the
// uploaded message files on its archive partition. Cyrus 3.6 has none of
// it (its sync_client refuses -a), so these tests need a 3.10 pair and
// fail, rather than skip, on any other.

const archiveUser = "arch"

// requireArchivePair fails the test unless both sides run Cyrus 3.10.
func requireArchivePair(t *testing.T) {
	t.Helper()
	RequireCyrus(t)
	m, r, err := PairVersions()
	if err != nil {
		t.Fatal(err)
	}
	if m != V310 || r != V310 {
		t.Fatalf("REPLICATION-ARCHIVE is Cyrus 3.8+: run with CYREPL_CYRUS=3.10 (this is a %s master, %s replica)", m, r)
	}
}

// archiveLines turn archiving on for an instance named name under base,
// its archive partition beside its spool.
func archiveLines(t *testing.T, base, name string) []string {
	t.Helper()
	dir := filepath.Join(base, name, "archive")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	return []string{"archive_enabled: 1", "archivepartition-default: " + dir}
}

// newArchivePair starts a 3.10 pair, the master archiving and the replica
// archiving if replicaArchive; syncServer as in NewPairOf.
func newArchivePair(t *testing.T, syncServer string, replicaArchive bool) *Pair {
	t.Helper()
	base := TempDir(t)
	var rx []string
	if replicaArchive {
		rx = archiveLines(t, base, "replica")
	}
	c := CyrusFor(t, V310)
	p := NewPairIn(t, base, c, c, syncServer, rx, archiveLines(t, base, "master")...)
	archivePopulate(t, p)
	return p
}

// archivePopulate gives the master a user with mail in two folders.
func archivePopulate(t *testing.T, p *Pair) {
	t.Helper()
	p.AddUser(t, archiveUser)
	p.Master.Deliver(t, archiveUser, 3)
	create(t, p.Master, archiveUser, "Folder")
	copyAll(t, p.Master, archiveUser, "Folder")
}

// placement lists, for each of user's mailboxes on in, every index record:
// its uid, whether it is marked archived, and where its message file is
// (data and/or archive partition).
func placement(t *testing.T, in *Instance, user string) string {
	t.Helper()
	cfg := in.LoadConf(t, "sync_server", 0)
	sp, err := spool.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var b strings.Builder
	for e, err := range sp.Mailboxes(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != "user."+user && !strings.HasPrefix(e.Name, "user."+user+".") {
			continue
		}
		m, err := sp.Snapshot(ctx, e.Name)
		if err != nil {
			t.Fatalf("%s: %s: %v", in.Name, e.Name, err)
		}
		for _, r := range m.Records {
			where := ""
			for _, archived := range []bool{false, true} {
				if _, ok := cfg.ArchivePartitionDir(e.Partition); archived && !ok {
					break // no archive partition: its path is the data one
				}
				path, err := sp.MessagePath(e, r.UID, archived)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(path); err == nil {
					where += map[bool]string{false: " data", true: " archive"}[archived]
				}
			}
			fmt.Fprintf(&b, "%s uid %d archived=%v file:%s\n", e.Name, r.UID, r.Archived(), where)
		}
	}
	if b.Len() == 0 {
		t.Fatalf("%s: no records for %s", in.Name, user)
	}
	return b.String()
}

// samePlacement fails unless two replicas place user's messages alike.
func samePlacement(t *testing.T, what string, a, b *Instance) {
	t.Helper()
	pa, pb := placement(t, a, archiveUser), placement(t, b, archiveUser)
	if pa != pb {
		t.Errorf("%s: message placement differs:\n--- Cyrus\n%s--- ours\n%s", what, pa, pb)
	}
}

// TestArchiveSyncClient: Cyrus 3.10's sync_client -a and ours, each into
// Cyrus 3.10's sync_server with archiving on both sides: the same -v and
// syslog lines (the ENABLE of both features), the replica's files and
// archived flags alike, the replica equal to the master; and into a
// replica that does not archive, over csync (which then does not offer
// REPLICATION-ARCHIVE) and over imapd (which offers X-REPLICATION-ARCHIVE
// anyway but does not enable it: Cyrus logs it and carries on).
func TestArchiveSyncClient(t *testing.T) {
	requireArchivePair(t)
	sl := CatchSyslog(t)
	both := func(cyrus, ours *Pair, args ...string) {
		t.Helper()
		sl.Take("sync_client")
		c := cyrus.CyrusSync(t, args...)
		cl := sl.Take("sync_client")
		o := ours.OurSync(t, args...)
		ol := sl.Take("sync_client")
		compareVerbose(t, c, o)
		compareSyslog(t, cl, ol)
		if c.Code != 0 {
			t.Errorf("Cyrus's sync_client %v: exit %d\n%s", args, c.Code, c.Stderr)
		}
		if !strings.Contains(c.Stdout, "ENABLE 0x") {
			t.Errorf("Cyrus's sync_client %v printed no ENABLE:\n%s", args, c.Stdout)
		}
	}

	cyrus, ours := newArchivePair(t, "", true), newArchivePair(t, "", true)
	both(cyrus, ours, "-v", "-l", "-a", "-u", archiveUser)
	samePlacement(t, "archiving replica", cyrus.Replica, ours.Replica)
	SameUser(t, ours.Master, ours.Replica, archiveUser)
	ours.CyrusHasNothingToSend(t, "-u", archiveUser)

	cyrus, ours = newArchivePair(t, "", false), newArchivePair(t, "", false)
	both(cyrus, ours, "-v", "-l", "-a", "-u", archiveUser)
	cyrus.Master.Deliver(t, archiveUser, 1)
	ours.Master.Deliver(t, archiveUser, 1)
	both(cyrus, ours, "-v", "-l", "-a", "-n", "imap", "-u", archiveUser)
	samePlacement(t, "replica not archiving", cyrus.Replica, ours.Replica)
	SameUser(t, ours.Master, ours.Replica, archiveUser)
}

// TestArchiveSyncServer: Cyrus 3.10's sync_client -a into our sync_server
// (3.10) and into Cyrus's, archiving on both sides: the same replies, so
// the same client lines; the files and archived flags alike; the replica
// equal to the master and healthy by Cyrus's tools. And into replicas that
// do not archive: neither offers REPLICATION-ARCHIVE.
func TestArchiveSyncServer(t *testing.T) {
	requireArchivePair(t)
	sl := CatchSyslog(t)
	ourServer := OursApplet(t, "sync_server")
	for _, archive := range []bool{true, false} {
		cyrus, ours := newArchivePair(t, "", archive), newArchivePair(t, ourServer, archive)
		sl.Take("sync_client")
		c := cyrus.CyrusSync(t, "-v", "-l", "-a", "-u", archiveUser)
		cl := sl.Take("sync_client")
		o := ours.CyrusSync(t, "-v", "-l", "-a", "-u", archiveUser)
		ol := sl.Take("sync_client")
		compareVerbose(t, c, o)
		compareSyslog(t, cl, ol)
		if c.Code != 0 {
			t.Errorf("Cyrus's sync_client into Cyrus's sync_server: exit %d\n%s", c.Code, c.Stderr)
		}
		what := fmt.Sprintf("replica archive_enabled=%v", archive)
		samePlacement(t, what, cyrus.Replica, ours.Replica)
		SameUser(t, ours.Master, ours.Replica, archiveUser)
		ours.CyrusHasNothingToSend(t, "-u", archiveUser)
		for _, in := range []*Instance{cyrus.Replica, ours.Replica} {
			if left, _ := filepath.Glob(filepath.Join(in.Dir, "*", "sync.", "*")); len(left) > 0 {
				t.Errorf("%s: staging left behind: %v", what, left)
			}
		}
	}
}
