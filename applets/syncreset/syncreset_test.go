package syncreset

import (
	"bytes"
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
	"github.com/cyrus-replication/cyrus-replication/conf"
	spoolfixture "github.com/cyrus-replication/cyrus-replication/internal/fixture"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

func TestFlags(t *testing.T) {
	if err := flags.Check(); err != nil {
		t.Fatal(err)
	}
	// cyrus: imap/sync_reset.c main (3.6.1): getopt "C:vfL"
	if got := flags.Optstring(); got != "C:vfLh" {
		t.Errorf("optstring %q", got)
	}
}

// fixture copies the master spool Cyrus 3.6 made
// (applets/syncclient/testdata, uuid layout, user cb with four mailboxes
// and a quota root) with sync_log on, run as the current user.
func fixture(t *testing.T) (dir, config string) {
	t.Helper()
	src := filepath.Join("..", "syncclient", "testdata", "master")
	dir = filepath.Join(t.TempDir(), "replica")
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	config = spoolfixture.CopySpoolFunc(t, src, dir, func(s string) string {
		s = strings.ReplaceAll(s, "cyrus_user: cyrus\n", "cyrus_user: "+me.Username+"\n")
		return strings.ReplaceAll(s, "cyrus_group: mail\n", "") + "sync_log: 1\n"
	})
	return dir, config
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	err := Main(context.Background(), append([]string{"sync_reset"}, args...), &o, &e)
	return o.String(), e.String(), cyrus.ExitCode(err)
}

func TestCommandLine(t *testing.T) {
	_, config := fixture(t)
	if _, e, code := run(t, "-x"); code != cyrus.ExitUsage || !strings.Contains(e, usageLine) {
		t.Errorf("bad option: exit %d, %q", code, e)
	}
	if o, _, code := run(t, "--help"); code != 0 || !strings.Contains(o, "--force") {
		t.Errorf("--help: exit %d, %q", code, o)
	}
	// without -f: Cyrus's reminder, exit 0, nothing done
	_, e, code := run(t, "-C", config, "cb")
	if code != 0 || e != "Usage: sync_reset -f user user user ...\n         -f [force] is obligatory for safety\n" {
		t.Errorf("without -f: exit %d, %q", code, e)
	}
	cfg, err := conf.Load(config, "sync_reset", 0)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := spool.Open(cfg)
	if _, err := sp.LookupName("user.cb"); err != nil {
		t.Errorf("without -f the user went: %v", err)
	}
	// a missing configuration: Cyrus's fatal error, exit 78, before -f is looked at
	if _, _, code := run(t, "-C", config+".missing", "cb"); code != cyrus.ExitConfig {
		t.Errorf("missing config: exit %d", code)
	}
}

func TestReset(t *testing.T) {
	dir, config := fixture(t)
	o, e, code := run(t, "-C", config, "-v", "-f", "cb")
	if code != 0 || o != "" || e != "" {
		t.Fatalf("sync_reset -f cb: exit %d, stdout %q, stderr %q", code, o, e)
	}
	cfg, err := conf.Load(config, "sync_reset", 0)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := spool.Open(cfg)
	for e, err := range sp.Mailboxes(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("entry left: %s (%s)", e.Name, e.UniqueID)
	}
	if _, err := os.Stat(sp.QuotaPath("user.cb")); !os.IsNotExist(err) {
		t.Errorf("quota root left: %v", err)
	}
	if n, _ := filepath.Glob(filepath.Join(dir, "spool", "uuid", "*", "*", "*")); len(n) != 0 {
		t.Errorf("mailbox directories left: %q", n)
	}
	log, err := os.ReadFile(filepath.Join(dir, "conf", "sync", "log"))
	if err != nil {
		t.Fatal(err)
	}
	want := "UNMAILBOX user.cb.SplitBrain\nUNMAILBOX user.cb.Reversed\nUNMAILBOX user.cb.MasterOnly\nUNMAILBOX user.cb\nUNUSER cb\n"
	if string(log) != want {
		t.Errorf("sync log:\n%s\nwant:\n%s", log, want)
	}
	// again: the user is gone, Cyrus's "Bailing out!"
	if _, e, code := run(t, "-C", config, "-f", "cb", "other"); code != cyrus.ExitSoftware || !strings.HasSuffix(e, "Bailing out!\n") || !strings.Contains(e, "cb") {
		t.Errorf("second reset: exit %d, %q", code, e)
	}
}

// TestResetByINBOXName: "user/cb", the INBOX as the administrator names
// it (altnamespace, unixhierarchysep), resets cb; Cyrus's sync_reset bails
// out on it (cyrus-imapd issue 6017).
func TestResetByINBOXName(t *testing.T) {
	_, config := fixture(t)
	cfg, err := conf.Load(config, "sync_reset", 0)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := spool.Open(cfg)
	// a name that is not an INBOX is taken as a userid, as by Cyrus
	if _, e, code := run(t, "-C", config, "-f", "user/cb/Reversed"); code != cyrus.ExitSoftware || !strings.Contains(e, "Bailing out!") {
		t.Errorf("sync_reset -f user/cb/Reversed: exit %d, %q", code, e)
	}
	if _, err := sp.LookupName("user.cb.Reversed"); err != nil {
		t.Fatalf("a failed reset removed user.cb.Reversed: %v", err)
	}
	o, e, code := run(t, "-C", config, "-f", "user/cb")
	if code != 0 || e != "" || o != "user/cb names the INBOX of user cb: resetting cb\n" {
		t.Fatalf("sync_reset -f user/cb: exit %d, stdout %q, stderr %q", code, o, e)
	}
	if _, err := sp.LookupName("user.cb"); err == nil {
		t.Error("user.cb is still there")
	}
}
