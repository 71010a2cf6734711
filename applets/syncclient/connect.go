package syncclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// firstWait is where Cyrus's reconnect back-off starts.
const firstWait = 15 * time.Second

// dialer connects to the replica as Cyrus's replica_connect does.
type dialer struct {
	opts       protocol.ClientOptions
	servername string
	maxWait    time.Duration
	stderr     io.Writer
	// sleep is time.Sleep, replaceable in tests.
	sleep func(ctx context.Context, d time.Duration) error
	// once: one try, no retries (-o from 3.10 on; a rolling client's
	// further workers: the replica not answering them is the replica gone).
	once bool
}

// errNoSyncHost is Cyrus's fatal "sync_host not defined" (exit 70).
var errNoSyncHost = fmt.Errorf("sync_host not defined")

// newDialer reads the channel's connection options (sync_host or -S,
// sync_port, credentials, sync_try_imap, timeouts, TLS).
func newDialer(cfg *conf.Config, o *Options, stderr io.Writer) (*dialer, error) {
	ch := cfg.Channel(o.Channel)
	servername := o.Server
	if servername == "" {
		servername, _ = ch.Host()
	}
	if servername == "" {
		return nil, errNoSyncHost
	}
	target, err := protocol.ParseTarget(servername)
	if err != nil {
		return nil, err
	}
	co := protocol.ClientOptions{
		Target:             target,
		TryIMAP:            ch.TryIMAP(),
		ConnectTimeout:     cfg.ClientTimeout(),
		Timeout:            cfg.SyncTimeout(),
		RequireCompression: o.RequireCompression,
	}
	co.Port, _ = ch.Port()
	co.AuthName, _ = ch.AuthName()
	co.Password, _ = ch.Password()
	co.Realm, _ = ch.Realm()
	if m, ok := cfg.ForceSASLClientMech(); ok {
		co.Mechs = strings.Fields(m)
	}
	co.TLSConfig = clientTLS(cfg, target.Host)
	// -o (ConnectOnce): one try and no retry from 3.10 on (Cyrus 3.6
	// parses it and retries all the same).
	//
	// cyrus: imap/sync_client.c replica_connect (3.6.1, 3.10.2)
	return &dialer{opts: co, servername: servername, maxWait: cfg.SyncReconnectMaxWait(),
		stderr: stderr, sleep: sleepCtx, once: o.ConnectOnce && cfg.Version.AtLeast(conf.V3_10)}, nil
}

// clientTLS builds the TLS configuration for STARTTLS from
// tls_server_ca_file/_dir and tls_client_cert/_key; it verifies the
// replica's certificate against those CAs, or the system's.
func clientTLS(cfg *conf.Config, host string) *tls.Config {
	t := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if f, ok := cfg.TLSServerCAFile(); ok {
		if pem, err := os.ReadFile(f); err == nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			t.RootCAs = pool
		}
	}
	cert, okc := cfg.TLSClientCert()
	key, okk := cfg.TLSClientKey()
	if okc && okk {
		if c, err := tls.LoadX509KeyPair(cert, key); err == nil {
			t.Certificates = []tls.Certificate{c}
		}
	}
	return t
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// connect tries until it gets a session: 15 s, doubling, capped by
// sync_reconnect_maxwait, printing Cyrus's line before each wait.
//
// cyrus: imap/sync_client.c replica_connect (3.6.1)
func (d *dialer) connect(ctx context.Context) (*protocol.Client, error) {
	wait := firstWait
	for {
		c, err := protocol.Dial(ctx, d.opts)
		if err == nil {
			return c, nil
		}
		if err == protocol.ErrNoCompression || ctx.Err() != nil || d.once {
			return nil, err
		}
		if d.maxWait > 0 && wait > d.maxWait {
			wait = d.maxWait
		}
		fmt.Fprintf(d.stderr, "Can not connect to server '%s', retrying in %d seconds\n", d.servername, int(wait/time.Second))
		if err := d.sleep(ctx, wait); err != nil {
			return nil, err
		}
		wait *= 2
	}
}
