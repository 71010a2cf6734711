package integration

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSyncClientTermWhileConnecting: with the replica unreachable both
// sync_clients keep retrying ("Can not connect to server …, retrying in 15
// seconds"); SIGTERM ends them gracefully with EX_TEMPFAIL (75).
func TestSyncClientTermWhileConnecting(t *testing.T) {
	RequireCyrus(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there
	dir := TempDir(t)
	cfgdir := filepath.Join(dir, "conf")
	os.Mkdir(cfgdir, 0o755)
	conf := filepath.Join(dir, "imapd.conf")
	WriteConf(t, conf, "configdirectory: "+cfgdir, "sync_host: 127.0.0.1:"+itoa(port), "sync_try_imap: 0")
	Chown(t, dir)
	link := filepath.Join(dir, "sync_client")
	os.Symlink(Ours(t), link)
	cy := DefaultCyrus(t)
	for _, prog := range []string{cy.Prog("sync_client"), link} {
		cmd := cy.Command(prog, "-C", conf, "-u", "fred")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != 75 {
			t.Errorf("%s: exit %d after SIGTERM, want 75", prog, code)
		}
		want := "Can not connect to server '127.0.0.1:" + itoa(port) + "', retrying in 15 seconds"
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("%s: stderr %q, want %q", prog, stderr.String(), want)
		}
	}
}
