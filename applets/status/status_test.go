package status

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/synclog"
)

func write(t *testing.T, path, s string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBacklogCount(t *testing.T) {
	cfg := t.TempDir()
	sync := filepath.Join(cfg, "sync")
	// log-run: two items, a quoted name, a literal, a malformed line.
	write(t, filepath.Join(sync, "log-run"), "USER fred\nMAILBOX \"user.a b\"\nMAILBOX {6}\r\nuser.x\r\nMAILBOX \"unterminated\n")
	// log: one item and one being written (no newline yet).
	write(t, filepath.Join(sync, "log"), "APPEND user.fred\nMAILB")
	// ch: nothing at all (no directory); empty: an empty log; late: an
	// empty log-run (the age is log's).
	write(t, filepath.Join(sync, "late", "log-run"), "")
	write(t, filepath.Join(sync, "late", "log"), "USER x\n")
	write(t, filepath.Join(sync, "empty", "log"), "")
	now := time.Now().Add(time.Hour)
	st, err := Collect(cfg, []string{"", "ch", "empty", "late"}, now)
	if err != nil {
		t.Fatal(err)
	}
	def := st[0]
	if len(def.Files) != 2 || def.Files[0].Name != "log-run" || def.Files[1].Name != "log" {
		t.Fatalf("files %+v", def.Files)
	}
	if f := def.Files[0]; f.Items != 3 || f.Malformed != 1 {
		t.Errorf("log-run: %d items, %d malformed; want 3, 1", f.Items, f.Malformed)
	}
	if f := def.Files[1]; f.Items != 1 || f.Bytes != 22 {
		t.Errorf("log: %d items, %d bytes; want 1, 22", f.Items, f.Bytes)
	}
	if def.Items != 4 || def.Malformed != 1 || def.Bytes != def.Files[0].Bytes+22 {
		t.Errorf("totals %d items %d bytes %d malformed", def.Items, def.Bytes, def.Malformed)
	}
	if def.OldestAge < 3500 || !strings.HasSuffix(def.OldestFrom, " of log-run") {
		t.Errorf("oldest: %v s, %q", def.OldestAge, def.OldestFrom)
	}
	if late := st[3]; late.Items != 1 || late.OldestFrom != "birth time of log" && late.OldestFrom != "modification time of log" {
		t.Errorf("late: %+v", late)
	}
	for _, ch := range st[1:3] {
		if ch.Items != 0 || ch.Bytes != 0 || ch.OldestAge != 0 || !ch.Oldest.IsZero() || ch.ClientRunning || ch.Client != nil {
			t.Errorf("channel %q: %+v", ch.Name, ch)
		}
	}
	if st[1].Dir != filepath.Join(sync, "ch") || len(st[2].Files) != 1 {
		t.Errorf("ch %+v, empty %+v", st[1], st[2])
	}
}

// The two names are one file when the client renames log to log-run
// between status's two opens: counted once.
func TestBacklogSameFileOnce(t *testing.T) {
	sync := t.TempDir()
	write(t, filepath.Join(sync, "log"), "USER a\nUSER b\n")
	os.Link(filepath.Join(sync, "log"), filepath.Join(sync, "log-run"))
	files, err := channelBacklog(sync, "")
	if err != nil || len(files) != 1 || files[0].Name != "log-run" || files[0].Items != 2 {
		t.Errorf("%+v, %v", files, err)
	}
}

func TestClientSeen(t *testing.T) {
	cfg := t.TempDir()
	dir := filepath.Join(cfg, "sync", "one")
	f, err := synclog.HoldChannel(dir)
	if err != nil {
		t.Fatal(err)
	}
	cycle := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	synclog.WriteClientState(dir, &synclog.ClientState{PID: 99, Started: cycle.Add(-time.Hour), LastCycle: cycle, LastItems: 5})
	st, err := Collect(cfg, []string{"one"}, cycle.Add(time.Minute))
	if err != nil || !st[0].ClientRunning || st[0].Client.PID != 99 {
		t.Fatalf("%+v, %v", st, err)
	}
	var b bytes.Buffer
	writeText(&b, st, cycle.Add(time.Minute))
	for _, want := range []string{"rolling client: running (pid 99, started 2026-01-02T02:04:05Z, 1h1m0s ago)",
		"last successful cycle: 2026-01-02T03:04:05Z, 1m0s ago, 5 items"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	f.Close()
	st, _ = Collect(cfg, []string{"one"}, cycle)
	if st[0].ClientRunning || st[0].Client == nil {
		t.Errorf("after the client: %+v", st[0])
	}
}

// sample is a channel with everything set, and one with nothing.
func sample() ([]Channel, time.Time) {
	now := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	since := now.Add(-90 * time.Second)
	return []Channel{
		{Name: "", Dir: "/var/lib/cyrus/sync", Items: 3, Bytes: 40, Malformed: 1,
			Files:  []FileBacklog{{Name: "log-run", Path: "/var/lib/cyrus/sync/log-run", Items: 3, Malformed: 1, Bytes: 40, Since: since, SinceFrom: "birth time"}},
			Oldest: since, OldestAge: 90, OldestFrom: "birth time of log-run", ClientRunning: true,
			Client: &synclog.ClientState{PID: 7, Started: now.Add(-time.Hour), LastCycle: now.Add(-2 * time.Second), LastItems: 12,
				LastFailure: now.Add(-time.Minute), LastError: "Connection reset",
				Retrying: []synclog.RetryUser{{User: "", Attempts: 1, Since: now.Add(-time.Second), Next: now.Add(-time.Millisecond), Error: "Mailbox is locked", Items: 1},
					{User: "fred", Attempts: 3, Since: now.Add(-time.Minute), Next: now.Add(4 * time.Second), Error: "Over quota", Items: 2}}}},
		{Name: `we"ird\`, Dir: "/var/lib/cyrus/sync/we\"ird\\"},
	}, now
}

func TestFormatText(t *testing.T) {
	chs, now := sample()
	var b bytes.Buffer
	if err := writeText(&b, chs, now); err != nil {
		t.Fatal(err)
	}
	want := `channel "" (default): /var/lib/cyrus/sync
  backlog: 3 items, 40 bytes (log-run: 3 items, 40 bytes)
  malformed lines (skipped by sync_client): 1
  oldest unprocessed item: 2026-12-07T19:58:30Z, 1m30s ago (birth time of log-run)
  rolling client: running (pid 7, started 2026-12-07T19:00:00Z, 1h0m0s ago)
  last successful cycle: 2026-12-07T19:59:58Z, 2s ago, 12 items
  last failed cycle: 2026-12-07T19:59:00Z, 1m0s ago: Connection reset
  users waiting for retry: 2
    (shared mailboxes): 1 failed attempts since 2026-12-07T19:59:59Z, 1 items, retry due now: Mailbox is locked
    fred: 3 failed attempts since 2026-12-07T19:59:00Z, 2 items, retry in 4s: Over quota

channel "we\"ird\\": /var/lib/cyrus/sync/we"ird\
  backlog: 0 items, 0 bytes
  rolling client: none of ours
  last successful cycle: none recorded
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestFormatJSON(t *testing.T) {
	chs, now := sample()
	var b bytes.Buffer
	if err := writeJSON(&b, chs, now); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Channels []map[string]any `json:"channels"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	c0, c1 := got.Channels[0], got.Channels[1]
	if c0["channel"] != "" || c0["backlog_items"] != 3.0 || c0["oldest_age_seconds"] != 90.0 || c0["client_running"] != true ||
		c0["client"].(map[string]any)["last_cycle"] != "2026-12-07T19:59:58Z" ||
		c0["client"].(map[string]any)["retrying"].([]any)[1].(map[string]any)["user"] != "fred" || c0["files"].([]any)[0].(map[string]any)["name"] != "log-run" {
		t.Errorf("channel 0: %v", c0)
	}
	if _, ok := c1["oldest_item"]; ok || c1["client"] != nil || len(c1["files"].([]any)) != 0 {
		t.Errorf("channel 1: %v", c1)
	}
}

func TestFormatPrometheus(t *testing.T) {
	chs, now := sample()
	var b bytes.Buffer
	if err := writePrometheus(&b, chs, now); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# TYPE cyrus_replication_backlog_items gauge\n",
		"cyrus_replication_backlog_items{channel=\"\"} 3\n",
		"cyrus_replication_backlog_items{channel=\"we\\\"ird\\\\\"} 0\n",
		"cyrus_replication_backlog_bytes{channel=\"\"} 40\n",
		"cyrus_replication_backlog_malformed_lines{channel=\"\"} 1\n",
		"cyrus_replication_backlog_oldest_age_seconds{channel=\"\"} 90\n",
		"cyrus_replication_client_running{channel=\"\"} 1\n",
		"cyrus_replication_client_running{channel=\"we\\\"ird\\\\\"} 0\n",
		"cyrus_replication_last_cycle_timestamp_seconds{channel=\"\"} 1796673598\n",
		"cyrus_replication_last_cycle_items{channel=\"\"} 12\n",
		"cyrus_replication_last_failure_timestamp_seconds{channel=\"\"} 1796673540\n",
		"cyrus_replication_users_retrying{channel=\"\"} 2\n",
		"cyrus_replication_user_retry_attempts{channel=\"\",user=\"fred\"} 3\n",
		"cyrus_replication_user_retry_attempts{channel=\"\",user=\"\"} 1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// No client state: no sample at all, rather than a made-up 0.
	if strings.Contains(out, "last_cycle_timestamp_seconds{channel=\"we") {
		t.Error("a last cycle for a channel without one")
	}
	// Every sample line is NAME{channel="..."} VALUE, under its HELP and TYPE.
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "# HELP ") && !strings.HasPrefix(l, "# TYPE ") &&
			(!strings.HasPrefix(l, "cyrus_replication_") || !strings.Contains(l, "{channel=\"")) {
			t.Errorf("bad line %q", l)
		}
	}
}

func TestMainExitCodes(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "imapd.conf")
	write(t, conf, "configdirectory: "+dir+"/cfg\npartition-default: "+dir+"/spool\nsync_log_channels: a \"\"\n")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(append([]string{"status"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, _ := run("-C", conf); code != 0 || !strings.HasPrefix(out, "channel \"a\":") || !strings.Contains(out, "channel \"\" (default)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, out, _ := run("-C", conf, "-n", "b", "--format", "prometheus"); code != 0 || !strings.Contains(out, "{channel=\"b\"} 0") || strings.Contains(out, "channel=\"a\"") {
		t.Errorf("-n b: exit %d:\n%s", code, out)
	}
	if code, _, errs := run("-C", filepath.Join(dir, "nope.conf")); code != 78 || !strings.Contains(errs, "nope.conf") {
		t.Errorf("missing config: exit %d, %q", code, errs)
	}
	// configdirectory/sync is a file: the error names it.
	write(t, filepath.Join(dir, "cfg", "sync"), "")
	if code, _, errs := run("-C", conf); code != 74 || !strings.Contains(errs, filepath.Join(dir, "cfg", "sync")) {
		t.Errorf("unreadable directory: exit %d, %q", code, errs)
	}
	if code, _, errs := run("-C", conf, "--format", "xml"); code != 64 || !strings.Contains(errs, "xml") {
		t.Errorf("bad format: exit %d, %q", code, errs)
	}
	if code, _, _ := run("extra"); code != 64 {
		t.Errorf("operand: exit %d", code)
	}
	if code, out, _ := run("--help"); code != 0 || !strings.Contains(out, "--format") || !strings.Contains(out, "Ours") {
		t.Errorf("--help: exit %d:\n%s", code, out)
	}
	if err := flags.Check(); err != nil {
		t.Error(err)
	}
}
