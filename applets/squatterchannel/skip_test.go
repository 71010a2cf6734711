package squatterchannel

import (
	"os"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// Cyrus 3.10 skips JMAP upload and notification mailboxes (an upload
// folder as an email mailbox by its name, a notification folder by its
// type or name); 3.6 indexes them.
func TestShouldIndexJMAPFolders(t *testing.T) {
	mb := fakeMailboxes{
		"user.fred.#jmap":                spool.KindEmail,
		"user.fred.#jmap.sub":            spool.KindEmail,
		"user.fred.#jmapnotification":    spool.KindEmail,
		"user.fred.notify":               spool.KindJMAPNotify,
		"user.fred.#jmapnotificationish": spool.KindEmail,
		"user.fred.Sent":                 spool.KindEmail,
	}
	ns := conf.Namespace{Sep: '/', DeletedPrefix: "DELETED"}
	v36 := skipRules{ns: ns, sieveFolder: "#sieve", submissionFolder: "#jmapsubmission"}
	v310 := v36
	v310.jmapFolders, v310.uploadFolder, v310.notificationFolder = true, "#jmap", "#jmapnotification"
	for name, want310 := range map[string]bool{
		"user.fred.#jmap": false, "user.fred.#jmap.sub": false, "user.fred.#jmapnotification": false,
		"user.fred.notify": false, "user.fred.#jmapnotificationish": true, "user.fred.Sent": true,
	} {
		if ok, _ := v36.shouldIndex(mb, name); !ok {
			t.Errorf("3.6: %s skipped", name)
		}
		if ok, _ := v310.shouldIndex(mb, name); ok != want310 {
			t.Errorf("3.10: %s indexed %v, want %v", name, ok, want310)
		}
	}
}

// CYRUS_ISDAEMON: any value for 3.6's getenv(), a number other than 0
// for 3.10's atoi.
func TestUnderMaster(t *testing.T) {
	for _, c := range []struct {
		val             string
		set             bool
		want36, want310 bool
	}{
		{"", false, false, false}, {"", true, true, false}, {"0", true, true, false},
		{"1", true, true, true}, {"yes", true, true, false}, {"2x", true, true, true},
	} {
		if c.set {
			t.Setenv("CYRUS_ISDAEMON", c.val)
		} else {
			t.Setenv("CYRUS_ISDAEMON", "")
			unsetenv(t, "CYRUS_ISDAEMON")
		}
		if got := underMaster(conf.V3_6); got != c.want36 {
			t.Errorf("3.6, %q set %v: %v", c.val, c.set, got)
		}
		if got := underMaster(conf.V3_10); got != c.want310 {
			t.Errorf("3.10, %q set %v: %v", c.val, c.set, got)
		}
	}
}

// unsetenv removes key for the rest of the test (after t.Setenv, which
// restores it).
func unsetenv(t *testing.T, key string) {
	t.Helper()
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}
