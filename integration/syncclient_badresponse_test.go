package integration

import (
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// TestSyncClientBadResponseLikeCyrus: replicas whose disk is "full" for
// one message (debug_writefail_guid, as Cassandane's appendone_diskfull,
// appendmulti_diskfull and syncall_failinguser set it) answer its upload
// with BAD. Two pairs populated alike, one replicated by Cyrus's
// sync_client, the other by ours: -A with the message in one user's
// mailbox among others (that user fails, the users before and after it
// are replicated), then -u of that user alone with more messages around
// it. Both clients must exit alike, print the same -v lines and log the
// same syslog lines — "IOERROR: received bad response: command=<MESSAGE>
// response=<BAD> errmsg=<…>" among them.
func TestSyncClientBadResponseLikeCyrus(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	canary := []byte("From: Fred J. Bloggs <fbloggs@example.org>\r\nTo: s@example.org\r\n" +
		"Subject: this is just to say\r\nMessage-ID: <canary@cyrepl.test>\r\n\r\nI have eaten the canary\r\n")
	users := []string{"a_early", "mid", "z_late"}
	cyrus, ours := NewPair(t), NewPair(t)
	for _, p := range []*Pair{cyrus, ours} {
		p.Replica.Stop()
		p.Replica.Extra = append(p.Replica.Extra, "debug_writefail_guid: "+guid.Sum(canary).String())
		p.Replica.WriteConfigs(t)
		p.Replica.Start(t)
		for _, u := range users {
			p.AddUser(t, u)
			p.Master.Deliver(t, u, 1)
		}
	}
	both := func(wantCode int, args ...string) {
		t.Helper()
		c, _, ol := syncLikeCyrus(t, sl, func() Result { return cyrus.CyrusSync(t, args...) },
			func() Result { return ours.OurSync(t, args...) })
		if c.Code != wantCode {
			t.Errorf("Cyrus's sync_client %q: exit %d, want %d\n%s", args, c.Code, wantCode, c.Stderr)
		}
		var bad int
		for _, l := range ol {
			if strings.HasPrefix(l.Msg, "IOERROR: received bad response: command=<MESSAGE> response=<BAD> ") {
				bad++
			}
		}
		if wantCode != 0 && bad != 1 {
			t.Errorf("ours %q logged %d 'received bad response' lines, want 1", args, bad)
		}
	}
	both(0, "-v", "-l", "-A")
	for _, p := range []*Pair{cyrus, ours} {
		for _, u := range users {
			p.Master.Deliver(t, u, 1)
		}
		// appended as it is (lmtpd would add headers: another GUID)
		multiAppend(t, p.Master, "mid", "INBOX", [][]byte{canary})
	}
	// syncall_failinguser: mid fails, a_early and z_late are replicated.
	both(1, "-v", "-l", "-A")
	for _, p := range []*Pair{cyrus, ours} {
		for _, u := range []string{"a_early", "z_late"} {
			SameUser(t, p.Master, p.Replica, u)
		}
	}
	// appendmulti_diskfull: the message among others, one user.
	for _, p := range []*Pair{cyrus, ours} {
		p.Master.Deliver(t, "mid", 2)
		multiAppend(t, p.Master, "mid", "INBOX", [][]byte{canary})
		p.Master.Deliver(t, "mid", 1)
	}
	both(1, "-v", "-l", "-u", "mid")
}
