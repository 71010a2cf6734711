package syncserver

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// FuzzReplica feeds arbitrary commands to a logged-in session with the
// real handler on a copy of a Cyrus-made spool: whatever it is sent, the
// server must not panic or hang, and must write nothing outside the spool.
func FuzzReplica(f *testing.F) {
	for _, s := range []string{
		"APPLY CAPABILITIES (SIEVE-MAILBOX)\r\nGET USER cb\r\nGET FULLMAILBOX user.cb\r\nEXIT\r\n",
		"APPLY RESERVE %(PARTITION default MBOXNAME (user.cb) GUID (0123456789abcdef0123456789abcdef01234567))\r\n",
		"APPLY MESSAGE (%{default 03cfd743661f07975fa2f1220c5194cbaff48451 4}\r\nabc\n)\r\n",
		"APPLY MAILBOX %(UNIQUEID x1 MBOXNAME user.cb.New LAST_UID 1 HIGHESTMODSEQ 3 RECENTUID 0 RECENTTIME 0 LAST_APPENDDATE 0 POP3_LAST_LOGIN 0 UIDVALIDITY 5 PARTITION default ACL \"cb\tlrs\t\" OPTIONS P RECORD (%(UID 1 MODSEQ 3 LAST_UPDATED 1 FLAGS (\\Seen x) INTERNALDATE 1 SIZE 4 GUID 03cfd743661f07975fa2f1220c5194cbaff48451)))\r\n",
		"APPLY RENAME %(OLDMBOXNAME user.cb.Reversed NEWMBOXNAME user.cb.R2 PARTITION default)\r\nAPPLY UNMAILBOX user.cb.R2\r\n",
		"APPLY SEEN %(USERID x UNIQUEID y LASTREAD 1 LASTUID 2 LASTCHANGE 3 SEENUIDS 1:2)\r\nAPPLY SUB %(USERID cb MBOXNAME user.cb)\r\n",
		"APPLY QUOTA %(ROOT user.cb LIMIT 100 STORAGE 100)\r\nAPPLY ANNOTATION %(MBOXNAME user.cb ENTRY /comment USERID \"\" VALUE hi)\r\nAPPLY UNUSER cb\r\n",
		"APPLY EXPUNGE %(MBOXNAME user.cb UNIQUEID q UID (1 2))\r\nRESTORE MAILBOX %(MBOXNAME user.cb.Z)\r\nAPPLY FORCE %()\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		srv, dir := newTestServer(t)
		opts := srv.base
		opts.PreAuth = "repl"
		opts.Timeout = 3 * time.Second
		opts.Handler = newReplica(srv, "fuzz")
		server, client := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			protocol.ServeCSync(context.Background(), server, opts)
		}()
		go io.Copy(io.Discard, client)
		client.Write([]byte(input))
		client.Close()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("session did not end after its client went away")
		}
		ents, _ := os.ReadDir(filepath.Dir(dir))
		for _, e := range ents {
			if e.Name() != filepath.Base(dir) {
				t.Fatalf("written outside the spool: %s", filepath.Join(filepath.Dir(dir), e.Name()))
			}
		}
	})
}
