package syncclient

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// scriptedReplica answers APPLY MAILBOX OK except for the mailboxes in
// fail, which get NO IMAP_SYNC_CHECKSUM that many times; GET MAILBOXES
// finds nothing, GET FULLMAILBOX is refused. It records the commands in
// the order it processed them.
type scriptedReplica struct {
	mu   sync.Mutex
	fail map[string]int
	cmds []string
}

func (r *scriptedReplica) Command(_ context.Context, _ *protocol.Session, verb, key string, arg dlist.Value) ([]protocol.Item, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name, _ := arg.GetString("MBOXNAME")
	if name == "" {
		name = arg.Text()
		if items := arg.Items(); len(items) > 0 {
			name = items[0].Text()
		}
	}
	r.cmds = append(r.cmds, verb+" "+key+" "+name)
	switch verb + " " + key {
	case "APPLY MAILBOX":
		if r.fail[name] > 0 {
			r.fail[name]--
			return nil, &protocol.RemoteError{Code: protocol.CodeSyncChecksum, Text: "IMAP_SYNC_CHECKSUM Checksum Failure"}
		}
		return nil, nil
	case "GET MAILBOXES":
		return nil, nil
	}
	return nil, &protocol.RemoteError{Code: protocol.CodeMailboxNonexistent, Text: protocol.StatusText(protocol.CodeMailboxNonexistent)}
}
func (r *scriptedReplica) Files(*protocol.Session) dlist.FileFunc { return nil }
func (r *scriptedReplica) Restart(*protocol.Session)              {}

// TestPipelinedUpdates: with pipelining the mailboxes' APPLY MAILBOX go
// back to back; a CRC failure of one is retried (GET MAILBOXES, APPLY
// MAILBOX again) once the replies to the others are read, with the same
// syslog lines as one at a time; a mailbox that fails for good ends the
// folders with do_folders' line, every reply read, the session usable.
func TestPipelinedUpdates(t *testing.T) {
	a, b, c, d := fixtureMailboxes[0], fixtureMailboxes[1], fixtureMailboxes[2], fixtureMailboxes[3]
	for _, tc := range []struct {
		name     string
		pipeline int
		fail     map[string]int
		wantErr  bool
		cmds     []string
		log      []string
	}{
		{name: "one-at-a-time", pipeline: 1, fail: map[string]int{b: 1},
			cmds: []string{"APPLY MAILBOX " + a, "APPLY MAILBOX " + b, "GET MAILBOXES " + b, "APPLY MAILBOX " + b,
				"APPLY MAILBOX " + c, "APPLY MAILBOX " + d},
			log: []string{"ERR MAILBOX received NO response: IMAP_SYNC_CHECKSUM Checksum Failure",
				"NOTICE SYNC_NOTICE: CRC failure on sync " + b + ", recalculating counts and trying again"}},
		{name: "pipelined", pipeline: 32, fail: map[string]int{b: 1},
			cmds: []string{"APPLY MAILBOX " + a, "APPLY MAILBOX " + b, "APPLY MAILBOX " + c, "APPLY MAILBOX " + d,
				"GET MAILBOXES " + b, "APPLY MAILBOX " + b},
			log: []string{"ERR MAILBOX received NO response: IMAP_SYNC_CHECKSUM Checksum Failure",
				"NOTICE SYNC_NOTICE: CRC failure on sync " + b + ", recalculating counts and trying again"}},
		{name: "pipelined-window-2", pipeline: 2, fail: map[string]int{a: 1, c: 1},
			cmds: []string{"APPLY MAILBOX " + a, "APPLY MAILBOX " + b, "GET MAILBOXES " + a, "APPLY MAILBOX " + a,
				"APPLY MAILBOX " + c, "APPLY MAILBOX " + d, "GET MAILBOXES " + c, "APPLY MAILBOX " + c},
			log: []string{"ERR MAILBOX received NO response: IMAP_SYNC_CHECKSUM Checksum Failure",
				"NOTICE SYNC_NOTICE: CRC failure on sync " + a + ", recalculating counts and trying again",
				"ERR MAILBOX received NO response: IMAP_SYNC_CHECKSUM Checksum Failure",
				"NOTICE SYNC_NOTICE: CRC failure on sync " + c + ", recalculating counts and trying again"}},
		{name: "pipelined-fails", pipeline: 32, fail: map[string]int{b: 2}, wantErr: true,
			cmds: []string{"APPLY MAILBOX " + a, "APPLY MAILBOX " + b, "APPLY MAILBOX " + c, "APPLY MAILBOX " + d,
				"GET MAILBOXES " + b, "APPLY MAILBOX " + b, "GET FULLMAILBOX " + b},
			log: []string{"ERR MAILBOX received NO response: IMAP_SYNC_CHECKSUM Checksum Failure",
				"NOTICE SYNC_NOTICE: CRC failure on sync " + b + ", recalculating counts and trying again",
				"ERR MAILBOX received NO response: IMAP_SYNC_CHECKSUM Checksum Failure",
				"ERR CRC failure on sync for " + b + ", trying full update",
				"ERR FULLMAILBOX received NO response: " + protocol.StatusText(protocol.CodeMailboxNonexistent),
				"ERR do_folders(): update failed: " + b + " 'Mailbox does not exist'"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := newMasterSpool(t)
			r := &scriptedReplica{fail: tc.fail}
			cl := connectReplica(t, r)
			s, logs := newFullUpdateSyncer(ms, cl)
			s.o.Pipeline = tc.pipeline
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			folders, err := s.loadFolders(ctx, fixtureMailboxes)
			if err != nil {
				t.Fatal(err)
			}
			up := uploads{}
			for _, lf := range folders {
				for _, rec := range lf.mbox.Records {
					up.set(s.targetPartition(lf.mbox.Partition), rec.GUID, false) // on the replica already
				}
			}
			err = s.updateFolders(ctx, folders, map[string]*protocol.Mailbox{}, up)
			if (err != nil) != tc.wantErr {
				t.Errorf("updateFolders: %v", err)
			}
			if cl.InFlight() != 0 {
				t.Errorf("%d replies unread", cl.InFlight())
			}
			if err := cl.Noop(ctx); err != nil {
				t.Errorf("NOOP after the updates: %v", err)
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if !slices.Equal(r.cmds, tc.cmds) {
				t.Errorf("replica got:\n%s\nwant:\n%s", strings.Join(r.cmds, "\n"), strings.Join(tc.cmds, "\n"))
			}
			if !slices.Equal(logs.lines, tc.log) {
				t.Errorf("syslog:\n%s\nwant:\n%s", strings.Join(logs.lines, "\n"), strings.Join(tc.log, "\n"))
			}
		})
	}
}
