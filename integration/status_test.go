package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// statusChannel is the part of `cyrus-replication status --format json`
// the test reads.
type statusChannel struct {
	Channel       string  `json:"channel"`
	Items         int     `json:"backlog_items"`
	Bytes         int64   `json:"backlog_bytes"`
	OldestAge     float64 `json:"oldest_age_seconds"`
	ClientRunning bool    `json:"client_running"`
	Client        *struct {
		PID       int       `json:"pid"`
		LastCycle time.Time `json:"last_cycle"`
		LastItems int       `json:"last_items"`
	} `json:"client"`
}

// status runs our status command on the master's configuration.
func (tr *trio) status(t *testing.T, args ...string) map[string]statusChannel {
	t.Helper()
	res := Run(t, nil, Ours(t), append([]string{"status", "-C", tr.master.Conf(), "--format", "json"}, args...)...)
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("status: exit %d\n%s", res.Code, res.Stderr)
	}
	var out struct {
		Channels []statusChannel `json:"channels"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
		t.Fatalf("status: %v\n%s", err, res.Stdout)
	}
	m := map[string]statusChannel{}
	for _, c := range out.Channels {
		m[c.Channel] = c
	}
	return m
}

// TestRollingStatus: deliveries into a real Cyrus master queue items in
// its sync log channels; status counts them; our rolling client follows
// one channel, status shows it holding that channel and the backlog
// draining to 0 while more mail arrives, then its last cycle; the
// channel nobody follows keeps its backlog; after the client, the
// channel is no longer held. Cyrus's writers are never held up.
func TestRollingStatus(t *testing.T) {
	RequireCyrus(t)
	tr := newTrio(t, []string{"ours"})
	for _, u := range []string{"stata", "statb"} {
		tr.addUser(t, u)
		tr.master.Deliver(t, u, 2)
	}
	st := tr.status(t)
	if len(st) != 2 {
		t.Fatalf("channels %v: want ours and replay", st)
	}
	for _, ch := range []string{"ours", "replay"} {
		c := st[ch]
		if c.Items < 4 || c.Bytes == 0 || c.OldestAge <= 0 || c.ClientRunning || c.Client != nil {
			t.Errorf("%s before any client: %+v", ch, c)
		}
	}
	queued := st["ours"].Items

	client := tr.startRolling(t, tr.ours(t), "ours")
	deadline := time.Now().Add(60 * time.Second)
	drained := false
	for round := 0; !drained; round++ {
		if time.Now().After(deadline) {
			t.Fatalf("the backlog did not drain: %+v\n%s", tr.status(t, "-n", "ours")["ours"], client.stderr.String())
		}
		if round < 5 {
			tr.master.Deliver(t, "stata", 1) // mail keeps arriving meanwhile
		}
		c := tr.status(t, "-n", "ours")["ours"]
		if !client.running() {
			t.Fatalf("the client ended: %s", client.stderr.String())
		}
		drained = round >= 5 && c.Items == 0 && c.ClientRunning && c.Client != nil && !c.Client.LastCycle.IsZero()
		time.Sleep(200 * time.Millisecond)
	}
	c := tr.status(t, "-n", "ours")["ours"]
	if c.Bytes != 0 || c.OldestAge != 0 || c.Client.PID != client.cmd.Process.Pid || c.Client.LastItems == 0 {
		t.Errorf("drained: %+v (client pid %d)", c, client.cmd.Process.Pid)
	}
	if r := tr.status(t)["replay"]; r.Items < queued+5 || r.ClientRunning {
		t.Errorf("replay, which nobody follows: %+v (ours had %d queued)", r, queued)
	}
	prom := Run(t, nil, Ours(t), "status", "-C", tr.master.Conf(), "--format", "prometheus")
	for _, want := range []string{"cyrus_replication_client_running{channel=\"ours\"} 1\n",
		"cyrus_replication_backlog_items{channel=\"ours\"} 0\n", "cyrus_replication_client_running{channel=\"replay\"} 0\n"} {
		if !strings.Contains(prom.Stdout, want) {
			t.Errorf("prometheus lacks %q:\n%s", want, prom.Stdout)
		}
	}
	tr.sameAcross(t, "stata", "statb")
	if code := client.stop(t); code != 0 {
		t.Errorf("client: exit %d\n%s", code, client.stderr.String())
	}
	if c := tr.status(t, "-n", "ours")["ours"]; c.ClientRunning || c.Client == nil || c.Client.LastCycle.IsZero() {
		t.Errorf("after the client: %+v", c)
	}
	text := Run(t, nil, Ours(t), "status", "-C", tr.master.Conf(), "-n", "ours")
	if text.Code != 0 || !strings.Contains(text.Stdout, "rolling client: none of ours") ||
		!strings.Contains(text.Stdout, "last successful cycle: ") {
		t.Errorf("text: exit %d\n%s%s", text.Code, text.Stdout, text.Stderr)
	}
}
