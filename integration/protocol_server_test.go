package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

type passwordMap map[string]string

func (p passwordMap) CheckPassword(_ context.Context, _, user, pass string) error {
	if p[user] != "" && p[user] == pass {
		return nil
	}
	return errors.New("bad password")
}

// ourServer listens on loopback and serves every connection with our
// session (no command handler yet: sync_server does not exist, so GET,
// APPLY and RESTORE get "NO IMAP_PROTOCOL_ERROR Protocol error").
func ourServer(t *testing.T, transport protocol.Transport, trace *syncBuffer) int {
	return ourServerTLS(t, transport, trace, nil)
}

// ourServerTLS is ourServer with STARTTLS and no plaintext login before it
// when cfg is set.
func ourServerTLS(t *testing.T, transport protocol.Transport, trace *syncBuffer, cfg *tls.Config) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for id := 1; ; id++ {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			opts := protocol.ServerOptions{ServerName: "ours.cyrepl.test", Admins: []string{SyncUser},
				Auth: passwordMap{SyncUser: SyncPassword}, AllowPlaintext: cfg == nil, TLSConfig: cfg,
				Trace: &protocol.Tracer{W: trace, ID: id}}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if transport == protocol.IMAP {
					protocol.ServeIMAP(ctx, nc, opts)
				} else {
					protocol.ServeCSync(ctx, nc, opts)
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestCyrusClientAgainstOurServer has real Cyrus 3.6's sync_client connect
// to our server session on both transports: it must authenticate, switch
// on DEFLATE (csync) and enable SIEVE-MAILBOX; its first real command then
// gets a proper NO, since our sync_server does not exist yet.
func TestCyrusClientAgainstOurServer(t *testing.T) {
	RequireCyrus(t)
	var csyncTrace, imapTrace, tlsTrace syncBuffer
	csyncPort := ourServer(t, protocol.CSync, &csyncTrace)
	imapPort := ourServer(t, protocol.IMAP, &imapTrace)
	base := TempDir(t)
	cert := NewTestCert(t, base)
	tlsPort := ourServerTLS(t, protocol.CSync, &tlsTrace, &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
	in := NewInstance(t, base, "master", "tls_server_ca_file: "+cert.CertFile,
		"ourstls_sync_port: "+itoa(tlsPort), "ourstls_sync_try_imap: 0",
		"sync_authname: "+SyncUser, "sync_password: "+SyncPassword, "sync_host: 127.0.0.1",
		"ours_sync_port: "+itoa(csyncPort), "ours_sync_try_imap: 0",
		"oursimap_sync_port: "+itoa(imapPort), "oursimap_sync_try_imap: 1")
	in.Start(t)
	in.CreateUser(t, "cassandane")
	in.Deliver(t, "cassandane", 2)

	for _, tc := range []struct {
		channel string
		trace   *syncBuffer
		want    []string
	}{
		{"ours", &csyncTrace, []string{
			"S1 * SASL PLAIN LOGIN", "S1 * COMPRESS DEFLATE", "S1 * SIEVE-MAILBOX",
			"C1 AUTHENTICATE PLAIN ", "S1 OK Success (no protection)",
			"C1 COMPRESS DEFLATE", "S1 OK DEFLATE active",
			"C1 APPLY CAPABILITIES (SIEVE-MAILBOX)", "S1 * ENABLED (SIEVE-MAILBOX)", "S1 OK success",
			"C1 GET USER cassandane", "S1 NO IMAP_PROTOCOL_ERROR Protocol error"}},
		{"oursimap", &imapTrace, []string{
			"C1 A01 AUTHENTICATE PLAIN ", "S1 A01 OK [CAPABILITY ", "X-REPLICATION X-SIEVE-MAILBOX] Success (no protection)",
			"S0 SYNCAPPLY CAPABILITIES (SIEVE-MAILBOX)", "S1 * ENABLED (SIEVE-MAILBOX)",
			" SYNCGET USER cassandane", " NO IMAP_PROTOCOL_ERROR Protocol error"}},
		{"ourstls", &tlsTrace, []string{
			"S1 * STARTTLS", "S1 * OK", "C1 STARTTLS", "S1 OK Begin TLS negotiation now",
			"S1 * SASL PLAIN LOGIN", "C1 AUTHENTICATE PLAIN ", "S1 OK Success (tls protection)",
			"C1 APPLY CAPABILITIES (SIEVE-MAILBOX)", "S1 * ENABLED (SIEVE-MAILBOX)"}},
	} {
		t.Run(tc.channel, func(t *testing.T) {
			res := in.Tool(t, "sync_client", "-v", "-n", tc.channel, "-u", "cassandane")
			got := tc.trace.String()
			at := 0
			for _, w := range tc.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Errorf("missing or out of order: %q\nour server saw:\n%s\nsync_client: exit %d\n%s%s",
						w, got, res.Code, res.Stdout, res.Stderr)
					return
				}
				at += i + len(w)
			}
			if res.Code == 0 {
				t.Errorf("sync_client succeeded against a server that cannot sync yet:\n%s", res.Stdout)
			}
		})
	}
}
