package syncclient

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// TestFullWalk: which replica records a full update expunges, and which
// differences need a copy back (not supported: errCopyBack).
func TestFullWalk(t *testing.T) {
	g := func(b byte) guid.GUID { var x guid.GUID; x[0] = b; return x }
	rec := func(uid uint32, modseq uint64, gb byte, expunged bool) spool.Record {
		r := spool.Record{UID: uid, Modseq: modseq, LastUpdated: 100, InternalDate: 50, GUID: g(gb)}
		if expunged {
			r.System |= index.FlagExpunged
		}
		return r
	}
	wire := func(r spool.Record) protocol.Record { return protocol.RecordFromSpool(&r, 19) }
	master := func(deleted uint64, rs ...spool.Record) *spool.Mailbox {
		m := &spool.Mailbox{Name: "user.x", LastUID: 10, HighestModseq: 20, IndexVersion: 19, Records: rs}
		m.IndexHeader.DeletedModseq = deleted
		return m
	}
	for _, c := range []struct {
		name    string
		m       *spool.Mailbox
		remote  []protocol.Record
		expunge []uint32
		why     string
		log     string
	}{
		{name: "purged on master",
			m:       master(9, rec(1, 2, 1, false), rec(4, 3, 4, false)),
			remote:  []protocol.Record{wire(rec(1, 2, 1, false)), wire(rec(2, 2, 2, false)), wire(rec(3, 2, 3, false)), wire(rec(4, 3, 4, false))},
			expunge: []uint32{2, 3}, log: "record only exists on replica: mailbox=<user.x> uid=<2>"},
		{name: "replica-only, newer than the purge: copy back",
			m:      master(2, rec(1, 2, 1, false)),
			remote: []protocol.Record{wire(rec(1, 2, 1, false)), wire(rec(2, 5, 2, false))},
			why:    "copy back uid 2"},
		{name: "split brain",
			m:      master(0, rec(1, 2, 1, false)),
			remote: []protocol.Record{wire(rec(1, 2, 9, false))},
			why:    "split brain at uid 1", log: "SYNCERROR: guid mismatch: mailbox=<user.x> uid=<1>"},
		{name: "master-only below the replica's UIDs: renumber",
			m:      master(0, rec(1, 2, 1, false), rec(2, 2, 2, false)),
			remote: []protocol.Record{wire(rec(2, 2, 2, false))},
			why:    "renumber uid 1"},
		{name: "master newer than the replica: sent by the repeat update",
			m:      master(0, rec(1, 15, 1, false)),
			remote: []protocol.Record{wire(rec(1, 2, 1, false))}},
		{name: "expunged on both, replica expunged extra",
			m:      master(0, rec(1, 2, 1, true)),
			remote: []protocol.Record{wire(rec(1, 3, 1, true)), wire(rec(11, 3, 5, true))},
			log:    "record only exists on replica: mailbox=<user.x> uid=<11> \""},
	} {
		var logs bytes.Buffer
		s := &syncer{log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), o: &Options{}}
		w := &fullWalk{s: s, m: c.m, remote: &protocol.Mailbox{LastUID: 10, HighestModseq: 5, Records: c.remote}}
		w.walk()
		if got, want := strings.Join(w.why, "; "), c.why; got != want {
			t.Errorf("%s: why %q, want %q", c.name, got, want)
		}
		if !equalUIDs(w.expunge, c.expunge) {
			t.Errorf("%s: expunge %v, want %v", c.name, w.expunge, c.expunge)
		}
		if c.log != "" && !strings.Contains(logs.String(), c.log) {
			t.Errorf("%s: log lacks %q:\n%s", c.name, c.log, logs.String())
		}
	}
}

func equalUIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
