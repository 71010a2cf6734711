package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRewriteConf(t *testing.T) {
	got := rewriteConf("configdirectory: /x\ncyrus_user: cyrus\ncyrus_group: mail\nadmins: admin\n", "fred")
	if want := "configdirectory: /x\ncyrus_user: fred\nadmins: admin\n"; got != want {
		t.Errorf("rewriteConf: %q, want %q", got, want)
	}
}

func TestLineDiff(t *testing.T) {
	if d := lineDiff("a\nb\n", "a\nb\n"); d != "" {
		t.Errorf("same: %q", d)
	}
	if d := lineDiff("a\nb", "a\nc"); d != "- b\n+ c" {
		t.Errorf("differ: %q", d)
	}
	if d := lineDiff("a\nb", "b\na"); !strings.Contains(d, "order") {
		t.Errorf("reordered: %q", d)
	}
}

// TestFixtureReadsBack: our spool reader reads the master spool Cyrus
// made, with what the demo shows: both users, the nested folders, the
// shared folder, flags, the quota root, the active sieve script, the seen
// state on the shared folder and the annotations.
func TestFixtureReadsBack(t *testing.T) {
	v, err := readSpool(fixtureConf(t))
	if err != nil {
		t.Fatal(err)
	}
	sum := v.Summary()
	for _, want := range []string{"Announcements ", "user.alice.Work.Projects.2026 ", "$Label1 1", `sieve script "demo"`,
		"quota user.alice: STORAGE", "bob: subscribed to Announcements, user.alice.Work; seen state of 1 mailbox(es)",
		"[annotations: 1 on the mailbox, 1 on messages]"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}

// fixtureConf is testdata/master's configuration with its directory.
func fixtureConf(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := copyTree("testdata/master", dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "imapd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "imapd.conf")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(string(b), "@DIR@", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}
