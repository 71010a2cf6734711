package syncclient

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

func loadConf(t *testing.T, text string) *conf.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "imapd.conf")
	os.WriteFile(p, []byte(text), 0o644)
	c, err := conf.Load(p, "sync_client", 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConnectBackoff: 15 s, doubling, capped by sync_reconnect_maxwait
// before it is printed (Cassandane rolling_retry_wait_limit: 15, 20, 20).
func TestConnectBackoff(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	cfg := loadConf(t, "configdirectory: /x\nsync_host: 127.0.0.1:"+strconv.Itoa(port)+
		"\nsync_reconnect_maxwait: 20\nsync_try_imap: 0\n")
	var stderr bytes.Buffer
	d, err := newDialer(cfg, &Options{}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	stop := errors.New("enough")
	d.sleep = func(_ context.Context, w time.Duration) error {
		waits = append(waits, w)
		if len(waits) == 3 {
			return stop
		}
		return nil
	}
	if _, err := d.connect(context.Background()); err != stop {
		t.Fatalf("connect: %v", err)
	}
	want := "Can not connect to server '127.0.0.1:" + strconv.Itoa(port) + "', retrying in 15 seconds\n"
	if len(waits) != 3 || waits[0] != 15*time.Second || waits[1] != 20*time.Second || waits[2] != 20*time.Second ||
		!bytes.HasPrefix(stderr.Bytes(), []byte(want)) {
		t.Errorf("waits %v, stderr %q", waits, stderr.String())
	}
	if _, err := newDialer(loadConf(t, "configdirectory: /x\n"), &Options{}, &stderr); err != errNoSyncHost {
		t.Errorf("no sync_host: %v", err)
	}
	d, _ = newDialer(cfg, &Options{Server: "other:1", Channel: "c"}, &stderr)
	if d.servername != "other:1" || d.opts.TryIMAP {
		t.Errorf("-S wins over sync_host: %+v", d)
	}
	if d.opts.TLSConfig == nil || d.opts.TLSConfig.ServerName != "other" {
		t.Errorf("TLS config: %+v", d.opts.TLSConfig)
	}
}

// TestConnectOnce: with -o Cyrus 3.10 tries once and gives up (Cassandane
// 3.10.2 Replication.connect_once), where 3.6 parses -o and retries all
// the same.
func TestConnectOnce(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	text := "configdirectory: /x\nsync_host: 127.0.0.1:" + strconv.Itoa(port) + "\nsync_try_imap: 0\n"
	p := filepath.Join(t.TempDir(), "imapd.conf")
	os.WriteFile(p, []byte(text), 0o644)
	for _, v := range []conf.Version{conf.V3_6, conf.V3_10} {
		cfg, err := conf.LoadVersion(p, "sync_client", 0, v)
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		d, err := newDialer(cfg, &Options{ConnectOnce: true}, &stderr)
		if err != nil {
			t.Fatal(err)
		}
		waits := 0
		stop := errors.New("retried")
		d.sleep = func(context.Context, time.Duration) error { waits++; return stop }
		_, err = d.connect(context.Background())
		if v == conf.V3_10 && (err == nil || err == stop || waits != 0 || stderr.Len() != 0) {
			t.Errorf("3.10 -o: %v after %d waits, stderr %q; want the connection's error, no retry", err, waits, stderr.String())
		}
		if v == conf.V3_6 && (err != stop || waits != 1) {
			t.Errorf("3.6 -o: %v after %d waits; want a retry", err, waits)
		}
	}
}
