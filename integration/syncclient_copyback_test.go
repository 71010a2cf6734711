package integration

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// put appends one fixed message to user's INBOX over IMAP: stored as
// given (LMTP would add headers with times in them).
func put(t *testing.T, in *Instance, user string, msg string) {
	t.Helper()
	multiAppend(t, in, user, "INBOX", [][]byte{[]byte(msg)})
}

// fixedMessage is message i of the copy-back scenarios: the same bytes on
// every run, so that GUIDs (and Cyrus's GUID-ordered decisions) are equal
// between the pair Cyrus repairs and the pair we repair.
func fixedMessage(i int, note string) string {
	return fmt.Sprintf("From: Sender <sender@example.org>\r\nTo: cb@example.org\r\nSubject: copy back %d %s\r\n"+
		"Message-ID: <cb.%d@cyrepl.test>\r\nDate: Mon, 23 Nov 2026 12:00:0%d +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nbody %d: %s\r\n", i, note, i, i%10, i, note)
}

// copyBackCase is one divergence of the replica from the master that a
// full update must reconcile by writing the master.
type copyBackCase struct {
	name string
	// diverge makes the two sides differ after an initial sync of
	// messages 1 and 2.
	diverge func(t *testing.T, p *Pair, user string)
}

var copyBackCases = []copyBackCase{
	{"SplitBrain", func(t *testing.T, p *Pair, user string) {
		put(t, p.Master, user, fixedMessage(3, "on the master"))
		put(t, p.Replica, user, fixedMessage(3, "on the replica"))
	}},
	{"SplitBrainReversed", func(t *testing.T, p *Pair, user string) {
		// the other GUID order: Cyrus renumbers the lower GUID first
		put(t, p.Master, user, fixedMessage(4, "on the replica"))
		put(t, p.Replica, user, fixedMessage(4, "on the master"))
	}},
	{"ReplicaAhead", func(t *testing.T, p *Pair, user string) {
		put(t, p.Replica, user, fixedMessage(5, "replica only"))
		put(t, p.Replica, user, fixedMessage(6, "replica only"))
	}},
	{"FlagsNewerOnReplica", func(t *testing.T, p *Pair, user string) {
		rawIMAP(t, p.Replica, user, UserPassword, "SELECT INBOX", `UID STORE 1 +FLAGS (\Flagged $Replica)`)
	}},
	{"ExpungedOnReplica", func(t *testing.T, p *Pair, user string) {
		rawIMAP(t, p.Replica, user, UserPassword, "SELECT INBOX", `UID STORE 2 +FLAGS (\Deleted)`, "EXPUNGE")
	}},
	{"MasterOnlyBelowReplicaUIDs", func(t *testing.T, p *Pair, user string) {
		// the replica gets two messages, the master one: the master's
		// UID 3 is one the replica has already used
		put(t, p.Replica, user, fixedMessage(7, "replica"))
		put(t, p.Replica, user, fixedMessage(8, "replica"))
		put(t, p.Master, user, fixedMessage(9, "master"))
	}},
}

// TestSyncClientCopyBack: for each divergence and each transport, one pair is repaired by
// Cyrus's sync_client and another, brought into the same state, by ours.
// Each side of each pair must then agree over IMAP, Cyrus's check tools
// must find the master (which the repair wrote) and the replica healthy,
// Cyrus's sync_client must find nothing more to send, and the master's
// messages (UIDs, flags, bodies) and the syslog lines of the repair must
// be the same under ours as under Cyrus's.
func TestSyncClientCopyBack(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	for _, channel := range []string{"csync", "imap"} {
		for _, c := range copyBackCases {
			t.Run(channel+"/"+c.name, func(t *testing.T) {
				theirs, theirLog := copyBackRun(t, sl, c, channel, false)
				ours, ourLog := copyBackRun(t, sl, c, channel, true)
				if ours != theirs {
					t.Errorf("master after ours differs from master after Cyrus's:\n--- Cyrus\n%s--- ours\n%s", theirs, ours)
				}
				if strings.Join(ourLog, "\n") != strings.Join(theirLog, "\n") {
					t.Errorf("syslog differs:\n--- Cyrus\n%s\n--- ours\n%s", strings.Join(theirLog, "\n"), strings.Join(ourLog, "\n"))
				}
			})
		}
	}
}

// copyBackRun sets up a pair in c's state, repairs it with ours or
// Cyrus's sync_client -u and returns the master's messages and the
// normalised syslog lines of the repair.
func copyBackRun(t *testing.T, sl *Syslog, c copyBackCase, channel string, ours bool) (string, []string) {
	t.Helper()
	p := NewPair(t)
	user := "cb"
	p.AddUser(t, user)
	// a quota root, so that the repair's change of usage shows in
	// `quota -f` (which prints what it has to correct)
	a := p.Master.IMAP(t, AdminUser, AdminPassword)
	limits := map[imap.QuotaResourceType]int64{imap.QuotaResourceStorage: 100000, imap.QuotaResourceMessage: 1000}
	if err := a.SetQuota("user/"+user, limits).Wait(); err != nil {
		t.Fatalf("setquota: %v", err)
	}
	put(t, p.Master, user, fixedMessage(1, "first"))
	put(t, p.Master, user, fixedMessage(2, "second"))
	if res := p.CyrusSync(t, "-u", user); res.Code != 0 {
		t.Fatalf("initial sync: exit %d %s", res.Code, res.Stderr)
	}
	c.diverge(t, p, user)
	sl.Take("sync_client")
	var res Result
	if ours {
		res = p.OurSync(t, "-n", channel, "-u", user)
	} else {
		res = p.CyrusSync(t, "-n", channel, "-u", user)
	}
	logs := sl.Take("sync_client")
	who := map[bool]string{true: "ours", false: "Cyrus's"}[ours]
	if res.Code != 0 {
		t.Errorf("%s sync_client: exit %d\n%s%s", who, res.Code, res.Stdout, res.Stderr)
	}
	SameUser(t, p.Master, p.Replica, user)
	p.Master.Healthy(t, user)
	p.CyrusHasNothingToSend(t, "-n", channel, "-u", user)
	var lines []string
	for _, l := range logs {
		lines = append(lines, normaliseSyncLog(l.Msg))
	}
	view := messagesOnly(p.Master.DumpUser(t, user))
	q := p.Master.Tool(t, "quota", "-f")
	return view + "quota -f:\n" + q.Stdout + q.Stderr, lines
}

var (
	timeFields  = regexp.MustCompile(`(last_updated|internaldate):\d+`)
	sysError    = regexp.MustCompile(` syserror=<[^>]*>`)
	folderStats = regexp.MustCompile(` (uidvalidity|highestmodseq)=\d+`)
	dumpDates   = regexp.MustCompile(` internaldate=\S+`)
)

// normaliseSyncLog hides the times a repair logs (they differ between the
// two pairs; everything else — UIDs, GUIDs, modseqs — does not) and the
// syserror=<…> Cyrus's xsyslog appends whenever errno happens to be set
// by something earlier (a documented difference: we never add it).
func normaliseSyncLog(s string) string {
	return sysError.ReplaceAllString(timeFields.ReplaceAllString(s, "$1:T"), "")
}

// messagesOnly drops from a DumpUser what differs between two pairs that
// went through the same steps at different times.
func messagesOnly(dump string) string {
	return dumpDates.ReplaceAllString(folderStats.ReplaceAllString(dump, ""), "")
}
