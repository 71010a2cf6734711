package integration

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

// IMAP logs in to the instance's imapd (LOGIN: allowplaintext is on) and
// returns the client; the test's cleanup logs out.
func (in *Instance) IMAP(t testing.TB, user, password string) *imapclient.Client {
	t.Helper()
	c, err := in.DialIMAP(user, password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Logout().Wait(); c.Close() })
	return c
}

// DialIMAP logs in like IMAP but leaves logging out to the caller, for
// loops that must not keep a connection per iteration (imapd's maxchild).
func (in *Instance) DialIMAP(user, password string) (*imapclient.Client, error) {
	addr := "127.0.0.1:" + strconv.Itoa(in.IMAPPort)
	var c *imapclient.Client
	var err error
	if in.ClientTLS != nil {
		c, err = imapclient.DialStartTLS(addr, &imapclient.Options{TLSConfig: in.ClientTLS})
	} else {
		c, err = imapclient.DialInsecure(addr, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("imap dial %s: %w", in.Name, err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imap login %s as %s: %w", in.Name, user, err)
	}
	// Cyrus 3.10 announces IMAP4rev2 but speaks IMAP4rev1 until ENABLE
	// IMAP4rev2; go-imap, seeing it, would send mailbox names in UTF-8,
	// which Cyrus then refuses. Caps is the client's own set: without
	// IMAP4rev2 in it, names go in modified UTF-7, as to Cyrus 3.6.
	delete(c.Caps(), imap.CapIMAP4rev2)
	return c, nil
}

// CreateUser adds a SASL user and, as admin over IMAP, creates its INBOX
// (external name user/<name>: unixhierarchysep is on).
func (in *Instance) CreateUser(t testing.TB, name string) {
	t.Helper()
	in.AddSASLUser(t, name, UserPassword)
	c := in.IMAP(t, AdminUser, AdminPassword)
	if err := c.Create("user/"+name, nil).Wait(); err != nil {
		t.Fatalf("create user/%s: %v", name, err)
	}
}

// Deliver sends n small generated messages to user over LMTP.
func (in *Instance) Deliver(t testing.TB, user string, n int) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.LMTPPort), 10*time.Second)
	if err != nil {
		t.Fatalf("lmtp dial: %v", err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		t.Fatalf("LHLO: %v", err)
	}
	for i := 0; i < n; i++ {
		if err := c.Mail("sender@example.org", nil); err != nil {
			t.Fatalf("MAIL: %v", err)
		}
		if err := c.Rcpt(user, nil); err != nil {
			t.Fatalf("RCPT %s: %v", user, err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatalf("DATA: %v", err)
		}
		fmt.Fprintf(w, "From: sender@example.org\r\nTo: %s@example.org\r\nSubject: message %d\r\n"+
			"Message-ID: <%d.%d@cyrepl.test>\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nbody %d\r\n%s\r\n",
			user, i, time.Now().UnixNano(), i, i, strings.Repeat("text ", 20))
		if _, err := w.CloseWithLMTPResponse(); err != nil {
			t.Fatalf("delivery to %s: %v", user, err)
		}
	}
	c.Quit()
}

// Flags is a convenience for STORE.
func Flags(f ...string) []imap.Flag {
	var out []imap.Flag
	for _, s := range f {
		out = append(out, imap.Flag(s))
	}
	return out
}

func uidSet(nums ...uint32) imap.SeqSet {
	var s imap.SeqSet
	for _, n := range nums {
		s.AddNum(n)
	}
	return s
}

func storeFlags(f ...string) *imap.StoreFlags {
	return &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: Flags(f...), Silent: true}
}

// DeliverRaw sends each message as is (CRLF line ends; the client
// dot-stuffs) to user over LMTP, in order, so they get consecutive UIDs.
func (in *Instance) DeliverRaw(t testing.TB, user string, msgs ...[]byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.LMTPPort), 10*time.Second)
	if err != nil {
		t.Fatalf("lmtp dial: %v", err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		t.Fatalf("LHLO: %v", err)
	}
	for i, m := range msgs {
		if err := c.Mail("sender@example.org", nil); err != nil {
			t.Fatalf("MAIL: %v", err)
		}
		if err := c.Rcpt(user, nil); err != nil {
			t.Fatalf("RCPT %s: %v", user, err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatalf("DATA: %v", err)
		}
		if _, err := w.Write(m); err != nil {
			t.Fatalf("DATA message %d: %v", i, err)
		}
		if _, err := w.CloseWithLMTPResponse(); err != nil {
			t.Fatalf("delivery of message %d to %s: %v", i, user, err)
		}
	}
	c.Quit()
}
