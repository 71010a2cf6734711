package integration

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// TestPipelineCyrusReplica documents what Cyrus 3.6's sync_server (csync,
// plain and DEFLATE) and imapd (SYNCAPPLY) do with commands sent before the
// reply to the previous one, as our sync_client's pipelining sends them:
//   - the replies come in command order (on IMAP each with its own tag);
//   - an APPLY MAILBOX the replica answers NO IMAP_SYNC_CHECKSUM (a LAST_UID
//     lower than the replica's) fails alone: the commands after it are
//     processed (their effects are on the replica) and answered OK;
//   - DEFLATE does not get in the way: Cyrus flushes its output before it
//     reads each command (prot_flush in cmdloop, prot_setflushonread), so
//     the replies to a window of commands arrive while more are sent.
//
// cyrus: imap/sync_server.c cmdloop, imap/imapd.c cmdloop (3.6.1)
func TestPipelineCyrusReplica(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "replica")
	in.Start(t)
	for _, u := range []string{"pipea", "pipeb"} {
		in.CreateUser(t, u)
		in.Deliver(t, u, 3)
	}
	for _, tc := range []struct {
		name       string
		port       int
		tryIMAP    bool
		noCompress bool
	}{
		{"csync", in.CSyncPort, false, true},
		{"csync-deflate", in.CSyncPort, false, false},
		{"imap", in.IMAPPort, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testPipelineCyrus(t, tc.name, tc.port, tc.tryIMAP, tc.noCompress)
		})
	}
}

func testPipelineCyrus(t *testing.T, name string, port int, tryIMAP, noCompress bool) {
	var trace bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	target, _ := protocol.ParseTarget("127.0.0.1")
	c, err := protocol.Dial(ctx, protocol.ClientOptions{Target: target, Port: itoa(port), TryIMAP: tryIMAP,
		AuthName: SyncUser, Password: SyncPassword, NoCompression: noCompress, Trace: &protocol.Tracer{W: &trace}})
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, trace.String())
	}
	defer c.Close()
	good, err := c.GetFullMailbox(ctx, "user.pipea")
	if err != nil || good == nil {
		t.Fatalf("GET FULLMAILBOX user.pipea: %v", err)
	}
	bad, err := c.GetFullMailbox(ctx, "user.pipeb")
	if err != nil || bad == nil {
		t.Fatalf("GET FULLMAILBOX user.pipeb: %v", err)
	}
	bad.LastUID = 1 // "higher last_uid on replica": IMAP_SYNC_CHECKSUM
	bad.Records = bad.Records[:1]

	type cmd struct {
		req     protocol.Request
		wantErr protocol.Code
	}
	cmds := []cmd{
		{req: &protocol.ApplyMailbox{Mailbox: good}},
		{req: &protocol.ApplyMailbox{Mailbox: bad}, wantErr: protocol.CodeSyncChecksum},
	}
	// 40 subscriptions after the failure: each must be on the replica.
	var subs []string
	for i := 0; i < 40; i++ {
		sub := fmt.Sprintf("user.pipea.%s%02d", name, i)
		subs = append(subs, sub)
		cmds = append(cmds, cmd{req: &protocol.ApplySub{UserID: "pipea", MboxName: sub}})
	}
	cmds = append(cmds, cmd{req: &protocol.ApplyMailbox{Mailbox: bad}, wantErr: protocol.CodeSyncChecksum},
		cmd{req: &protocol.ApplyMailbox{Mailbox: good}})
	var sent []*protocol.Pending
	for _, cm := range cmds {
		p, err := c.Send(ctx, cm.req, nil)
		if err != nil {
			t.Fatalf("send %s %s: %v", cm.req.Verb(), cm.req.Key(), err)
		}
		sent = append(sent, p)
	}
	for i, p := range sent {
		_, err := c.Receive(ctx, p)
		want := cmds[i].wantErr
		switch {
		case want == "" && err != nil:
			t.Errorf("command %d (%s %s): %v", i, p.Verb, p.Key, err)
		case want != "" && !errorsIsCode(err, want):
			t.Errorf("command %d (%s %s): %v, want NO %s", i, p.Verb, p.Key, err, want)
		}
	}
	if t.Failed() {
		t.Logf("trace:\n%s", trace.String())
	}
	meta, err := c.GetMeta(ctx, "pipea")
	if err != nil {
		t.Fatalf("GET META pipea: %v", err)
	}
	for _, sub := range subs {
		if meta.Subscriptions == nil || !slices.Contains(meta.Subscriptions.Names, sub) {
			t.Errorf("subscription %s sent after the failed APPLY MAILBOX is not on the replica", sub)
		}
	}
	if err := c.Noop(ctx); err != nil {
		t.Errorf("NOOP after the pipelined commands: %v", err)
	}
}
