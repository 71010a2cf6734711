package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRollingWorkers: our rolling client with --workers 4 while mail
// arrives for several users, folders are made and renamed, and a user is
// renamed (items touching two users): the replica ends up as the master,
// and the client stops cleanly, saying nothing on stderr.
func TestRollingWorkers(t *testing.T) {
	RequireCyrus(t)
	tr := newTrio(t, []string{"ours"})
	m := tr.master
	users := []string{"wka", "wkb", "wkc", "wkd", "wke", "wkf"}
	for _, u := range users {
		tr.addUser(t, u)
	}
	for _, in := range []*Instance{m, tr.replicas["ours"]} {
		in.AddSASLUser(t, "wkg", UserPassword)
	}
	c := tr.startRolling(t, tr.ours(t), "ours", "--workers", "4")
	for round := range 3 {
		for _, u := range users {
			m.Deliver(t, u, 1+round%2)
		}
	}
	create(t, m, "wka", "Work", "Old")
	copyAll(t, m, "wka", "Work")
	create(t, m, "wkb", "Lists")
	rawIMAP(t, m, "wka", UserPassword, `RENAME Old Moved`)
	rawIMAP(t, m, AdminUser, AdminPassword, "RENAME user/wkf user/wkg")
	for _, u := range users[:5] {
		m.Deliver(t, u, 1)
	}
	tr.waitIdle(t, "ours")
	tr.sameAcross(t, "wka", "wkb", "wkc", "wkd", "wke", "wkg")
	if l := strings.Join(adminList(t, tr.replicas["ours"], "user/wk*"), " "); strings.Contains(l, "user/wkf") {
		t.Errorf("the renamed user is still on the replica: %s", l)
	}
	if code := c.stop(t); code != 0 || c.stderr.String() != "" {
		t.Errorf("exit %d, stderr:\n%s", code, c.stderr.String())
	}
}

// TestRollingWorkersUserRetry: one user's INBOX on the replica made
// unreadable to Cyrus: that user fails and waits for its retry (status
// shows it, its items are back in the log) while the others replicate;
// once the mailbox is readable again it is retried and catches up.
func TestRollingWorkersUserRetry(t *testing.T) {
	RequireCyrus(t)
	sl := CatchSyslog(t)
	tr := newTrio(t, []string{"ours"})
	m := tr.master
	users := []string{"rta", "rtb", "rtc"}
	for _, u := range users {
		tr.addUser(t, u)
		m.Deliver(t, u, 1)
	}
	c := tr.startRolling(t, tr.ours(t), "ours", "--workers", "4")
	tr.waitIdle(t, "ours")
	masterIdx, replicaIdx := tr.inboxIndexes(t, users)
	dir := filepath.Dir(replicaIdx["ours"]["rtb"])
	if err := os.Chmod(dir, 0); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := os.Chmod(dir, 0o700); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(restore)
	for _, u := range users {
		m.Deliver(t, u, 2)
	}
	caughtUp := func(us ...string) bool {
		for _, u := range us {
			if indexLastUID(replicaIdx["ours"][u]) != indexLastUID(masterIdx[u]) {
				return false
			}
		}
		return true
	}
	retrying := func() []map[string]any {
		res := Run(t, nil, Ours(t), "status", "-C", m.Conf(), "-n", "ours", "--format", "json")
		var st struct {
			Channels []struct {
				Client struct {
					Retrying []map[string]any `json:"retrying"`
				} `json:"client"`
			} `json:"channels"`
		}
		if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil || len(st.Channels) != 1 {
			t.Fatalf("status: %v\n%s%s", err, res.Stdout, res.Stderr)
		}
		return st.Channels[0].Client.Retrying
	}
	var waiting []map[string]any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("rta and rtc did not catch up beside the failing rtb (waiting %v)\n%s", waiting, c.stderr.String())
		}
		if waiting = retrying(); caughtUp("rta", "rtc") && len(waiting) > 0 {
			break
		}
	}
	if len(waiting) != 1 || waiting[0]["user"] != "rtb" || waiting[0]["error"] == "" {
		t.Errorf("waiting for retry: %v", waiting)
	}
	if caughtUp("rtb") {
		t.Error("rtb replicated into an unreadable mailbox")
	}
	if text := Run(t, nil, Ours(t), "status", "-C", m.Conf(), "-n", "ours").Stdout; !strings.Contains(text, "users waiting for retry: 1\n    rtb: ") {
		t.Errorf("status:\n%s", text)
	}
	if b, _ := os.ReadFile(filepath.Join(tr.channelDir("ours"), "log")); !strings.Contains(string(b), "user.rtb") {
		t.Errorf("rtb's items are not in the log: %q", b)
	}
	if !c.running() {
		t.Fatalf("the client stopped: %s", c.stderr.String())
	}
	restore()
	for deadline := time.Now().Add(30 * time.Second); !caughtUp(users...) || len(retrying()) > 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("rtb did not recover (waiting %v)", retrying())
		}
	}
	tr.waitIdle(t, "ours")
	tr.sameAcross(t, users...)
	if code := c.stop(t); code != 0 {
		t.Errorf("exit %d\n%s", code, c.stderr.String())
	}
	var failed, recovered bool
	for _, l := range sl.Take(rollingSyslogPrefix + "/sync_client") {
		t.Logf("syslog %d %s", l.Severity, l.Msg)
		failed = failed || strings.HasPrefix(l.Msg, "Replicating rtb failed (attempt 1): ")
		recovered = recovered || strings.HasPrefix(l.Msg, "Replicating rtb succeeded after ")
	}
	if !failed || !recovered {
		t.Errorf("syslog: rtb failed %v, recovered %v", failed, recovered)
	}
}

// TestAllWorkers: -A --workers 4 makes the replica the master (run twice:
// the second has nothing to do), then -u of every user with --workers 4
// brings what changed since.
func TestAllWorkers(t *testing.T) {
	RequireCyrus(t)
	tr := newTrio(t, []string{"ours"})
	m := tr.master
	users := []string{"awa", "awb", "awc", "awd", "awe"}
	for i, u := range users {
		tr.addUser(t, u)
		m.Deliver(t, u, 2+i)
	}
	create(t, m, "awa", "Work", "Work/Sub")
	copyAll(t, m, "awa", "Work")
	create(t, m, "awc", "Lists")
	for i := range 2 {
		res := m.Run(t, nil, tr.ours(t), "-C", m.Conf(), "-n", "ours", "-A", "--workers", "4")
		if res.Code != 0 || res.Stderr != "" {
			t.Fatalf("run %d: exit %d\n%s%s", i, res.Code, res.Stdout, res.Stderr)
		}
	}
	tr.sameAcross(t, users...)
	for _, u := range users {
		m.Deliver(t, u, 1)
	}
	create(t, m, "awb", "New")
	res := m.Run(t, nil, tr.ours(t), append([]string{"-C", m.Conf(), "-n", "ours", "--workers", "4", "-u"}, users...)...)
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("-u: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	tr.sameAcross(t, users...)
}
