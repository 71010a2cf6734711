package integration

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/emersion/go-imap/v2"
)

// REPLICATION-ARCHIVE (sync_client -a, Cyrus 3.8+): the replica stages the
// uploaded message files on its archive partition. Cyrus 3.6 has none of
// it: there these tests check that, as Cyrus 3.6, -a is refused and the
// replica never offers it (and that an archiving replica archives what it
// appends, as both versions do). A mixed pair fails the test.

const archiveUser = "arch"

// archivePairVersion is the pair's Cyrus version; a mixed pair fails.
func archivePairVersion(t *testing.T) Version {
	t.Helper()
	RequireCyrus(t)
	m, r, err := PairVersions()
	if err != nil {
		t.Fatal(err)
	}
	if m != r {
		t.Fatalf("the archive tests want one Cyrus version on both sides (this is a %s master, %s replica)", m, r)
	}
	return m
}

// archiveLines turn archiving on for an instance named name under base,
// its archive partition beside its spool.
func archiveLines(t *testing.T, base, name string) []string {
	t.Helper()
	dir := filepath.Join(base, name, "archive")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	// archive_maxsize in K: a message of 4 KB or more goes to the archive
	// at once
	return []string{"archive_enabled: 1", "archivepartition-default: " + dir, "archive_maxsize: 4"}
}

// newArchivePair starts a 3.10 pair, the master archiving and the replica
// archiving if replicaArchive; syncServer as in NewPairOf.
func newArchivePair(t *testing.T, v Version, syncServer string, replicaArchive bool) *Pair {
	t.Helper()
	base := TempDir(t)
	var rx []string
	if replicaArchive {
		rx = archiveLines(t, base, "replica")
	}
	c := CyrusFor(t, v)
	p := NewPairIn(t, base, c, c, syncServer, rx, archiveLines(t, base, "master")...)
	archivePopulate(t, p)
	return p
}

// archivePopulate gives the master a user with mail in two folders: small
// new messages, a large one and an old one (which an archiving server
// archives on append).
func archivePopulate(t *testing.T, p *Pair) {
	t.Helper()
	p.AddUser(t, archiveUser)
	p.Master.Deliver(t, archiveUser, 2)
	multiAppend(t, p.Master, archiveUser, "INBOX", [][]byte{message(archiveUser, 1, strings.Repeat("large ", 1500))})
	c := p.Master.IMAP(t, archiveUser, UserPassword)
	old := message(archiveUser, 2, "old")
	cmd := c.Append("INBOX", int64(len(old)), &imap.AppendOptions{Time: time.Now().AddDate(0, -1, 0)})
	cmd.Write(old)
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append an old message: %v", err)
	}
	c.Close()
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
// On 3.6: Cyrus's sync_client refuses -a; ours accepts it (Cyrus 3.8's
// option) without effect: the same lines as Cyrus's without -a.
func TestArchiveSyncClient(t *testing.T) {
	v := archivePairVersion(t)
	sl := CatchSyslog(t)
	if v == V36 {
		cyrus, ours := newArchivePair(t, v, "", true), newArchivePair(t, v, "", true)
		if c := cyrus.CyrusSync(t, "-a", "-u", archiveUser); c.Code != 64 {
			t.Errorf("Cyrus 3.6's sync_client -a: exit %d, want 64 (usage)\n%s", c.Code, c.Stderr)
		}
		syncLikeCyrus(t, sl, func() Result { return cyrus.CyrusSync(t, "-v", "-l", "-u", archiveUser) },
			func() Result { return ours.OurSync(t, "-v", "-l", "-a", "-u", archiveUser) })
		samePlacement(t, "3.6 archiving replica", cyrus.Replica, ours.Replica)
		SameUser(t, ours.Master, ours.Replica, archiveUser)
		return
	}
	both := func(cyrus, ours *Pair, args ...string) {
		t.Helper()
		c, _, _ := syncLikeCyrus(t, sl, func() Result { return cyrus.CyrusSync(t, args...) },
			func() Result { return ours.OurSync(t, args...) })
		if c.Code != 0 {
			t.Errorf("Cyrus's sync_client %v: exit %d\n%s", args, c.Code, c.Stderr)
		}
		if !strings.Contains(c.Stdout, "ENABLE 0x") {
			t.Errorf("Cyrus's sync_client %v printed no ENABLE:\n%s", args, c.Stdout)
		}
	}

	cyrus, ours := newArchivePair(t, v, "", true), newArchivePair(t, v, "", true)
	both(cyrus, ours, "-v", "-l", "-a", "-u", archiveUser)
	cyrus.Master.Deliver(t, archiveUser, 1)
	ours.Master.Deliver(t, archiveUser, 1)
	both(cyrus, ours, "-v", "-l", "-a", "-n", "imap", "-u", archiveUser)
	samePlacement(t, "archiving replica", cyrus.Replica, ours.Replica)
	SameUser(t, ours.Master, ours.Replica, archiveUser)
	ours.CyrusHasNothingToSend(t, "-u", archiveUser)

	cyrus, ours = newArchivePair(t, v, "", false), newArchivePair(t, v, "", false)
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
// do not archive: neither offers REPLICATION-ARCHIVE. On 3.6 the same
// without -a: the banners alike (no REPLICATION-ARCHIVE), and what the
// replica archives as it appends alike.
func TestArchiveSyncServer(t *testing.T) {
	v := archivePairVersion(t)
	sl := CatchSyslog(t)
	ourServer := OursApplet(t, "sync_server")
	args := []string{"-v", "-l", "-a", "-u", archiveUser}
	if v == V36 {
		args = []string{"-v", "-l", "-u", archiveUser}
	}
	for _, archive := range []bool{true, false} {
		cyrus, ours := newArchivePair(t, v, "", archive), newArchivePair(t, v, ourServer, archive)
		cb, ob := csyncBanner(t, cyrus.Replica), csyncBanner(t, ours.Replica)
		if cb != ob {
			t.Errorf("archive_enabled=%v: csync banner differs:\n--- Cyrus\n%s--- ours\n%s", archive, cb, ob)
		}
		if want := archive && v == V310; strings.Contains(cb, "* REPLICATION-ARCHIVE\n") != want {
			t.Errorf("Cyrus %s, archive_enabled=%v: banner\n%s", v, archive, cb)
		}
		c, _, _ := syncLikeCyrus(t, sl, func() Result { return cyrus.CyrusSync(t, args...) },
			func() Result { return ours.CyrusSync(t, args...) })
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

// csyncBanner is the capability lines a replica's csync service greets
// with (our own COMPRESS LZ4 left out, the version cut off the OK line).
func csyncBanner(t *testing.T, in *Instance) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+itoa(in.CSyncPort), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	var b strings.Builder
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: csync banner: %v (so far %q)", in.Name, err, b.String())
		}
		l = strings.TrimRight(l, "\r\n")
		if strings.HasPrefix(l, "* OK ") {
			b.WriteString("* OK\n")
			return b.String()
		}
		if l != "* COMPRESS LZ4" {
			b.WriteString(l + "\n")
		}
	}
}
