package syncclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/cache"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// The messages: the fixture's (see testdata/mkfixture.sh) and the
// replicas'. Those of integration/syncclient_copyback_test.go have its
// numbers and notes.
var (
	msgFirst         = fixtureMessage(1, "first")
	msgSecond        = fixtureMessage(2, "second")
	msg3OnMaster     = fixtureMessage(3, "on the master")
	msg3OnReplica    = fixtureMessage(3, "on the replica")
	msg4OnMaster     = fixtureMessage(4, "on the master")
	msg4OnReplica    = fixtureMessage(4, "on the replica")
	msg5Replica      = fixtureMessage(5, "replica only")
	msg6Replica      = fixtureMessage(6, "replica only")
	msg7Replica      = fixtureMessage(7, "replica")
	msg8Replica      = fixtureMessage(8, "replica")
	msg9Master       = fixtureMessage(9, "master")
	msg10Replica     = fixtureMessage(10, "replica")
	msg11Replica     = fixtureMessage(11, "replica")
	fixtureMailboxes = []string{"user.cb", "user.cb.SplitBrain", "user.cb.Reversed", "user.cb.MasterOnly"}
)

// label names a message by its GUID in failure output.
func label(g guid.GUID) string {
	for _, m := range [][]byte{msgFirst, msgSecond, msg3OnMaster, msg3OnReplica, msg4OnMaster, msg4OnReplica,
		msg5Replica, msg6Replica, msg7Replica, msg8Replica, msg9Master, msg10Replica, msg11Replica} {
		if guid.Sum(m) == g {
			_, subject, _ := strings.Cut(string(m), "Subject: ")
			subject, _, _ = strings.Cut(subject, "\r\n")
			return fmt.Sprintf("%q", subject)
		}
	}
	return g.String()
}

// g is the GUID of a message as syslog lines show it.
func g(msg []byte) string { return guid.Sum(msg).String() }

// rec is a master record expected after the full update.
type rec struct {
	uid           uint32
	modseq        uint64
	createdModseq uint64
	flags         string
	msg           []byte
}

func (r rec) String() string {
	return fmt.Sprintf("uid=%d modseq=%d createdmodseq=%d flags=(%s) %s", r.uid, r.modseq, r.createdModseq, r.flags,
		label(guid.Sum(r.msg)))
}

type fullUpdateCase struct {
	name    string
	mailbox string
	// synced is the master's LAST_UID when it was last replicated; diverge
	// makes the replica's own changes after that.
	synced  uint32
	diverge func(t *testing.T, r *replicaBox)
	// The master after the update: records, LAST_UID, HIGHESTMODSEQ.
	records       []rec
	lastUID       uint32
	highestModseq uint64
	// fetched are the UIDs of GET FETCH, expunge those of APPLY EXPUNGE
	// (nil: none sent).
	fetched, expunge []uint32
	// log are the syslog lines, "LEVEL message", times as T.
	log []string
}

// fullUpdateCases: the first six are integration/syncclient_copyback_test.go's
// cases on the same master (the fixture's mailbox holds the same records
// with the same modseqs) and the same replica; their expected records,
// modseqs and syslog lines are what Cyrus 3.6's sync_client did in those
// runs (its syserror=<…> removed). The others are states that test does
// not reach; their results follow Cyrus's mailbox_update_loop and
// compare_one_record.
func fullUpdateCases() []fullUpdateCase {
	mismatch := func(name string, uid uint32, master, replica []byte) string {
		return fmt.Sprintf("ERR SYNCERROR: guid mismatch: mailbox=<%s> uid=<%d> rguid=<%s> mguid=<%s> func=<compare_one_record>",
			name, uid, g(replica), g(master))
	}
	hms := func(name string, old, new uint64) string {
		return fmt.Sprintf("NOTICE SYNCNOTICE: highestmodseq higher on replica, updating: mailbox=<%s> oldhighestmodseq=<%d> newhighestmodseq=<%d> ",
			name, old, new)
	}
	onlyReplica := func(name string, uid uint32) string {
		return fmt.Sprintf("NOTICE SYNCNOTICE: record only exists on replica: mailbox=<%s> uid=<%d> ", name, uid)
	}
	uploaded := func(uid uint32, msg []byte) string {
		return fmt.Sprintf("NOTICE trying to get already uploaded %d: %s", uid, g(msg))
	}
	return []fullUpdateCase{{
		// Two different messages at UID 3: both get new UIDs, the lower
		// GUID (here the master's) first; the replica's UID 3 is expunged.
		name: "SplitBrain", mailbox: "user.cb.SplitBrain", synced: 2,
		diverge: func(t *testing.T, r *replicaBox) { r.append(msg3OnReplica) },
		records: []rec{{1, 2, 2, "", msgFirst}, {2, 3, 3, "", msgSecond}, {3, 6, 4, `\Expunged`, msg3OnMaster},
			{4, 5, 4, "", msg3OnMaster}, {5, 7, 4, "", msg3OnReplica}},
		lastUID: 5, highestModseq: 7, fetched: []uint32{3}, expunge: []uint32{3},
		log: []string{
			mismatch("user.cb.SplitBrain", 3, msg3OnMaster, msg3OnReplica),
			mismatch("user.cb.SplitBrain", 3, msg3OnMaster, msg3OnReplica),
			uploaded(3, msg3OnReplica),
			"INFO user.cb.SplitBrain: same message appears twice 3 4",
		},
	}, {
		// The other GUID order: the replica's message first.
		name: "SplitBrainReversed", mailbox: "user.cb.Reversed", synced: 2,
		diverge: func(t *testing.T, r *replicaBox) { r.append(msg4OnMaster) },
		records: []rec{{1, 2, 2, "", msgFirst}, {2, 3, 3, "", msgSecond}, {3, 7, 4, `\Expunged`, msg4OnReplica},
			{4, 5, 4, "", msg4OnMaster}, {5, 6, 4, "", msg4OnReplica}},
		lastUID: 5, highestModseq: 7, fetched: []uint32{3}, expunge: []uint32{3},
		log: []string{
			mismatch("user.cb.Reversed", 3, msg4OnReplica, msg4OnMaster),
			mismatch("user.cb.Reversed", 3, msg4OnReplica, msg4OnMaster),
			uploaded(3, msg4OnMaster),
		},
	}, {
		// Messages above the master's LAST_UID are copied back under
		// their UIDs; nothing to expunge on the replica.
		name: "ReplicaAhead", mailbox: "user.cb", synced: 2,
		diverge: func(t *testing.T, r *replicaBox) { r.append(msg5Replica); r.append(msg6Replica) },
		records: []rec{{1, 2, 2, "", msgFirst}, {2, 3, 3, "", msgSecond}, {3, 7, 4, "", msg5Replica},
			{4, 8, 5, "", msg6Replica}},
		lastUID: 4, highestModseq: 8, fetched: []uint32{3, 4},
		log: []string{
			hms("user.cb", 3, 6),
			onlyReplica("user.cb", 3), uploaded(3, msg5Replica),
			onlyReplica("user.cb", 4), uploaded(4, msg6Replica),
		},
	}, {
		// Flags changed later on the replica are taken over (a new user
		// flag gets a slot in the master's cyrus.header). make_flags's
		// static buffer shows only the last flag, and keeps it for the
		// next record without flags.
		name: "FlagsNewerOnReplica", mailbox: "user.cb", synced: 2,
		diverge: func(t *testing.T, r *replicaBox) { r.store(t, 1, index.FlagFlagged, "$Replica") },
		records: []rec{{1, 6, 2, `\Flagged $Replica`, msgFirst}, {2, 3, 3, "", msgSecond}},
		lastUID: 2, highestModseq: 6,
		log: []string{
			hms("user.cb", 3, 5),
			"NOTICE SYNCNOTICE: record mismatch with replica: user.cb more recent on replica",
			"NOTICE SYNCNOTICE: master uid:1 modseq:2 last_updated:T internaldate:T flags:() cid:0000000000000000",
			"NOTICE SYNCNOTICE: replica uid:1 modseq:4 last_updated:T internaldate:T flags:( $Replica) cid:0000000000000000",
			"NOTICE SYNCNOTICE: record mismatch with replica: user.cb more recent on replica",
			"NOTICE SYNCNOTICE: master uid:1 modseq:2 last_updated:T internaldate:T flags:( $Replica) cid:0000000000000000",
			"NOTICE SYNCNOTICE: replica uid:1 modseq:4 last_updated:T internaldate:T flags:( $Replica) cid:0000000000000000",
		},
	}, {
		// An expunge on the replica is taken over (the replica's \Deleted
		// is not: compare_one_record only sets \Expunged).
		name: "ExpungedOnReplica", mailbox: "user.cb", synced: 2,
		diverge: func(t *testing.T, r *replicaBox) { r.expunge(t, 2) },
		records: []rec{{1, 2, 2, "", msgFirst}, {2, 7, 3, `\Expunged`, msgSecond}},
		lastUID: 2, highestModseq: 7,
		log: []string{hms("user.cb", 3, 6)},
	}, {
		// The master's UID 3 is one the replica used for another message
		// (a split brain), and the replica has UID 4 too: 4 is copied
		// back as it is, then both UID 3s get new UIDs.
		name: "MasterOnlyBelowReplicaUIDs", mailbox: "user.cb.MasterOnly", synced: 2,
		diverge: func(t *testing.T, r *replicaBox) { r.append(msg7Replica); r.append(msg8Replica) },
		records: []rec{{1, 2, 2, "", msgFirst}, {2, 3, 3, "", msgSecond}, {3, 9, 4, `\Expunged`, msg9Master},
			{4, 7, 5, "", msg8Replica}, {5, 8, 4, "", msg9Master}, {6, 10, 4, "", msg7Replica}},
		lastUID: 6, highestModseq: 10, fetched: []uint32{3, 4}, expunge: []uint32{3},
		log: []string{
			hms("user.cb.MasterOnly", 4, 6),
			mismatch("user.cb.MasterOnly", 3, msg9Master, msg7Replica),
			mismatch("user.cb.MasterOnly", 3, msg9Master, msg7Replica),
			uploaded(3, msg7Replica),
			onlyReplica("user.cb.MasterOnly", 4), uploaded(4, msg8Replica),
		},
	}, {
		// The replica used UIDs 3 and 4 and purged them: the master's UID
		// 3, below the replica's LAST_UID, is renumbered past it.
		name: "MasterOnlyBelowReplicaLastUID", mailbox: "user.cb.MasterOnly", synced: 2,
		diverge: func(t *testing.T, r *replicaBox) {
			r.append(msg7Replica)
			r.append(msg8Replica)
			r.expunge(t, 3)
			r.expunge(t, 4)
			r.purge()
		},
		records: []rec{{1, 2, 2, "", msgFirst}, {2, 3, 3, "", msgSecond}, {3, 12, 4, `\Expunged`, msg9Master},
			{5, 11, 4, "", msg9Master}},
		lastUID: 5, highestModseq: 12,
		log: []string{
			hms("user.cb.MasterOnly", 4, 10),
			"INFO user.cb.MasterOnly: same message appears twice 3 5",
		},
	}, {
		// The replica has UID 4 but no UID 3 (purged there): the master's
		// UID 3 exists only on the master and is renumbered after the
		// replica's 4 is copied back.
		name: "RecordOnlyOnMaster", mailbox: "user.cb.SplitBrain", synced: 2,
		diverge: func(t *testing.T, r *replicaBox) {
			r.append(msg10Replica)
			r.append(msg11Replica)
			r.expunge(t, 3)
			r.purge()
		},
		records: []rec{{1, 2, 2, "", msgFirst}, {2, 3, 3, "", msgSecond}, {3, 11, 4, `\Expunged`, msg3OnMaster},
			{4, 9, 5, "", msg11Replica}, {5, 10, 4, "", msg3OnMaster}},
		lastUID: 5, highestModseq: 11, fetched: []uint32{4},
		log: []string{
			hms("user.cb.SplitBrain", 4, 8),
			"ERR SYNCNOTICE: record only exists on master: mailbox=<user.cb.SplitBrain> uid=<3> guid=<" + g(msg3OnMaster) +
				"> func=<mailbox_update_loop>",
			"ERR SYNCNOTICE: record only exists on master: mailbox=<user.cb.SplitBrain> uid=<3> guid=<" + g(msg3OnMaster) +
				"> func=<mailbox_update_loop>",
			onlyReplica("user.cb.SplitBrain", 4), uploaded(4, msg11Replica),
		},
	}, {
		// The master's UID 3 is above the replica's LAST_UID but its
		// modseq is not above the replica's HIGHESTMODSEQ (changes on the
		// replica since purged): it gets a new modseq, so that the next
		// APPLY MAILBOX carries it.
		name: "BumpModseq", mailbox: "user.cb.SplitBrain", synced: 2,
		diverge: func(t *testing.T, r *replicaBox) { r.m.HighestModseq = 10 },
		records: []rec{{1, 2, 2, "", msgFirst}, {2, 3, 3, "", msgSecond}, {3, 12, 4, "", msg3OnMaster}},
		lastUID: 3, highestModseq: 12,
		log: []string{
			hms("user.cb.SplitBrain", 4, 11),
			"NOTICE SYNCNOTICE: bumping modseq: mailbox=<user.cb.SplitBrain> record=<3> ",
		},
	}}
}

// timeFields hides times in log lines (last_updated, internaldate).
var timeFields = regexp.MustCompile(`(last_updated|internaldate):\d+`)

// TestFullUpdate runs the full update of each case against a replica
// played from scripted state, on a copy of the Cyrus-made master spool,
// and checks the master's records, what was asked of and sent to the
// replica, the syslog lines, and that the spool is still sound.
func TestFullUpdate(t *testing.T) {
	for _, c := range fullUpdateCases() {
		t.Run(c.name, func(t *testing.T) {
			ms := newMasterSpool(t)
			before := ms.snapshot(t, c.mailbox)
			r := syncedReplica(before, c.synced)
			c.diverge(t, r)
			fake := newFakeReplica(r)
			s, logs := newFullUpdateSyncer(ms, connectReplica(t, fake))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.fullUpdate(ctx, c.mailbox); err != nil {
				t.Fatalf("fullUpdate: %v\nlog:\n%s", err, strings.Join(logs.lines, "\n"))
			}

			idx := checkMailbox(t, ms, c.mailbox)
			after := ms.snapshot(t, c.mailbox)
			var got, want []string
			for _, r := range after.Records {
				got = append(got, fmt.Sprintf("uid=%d modseq=%d createdmodseq=%d flags=(%s) %s", r.UID, r.Modseq,
					r.CreatedModseq, strings.Join(r.FlagNames(), " "), label(r.GUID)))
			}
			for _, r := range c.records {
				want = append(want, r.String())
			}
			if !slices.Equal(got, want) {
				t.Errorf("master records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			h := idx.Header
			exists := 0
			for _, r := range c.records {
				if !strings.Contains(r.flags, `\Expunged`) {
					exists++
				}
			}
			if h.LastUID != c.lastUID || h.HighestModseq != c.highestModseq || h.Exists != uint32(exists) ||
				h.UIDValidity != before.UIDValidity {
				t.Errorf("master header: LAST_UID %d HIGHESTMODSEQ %d EXISTS %d UIDVALIDITY %d, want %d %d %d %d",
					h.LastUID, h.HighestModseq, h.Exists, h.UIDValidity, c.lastUID, c.highestModseq, exists, before.UIDValidity)
			}

			if !slices.Equal(fake.fetched, c.fetched) {
				t.Errorf("GET FETCH of UIDs %v, want %v", fake.fetched, c.fetched)
			}
			switch {
			case c.expunge == nil && len(fake.expunges) > 0:
				t.Errorf("APPLY EXPUNGE %+v sent, want none", fake.expunges[0])
			case c.expunge != nil && (len(fake.expunges) != 1 || fake.expunges[0].MboxName != c.mailbox ||
				fake.expunges[0].UniqueID != before.UniqueID || !slices.Equal(fake.expunges[0].UIDs, c.expunge)):
				t.Errorf("APPLY EXPUNGE %+v, want one of UIDs %v for %s %s", fake.expunges, c.expunge, c.mailbox, before.UniqueID)
			}
			if len(fake.others) > 0 {
				t.Errorf("other commands sent: %v", fake.others)
			}
			var lines []string
			for _, l := range logs.lines {
				lines = append(lines, timeFields.ReplaceAllString(l, "$1:T"))
			}
			if !slices.Equal(lines, c.log) {
				t.Errorf("syslog:\n%s\nwant (Cyrus's):\n%s", strings.Join(lines, "\n"), strings.Join(c.log, "\n"))
			}
			// mailbox_unlock_index logs the changed mailbox to the sync log
			b, err := os.ReadFile(filepath.Join(ms.dir, "conf", "sync", "log"))
			if err != nil || string(b) != "MAILBOX "+c.mailbox+"\n" {
				t.Errorf("sync log: %q %v", b, err)
			}
			checkQuota(t, ms)
		})
	}
}

// TestFullUpdateRefusesAnnotations: a message annotation only the replica
// has would have to be written to cyrus.annotations, which our spool
// writer cannot do: the update stops in the dry pass with an error naming
// the mailbox and UID, before any record changes, fetches or expunges.
// What was taken over before the records are compared (the replica's
// higher HIGHESTMODSEQ) is committed, as Cyrus's mailbox_close commits it.
func TestFullUpdateRefusesAnnotations(t *testing.T) {
	ms := newMasterSpool(t)
	before := ms.snapshot(t, "user.cb")
	r := syncedReplica(before, 2)
	r.store(t, 2, 0)
	rec := r.record(t, 2)
	rec.Annotations = []spool.Annotation{{UID: 2, Entry: "/comment", Value: []byte("replica's"), Modseq: rec.Modseq}}
	fake := newFakeReplica(r)
	s, logs := newFullUpdateSyncer(ms, connectReplica(t, fake))
	err := s.fullUpdate(context.Background(), "user.cb")
	if !errors.Is(err, spool.ErrUnsupported) || !strings.Contains(err.Error(), "user.cb uid 2") {
		t.Fatalf("fullUpdate: %v, want a refusal naming user.cb uid 2", err)
	}
	checkMailbox(t, ms, "user.cb")
	after := ms.snapshot(t, "user.cb")
	if !slices.EqualFunc(after.Records, before.Records, func(a, b spool.Record) bool {
		return a.UID == b.UID && a.Modseq == b.Modseq && a.System == b.System && a.GUID == b.GUID
	}) {
		t.Errorf("records changed: %+v", after.Records)
	}
	if after.HighestModseq != 5 {
		t.Errorf("HIGHESTMODSEQ %d, want the replica's 4 + 1", after.HighestModseq)
	}
	if len(fake.fetched) > 0 || len(fake.expunges) > 0 || len(fake.others) > 0 {
		t.Errorf("sent to the replica: fetch %v expunge %v other %v", fake.fetched, fake.expunges, fake.others)
	}
	want := "ERR SYNCNOTICE: failed to prepare update: mailbox=<user.cb> error=<"
	if len(logs.lines) != 2 || !strings.HasPrefix(logs.lines[1], want) {
		t.Errorf("syslog:\n%s\nwant a highestmodseq line, then %s…", strings.Join(logs.lines, "\n"), want)
	}
	checkQuota(t, ms)
}

// checkMailbox checks that the mailbox still reads as Cyrus would read
// it: cyrus.index parses (spool/index), cyrus.header's CRC is the one the
// index names (the writer opens it again), every record's message file has
// its GUID and size, and its cyrus.cache entry its CRC.
func checkMailbox(t *testing.T, ms *masterSpool, name string) *index.Index {
	t.Helper()
	w, err := ms.sp.OpenMailboxWriter(context.Background(), name)
	if err != nil {
		t.Fatalf("open %s again: %v", name, err)
	}
	w.Abort()
	e, err := ms.sp.LookupName(name)
	if err != nil {
		t.Fatal(err)
	}
	ipath, _ := ms.sp.MetaPath(e, spool.MetaIndex)
	idx, err := index.ReadFile(ipath)
	if err != nil {
		t.Fatalf("cyrus.index after the update: %v", err)
	}
	cpath, _ := ms.sp.MetaPath(e, spool.MetaCache)
	cacheFile, err := os.ReadFile(cpath)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range idx.Records {
		path, _ := ms.sp.MessagePath(e, r.UID, false)
		body, err := os.ReadFile(path)
		if err != nil || guid.Sum(body) != r.GUID || uint64(len(body)) != r.Size {
			t.Errorf("uid %d: message file %s: %d bytes, GUID %s, %v; record: %d bytes, GUID %s",
				r.UID, path, len(body), guid.Sum(body), err, r.Size, r.GUID)
		}
		if n := cacheEntryLen(cacheFile, r.CacheOffset); n == 0 ||
			crc32.ChecksumIEEE(cacheFile[r.CacheOffset:r.CacheOffset+n]) != r.CacheCRC {
			t.Errorf("uid %d: no cache entry with CRC %08x at %d in %s", r.UID, r.CacheCRC, r.CacheOffset, cpath)
		}
	}
	return idx
}

// cacheEntryLen is the length of the cyrus.cache entry at off, 0 if
// there is none.
func cacheEntryLen(b []byte, off uint64) uint64 {
	if off >= uint64(len(b)) {
		return 0
	}
	if _, err := cache.Items(b[off:]); err != nil {
		return 0
	}
	n := uint64(0)
	for range cache.NumItems {
		l := uint64(binary.BigEndian.Uint32(b[off+n:]))
		n += 4 + (l+3)&^3
	}
	return min(n, uint64(len(b))-off)
}

// checkQuota checks the quota root's usage against its mailboxes'
// indexes, as `quota -f` would.
func checkQuota(t *testing.T, ms *masterSpool) {
	t.Helper()
	var storage, messages int64
	for _, name := range fixtureMailboxes {
		h := ms.snapshot(t, name).IndexHeader
		storage += int64(h.QuotaMailboxUsed)
		messages += int64(h.Exists)
	}
	q, err := ms.sp.Quota("user.cb")
	if err != nil {
		t.Fatal(err)
	}
	if q.Used[spool.ResStorage] != storage || q.Used[spool.ResMessage] != messages {
		t.Errorf("quota user.cb: %v used, mailboxes hold %d bytes in %d messages", q.Used, storage, messages)
	}
}
