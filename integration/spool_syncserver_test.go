package integration

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool"
)

var reSyncCRC = regexp.MustCompile(`MBOXNAME ("[^"]*"|\S+) .*SYNC_CRC (\d+) SYNC_CRC_ANNOT (\d+)`)

// syncServerCRCs asks the instance's own Cyrus sync_server (csync, as the
// replication admin) for GET MAILBOXES and returns SYNC_CRC and
// SYNC_CRC_ANNOT per internal mailbox name.
func syncServerCRCs(t *testing.T, in *Instance, names []string) map[string][2]uint32 {
	t.Helper()
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	lines := csyncReplies(t, in, fmt.Sprintf("GET MAILBOXES (%s)", strings.Join(quoted, " ")))[0]
	if l := lines[len(lines)-1]; !strings.HasPrefix(l, "OK") {
		t.Fatalf("GET MAILBOXES: %s", l)
	}
	out := map[string][2]uint32{}
	for _, l := range lines {
		if m := reSyncCRC.FindStringSubmatch(l); m != nil {
			b, _ := strconv.ParseUint(m[2], 10, 32)
			a, _ := strconv.ParseUint(m[3], 10, 32)
			out[strings.Trim(m[1], `"`)] = [2]uint32{uint32(b), uint32(a)}
		}
	}
	return out
}

// TestSpoolSyncCRCs compares the SYNC_CRC and SYNC_CRC_ANNOT we compute for
// every mailbox of a populated instance with what Cyrus's sync_server
// reports for it in GET MAILBOXES.
func TestSpoolSyncCRCs(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "master")
	in.Start(t)
	populate(t, in)
	sp := openSpool(t, in)
	ctx := context.Background()
	ours := map[string][2]uint32{}
	var names []string
	for e, err := range sp.Mailboxes(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		// sync_server leaves the #sieve mailbox (type f) out of GET
		// MAILBOXES; it is compared with the stored CRCs in TestSpoolRead.
		if !e.HasFiles() || e.Type.Kind() != spool.KindEmail {
			continue
		}
		m, err := sp.Snapshot(ctx, e.Name)
		if err != nil {
			t.Fatal(err)
		}
		b, a := m.ComputeSyncCRCs()
		ours[e.Name] = [2]uint32{b, a}
		names = append(names, e.Name)
	}
	theirs := syncServerCRCs(t, in, names)
	if len(theirs) != len(ours) {
		t.Errorf("sync_server reported %d mailboxes, we have %d: %v", len(theirs), len(ours), theirs)
	}
	nonzero := 0
	for n, c := range ours {
		if theirs[n] != c {
			t.Errorf("%s: ours %v, sync_server %v", n, c, theirs[n])
		}
		if c[0] != 0 {
			nonzero++
		}
	}
	if nonzero < 3 {
		t.Errorf("only %d mailboxes with messages", nonzero)
	}
	t.Logf("%d mailboxes: %v", len(ours), ours)
}
