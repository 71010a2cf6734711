package protocol

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// TestClientBadStatus: a reply whose status is not OK, NO or BYE, or
// whose tag is another command's, is a ProtocolError carrying the word in
// the status's place and the rest of the line, the two things Cyrus's
// client logs of it (response=<…> errmsg=<…>).
func TestClientBadStatus(t *testing.T) {
	for _, tc := range []struct {
		name      string
		imap      bool
		reply     string // "TAG" is replaced by the command's tag
		word, msg string
	}{
		{"csync BAD", false, "BAD IMAP_PROTOCOL_ERROR Failed to upload\r\n", "BAD", "IMAP_PROTOCOL_ERROR Failed to upload"},
		{"csync after items", false, "* LSUB (user.fred)\r\nBAD oops\r\n", "BAD", "oops"},
		{"csync word alone", false, "WHAT\r\n", "WHAT", ""},
		{"imap BAD", true, "TAG BAD Unrecognized command\r\n", "BAD", "Unrecognized command"},
		{"imap other tag", true, "X9 OK done\r\n", "X9", "OK done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours, peer := net.Pipe()
			defer ours.Close()
			c := &Client{conn: NewConn(ours), Transport: CSync, opts: ClientOptions{Timeout: 3 * time.Second}}
			if tc.imap {
				c.Transport = IMAP
			}
			go func() {
				defer peer.Close()
				buf := make([]byte, 4096)
				n, _ := peer.Read(buf)
				tag, _, _ := strings.Cut(string(buf[:n]), " ")
				peer.Write([]byte(strings.Replace(tc.reply, "TAG", tag, 1)))
			}()
			_, err := c.Command(context.Background(), "GET", "USER", dlist.String("fred"))
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a ProtocolError", err)
			}
			if pe.Response != tc.word || pe.ErrMsg != tc.msg {
				t.Errorf("response %q errmsg %q, want %q %q", pe.Response, pe.ErrMsg, tc.word, tc.msg)
			}
		})
	}
}
