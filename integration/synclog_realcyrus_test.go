package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// TestReaderOnLogsCyrusWrites runs a real Cyrus (imapd, lmtpd) with two
// log channels, makes it log deliveries, folder changes, flags and
// subscriptions, and reads the logs with our reader. Every line Cyrus wrote
// must parse, and our writer must format each item back to the very bytes
// Cyrus wrote.
func TestReaderOnLogsCyrusWrites(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "master", "sync_log: 1", `sync_log_channels: "" squatter`)
	in.Start(t)
	in.CreateUser(t, "cassandane")
	in.Deliver(t, "cassandane", 3)
	c := in.IMAP(t, "cassandane", UserPassword)
	for _, name := range []string{"Archive", "Work Stuff", "Old One", "caf&AOk-"} {
		if err := c.Create(name, nil).Wait(); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if err := c.Subscribe(name).Wait(); err != nil {
			t.Fatalf("subscribe %s: %v", name, err)
		}
	}
	if err := c.Rename("Archive", "Archive2", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Copy(uidSet(1, 2), "Work Stuff").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("Old One").Wait(); err != nil {
		t.Fatal(err)
	}

	for _, channel := range []string{"", "squatter"} {
		file := synclog.LogPath(filepath.Join(in.ConfigDir(), "sync"), channel)
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("Cyrus wrote no %s: %v", file, err)
		}
		r := synclog.NewChannelReader(filepath.Join(in.ConfigDir(), "sync"), channel, nil)
		p, err := r.Begin()
		if err != nil {
			t.Fatal(err)
		}
		var bad []string
		items, err := synclog.ReadAll(p, func(m *synclog.Malformed) { bad = append(bad, m.Error()) })
		if err != nil || len(bad) > 0 {
			t.Fatalf("%s: %v %q", file, err, bad)
		}
		var again bytes.Buffer
		for i := 0; i < len(items); i++ {
			line, err := items[i].Format()
			if err != nil {
				t.Fatal(err)
			}
			again.Write(line)
			if items[i].Type == synclog.TypeRename {
				i += 2 // the writer emits RENAME with its two MAILBOX lines
			}
		}
		if again.String() != string(raw) {
			t.Errorf("%s: our formatting of what we read differs from what Cyrus wrote:\n ours:  %q\n Cyrus: %q",
				file, again.String(), raw)
		}
		for _, want := range []string{"APPEND user.cassandane\n", "SUB cassandane user.cassandane.Archive\n",
			"MAILBOX \"user.cassandane.Work Stuff\"\n", "RENAME user.cassandane.Archive user.cassandane.Archive2\n",
			"DOUBLEMAILBOX user.cassandane \"user.cassandane.Work Stuff\"\n"} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("%s: Cyrus did not log %q; the test lost its point:\n%s", file, want, raw)
			}
		}
		if err := r.End(); err != nil {
			t.Fatal(err)
		}
	}
}
