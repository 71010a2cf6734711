package integration

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// TestClientSTARTTLSAgainstCyrus: a real replica that allows no plaintext
// login offers no mechanism before TLS; our client must STARTTLS, verify
// the certificate, then authenticate — on both transports.
func TestClientSTARTTLSAgainstCyrus(t *testing.T) {
	RequireCyrus(t)
	base := TempDir(t)
	cert := NewTestCert(t, base)
	lines := []string{"allowplaintext: no", "tls_server_cert: " + cert.CertFile, "tls_server_key: " + cert.KeyFile}
	if _, replica, _ := PairVersions(); replica == V310 {
		// 3.10.2 added allowstarttls, off by default: without it Cyrus
		// answers STARTTLS "BAD Unrecognized command".
		lines = append(lines, "allowstarttls: 1")
	}
	in := NewReplicaInstance(t, base, "replica", lines...)
	in.ClientTLS = &tls.Config{RootCAs: cert.Pool, ServerName: "127.0.0.1"}
	in.Start(t)
	in.CreateUser(t, "cassandane")
	for _, tc := range []struct {
		name    string
		port    int
		tryIMAP bool
	}{{"csync", in.CSyncPort, false}, {"imap", in.IMAPPort, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var trace syncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			target, _ := protocol.ParseTarget("127.0.0.1")
			c, err := protocol.Dial(ctx, protocol.ClientOptions{Target: target, Port: itoa(tc.port), TryIMAP: tc.tryIMAP,
				AuthName: SyncUser, Password: SyncPassword,
				TLSConfig: &tls.Config{RootCAs: cert.Pool, ServerName: "127.0.0.1"},
				Trace:     &protocol.Tracer{W: &trace}})
			if err != nil {
				t.Fatalf("Dial: %v\n%s", err, trace.String())
			}
			defer c.Close()
			if !strings.Contains(trace.String(), "STARTTLS") {
				t.Errorf("no STARTTLS in:\n%s", trace.String())
			}
			if _, err := c.Command(ctx, "GET", "USER", dlist.String("cassandane")); err != nil {
				t.Errorf("GET USER over TLS: %v", err)
			}
			if c.Compression() != "" {
				t.Errorf("compression over TLS: %q (Cyrus never offers it after STARTTLS)", c.Compression())
			}
		})
	}
	t.Run("untrusted-certificate", func(t *testing.T) {
		target, _ := protocol.ParseTarget("127.0.0.1")
		_, err := protocol.Dial(context.Background(), protocol.ClientOptions{Target: target, Port: itoa(in.CSyncPort),
			AuthName: SyncUser, Password: SyncPassword, TLSConfig: &tls.Config{ServerName: "127.0.0.1"}})
		if err == nil {
			t.Fatal("connected to a replica whose certificate nothing vouches for")
		}
	})
}
