package syncserver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// TestServerTLSOffered: STARTTLS is offered as Cyrus's tls_starttls_enabled
// decides: a certificate and key not "disabled", and on 3.10 allowstarttls.
// The files named do not exist, so "offered" shows as the error of loading
// them and "not offered" as no error and no configuration.
func TestServerTLSOffered(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		v       conf.Version
		lines   string
		offered bool
	}{
		{"3.6 cert and key", conf.V3_6, "tls_server_cert: /nonexistent/c\ntls_server_key: /nonexistent/k\n", true},
		{"3.6 no key", conf.V3_6, "tls_server_cert: /nonexistent/c\n", false},
		{"3.6 disabled", conf.V3_6, "tls_server_cert: disabled\ntls_server_key: /nonexistent/k\n", false},
		{"3.10 without allowstarttls", conf.V3_10, "tls_server_cert: /nonexistent/c\ntls_server_key: /nonexistent/k\n", false},
		{"3.10 allowstarttls", conf.V3_10, "allowstarttls: 1\ntls_server_cert: /nonexistent/c\ntls_server_key: /nonexistent/k\n", true},
		{"3.10 key DISABLED", conf.V3_10, "allowstarttls: 1\ntls_server_cert: /nonexistent/c\ntls_server_key: DISABLED\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "imapd.conf")
			if err := os.WriteFile(path, []byte("configdirectory: "+dir+"\n"+tc.lines), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := conf.LoadVersion(path, "sync_server", 0, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			tlsCfg, err := serverTLS(cfg)
			if offered := err != nil || tlsCfg != nil; offered != tc.offered {
				t.Errorf("offered = %v (%v, %v), want %v", offered, tlsCfg, err, tc.offered)
			}
		})
	}
}
