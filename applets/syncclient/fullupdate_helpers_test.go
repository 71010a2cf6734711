package syncclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/internal/fixture"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// fixtureMessage is integration/syncclient_copyback_test.go's
// fixedMessage: the same bytes, so that GUIDs (and the GUID-ordered
// decisions of a split brain) are those of that test's Cyrus runs.
// testdata/mkfixture.sh appended these to the fixture's mailboxes.
func fixtureMessage(i int, note string) []byte {
	return fmt.Appendf(nil, "From: Sender <sender@example.org>\r\nTo: cb@example.org\r\nSubject: copy back %d %s\r\n"+
		"Message-ID: <cb.%d@cyrepl.test>\r\nDate: Mon, 23 Nov 2026 12:00:0%d +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nbody %d: %s\r\n", i, note, i, i%10, i, note)
}

// masterSpool is a copy of testdata/master, the spool Cyrus made (see
// testdata/mkfixture.sh), with sync_log on.
type masterSpool struct {
	dir string
	cfg *conf.Config
	sp  *spool.Spool
}

func newMasterSpool(t *testing.T) *masterSpool {
	t.Helper()
	src := filepath.Join("testdata", "master")
	dir := filepath.Join(t.TempDir(), "master")
	fixture.CopySpool(t, src, dir, "sync_log: 1")
	cfg, err := conf.Load(filepath.Join(dir, "imapd.conf"), "sync_client", 0)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &masterSpool{dir: dir, cfg: cfg, sp: sp}
}

// snapshot reads a mailbox of the fixture.
func (m *masterSpool) snapshot(t *testing.T, name string) *spool.Mailbox {
	t.Helper()
	mb, err := m.sp.Snapshot(context.Background(), name)
	if err != nil {
		t.Fatalf("snapshot %s: %v", name, err)
	}
	return mb
}

// replicaBox is the replica's copy of a mailbox as Cyrus keeps it there:
// after the initial sync the master's records, then the replica's own
// changes, each taking the next modseq as Cyrus's imapd does.
type replicaBox struct {
	m     *spool.Mailbox
	files map[guid.GUID][]byte
	// now is the time of the replica's changes: later than the master's.
	now int64
}

// syncedReplica is the replica after sync_client sent the master's
// records up to uid last: the same records, LAST_UID last and the
// HIGHESTMODSEQ the master had then.
func syncedReplica(master *spool.Mailbox, last uint32) *replicaBox {
	m := *master
	m.Records = nil
	m.HighestModseq = 0
	r := &replicaBox{m: &m, files: map[guid.GUID][]byte{}}
	for _, rec := range master.Records {
		r.now = max(r.now, rec.LastUpdated+1)
		if rec.UID > last {
			continue
		}
		m.Records = append(m.Records, rec)
		m.HighestModseq = max(m.HighestModseq, rec.Modseq)
	}
	m.LastUID = last
	return r
}

// nextModseq is the replica taking a modseq for a change.
func (r *replicaBox) nextModseq() uint64 {
	r.m.HighestModseq++
	return r.m.HighestModseq
}

// record returns the replica's record of uid.
func (r *replicaBox) record(t *testing.T, uid uint32) *spool.Record {
	t.Helper()
	for i := range r.m.Records {
		if r.m.Records[i].UID == uid {
			return &r.m.Records[i]
		}
	}
	t.Fatalf("replica has no uid %d", uid)
	return nil
}

// append is an IMAP APPEND on the replica.
func (r *replicaBox) append(body []byte) {
	r.m.LastUID++
	ms := r.nextModseq()
	g := guid.Sum(body)
	r.files[g] = body
	r.m.Records = append(r.m.Records, spool.Record{UID: r.m.LastUID, Modseq: ms, LastUpdated: r.now,
		InternalDate: r.now, Size: uint64(len(body)), GUID: g, SaveDate: r.now, CreatedModseq: ms})
}

// store is a UID STORE +FLAGS on the replica.
func (r *replicaBox) store(t *testing.T, uid uint32, system spool.Flags, user ...string) {
	rec := r.record(t, uid)
	rec.System |= system
	rec.UserFlags = append(slices.Clip(rec.UserFlags), user...)
	rec.Modseq, rec.LastUpdated = r.nextModseq(), r.now
}

// expunge is UID STORE +FLAGS (\Deleted) then EXPUNGE on the replica.
func (r *replicaBox) expunge(t *testing.T, uid uint32) {
	r.store(t, uid, index.FlagDeleted)
	rec := r.record(t, uid)
	rec.System |= index.FlagExpunged
	rec.Modseq = r.nextModseq()
}

// purge drops the expunged records, as cyr_expire does on the replica.
func (r *replicaBox) purge() {
	r.m.Records = slices.DeleteFunc(r.m.Records, func(rec spool.Record) bool { return rec.Expunged() })
}

// fakeReplica plays the replica's sync_server from a replicaBox: GET
// FULLMAILBOX, GET FETCH and APPLY EXPUNGE; anything else is refused.
type fakeReplica struct {
	box *protocol.Mailbox
	// files are the message files by GUID.
	files map[guid.GUID][]byte

	mu sync.Mutex
	// fetched are the UIDs GET FETCH asked for, expunges the APPLY
	// EXPUNGEs, others every other command.
	fetched  []uint32
	expunges []*protocol.ApplyExpunge
	others   []string
}

func newFakeReplica(r *replicaBox) *fakeReplica {
	return &fakeReplica{box: protocol.MailboxFromSpool(r.m, true), files: r.files}
}

func (f *fakeReplica) Command(_ context.Context, _ *protocol.Session, verb, key string, arg dlist.Value) ([]protocol.Item, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	nonexistent := &protocol.RemoteError{Code: protocol.CodeMailboxNonexistent,
		Text: protocol.StatusText(protocol.CodeMailboxNonexistent)}
	switch verb + " " + key {
	case "GET FULLMAILBOX":
		g, err := protocol.ParseGetFullMailbox(arg)
		if err != nil {
			return nil, err
		}
		if g.Name != f.box.Name {
			return nil, nonexistent
		}
		return []protocol.Item{{Key: "MAILBOX", Value: f.box.Value()}}, nil
	case "GET FETCH":
		g, err := protocol.ParseGetFetch(arg)
		if err != nil {
			return nil, err
		}
		f.fetched = append(f.fetched, g.UID)
		body := f.files[g.GUID]
		if g.MboxName != f.box.Name || g.UniqueID != f.box.UniqueID || body == nil ||
			!slices.ContainsFunc(f.box.Records, func(r protocol.Record) bool { return r.UID == g.UID && r.GUID == g.GUID }) {
			return nil, nonexistent
		}
		m := &protocol.Message{Partition: g.Partition, GUID: g.GUID, Size: int64(len(body)), Body: strings.NewReader(string(body))}
		return []protocol.Item{{Key: "MESSAGE", Value: m.Value()}}, nil
	case "APPLY EXPUNGE":
		a, err := protocol.ParseApplyExpunge(arg)
		if err != nil {
			return nil, err
		}
		f.expunges = append(f.expunges, a)
		return nil, nil
	}
	f.others = append(f.others, verb+" "+key)
	return nil, &protocol.RemoteError{Code: protocol.CodeProtocolError, Text: protocol.StatusText(protocol.CodeProtocolError)}
}

func (f *fakeReplica) Files(*protocol.Session) dlist.FileFunc { return nil }
func (f *fakeReplica) Restart(*protocol.Session)              {}

type testPasswords map[string]string

func (p testPasswords) CheckPassword(_ context.Context, _, user, pass string) error {
	if p[user] == "" || p[user] != pass {
		return errors.New("wrong password")
	}
	return nil
}

// connectReplica serves h on a loopback csync session and returns our
// client, logged in.
func connectReplica(t *testing.T, h protocol.Handler) *protocol.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		l.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				protocol.ServeCSync(ctx, nc, protocol.ServerOptions{ServerName: "replica.test", Admins: []string{"repl"},
					Auth: testPasswords{"repl": "secret"}, AllowPlaintext: true, Handler: h})
			}()
		}
	}()
	target, err := protocol.ParseTarget(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := protocol.Dial(ctx, protocol.ClientOptions{Target: target, AuthName: "repl", Password: "secret"})
	if err != nil {
		t.Fatalf("dial the fake replica: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// syslogLines records what the syncer logs, as "LEVEL line" with
// syslog's level names and the line as syslog gets it.
type syslogLines struct {
	mu    sync.Mutex
	lines []string
}

func (s *syslogLines) Enabled(context.Context, slog.Level) bool { return true }
func (s *syslogLines) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *syslogLines) WithGroup(string) slog.Handler            { return s }

func (s *syslogLines) Handle(_ context.Context, r slog.Record) error {
	level := map[slog.Level]string{slog.LevelError: "ERR", slog.LevelWarn: "WARNING", cyruslog.LevelNotice: "NOTICE",
		slog.LevelInfo: "INFO", slog.LevelDebug: "DEBUG"}[r.Level]
	s.mu.Lock()
	s.lines = append(s.lines, level+" "+cyruslog.Line(r))
	s.mu.Unlock()
	return nil
}

// newFullUpdateSyncer is a syncer on the master spool talking to c.
func newFullUpdateSyncer(m *masterSpool, c *protocol.Client) (*syncer, *syslogLines) {
	logs := &syslogLines{}
	log := slog.New(logs)
	return &syncer{cfg: m.cfg, ns: m.cfg.Namespace(), sp: m.sp, c: c, o: &Options{}, log: log,
		stdout: io.Discard, synclog: synclog.NewWriter(m.cfg, log)}, logs
}
