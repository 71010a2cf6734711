package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary files to the imapd.conf reader: it must never
// panic, and whatever it accepts must give every accessor a value.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"configdirectory: /x\n",
		"configdirectory: /x\nsync_log: 1\nsync_log_channels: \"\" squatter\n",
		"configdirectory: /x\\\n/y\r\nsync_timeout: 1h30m\n# c\n",
		"configdirectory: /x\nsync_batchsize: 0x10\nvirtdomains: userid\nevent_groups: message quota\n",
		"configdirectory: /x\nx_sync_host: h\nsync_client_sync_log: yes\nsync_log: 0\n",
		"configdirectory: /x\n@include: /nonexistent\n",
		"configdirectory: {configdirectory}\nsync_shutdown_file: {configdirectory}/s\narchive_days: 2\n",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(text, "@include") {
			return // would read arbitrary files of this machine
		}
		p := filepath.Join(dir, "imapd.conf")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(p, "sync_client", NeedPartitionData)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		var b strings.Builder
		c.WriteAll(&b)
		c.SyncLogChannels()
		c.Channel("x").TryIMAP()
		c.Channel("x").RepeatInterval()
		ns := c.Namespace()
		ns.UserIDOf(text)
		ns.ParseExternal(text)
	})
}
