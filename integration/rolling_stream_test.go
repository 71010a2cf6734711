package integration

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-smtp"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// lmtpSession is one LMTP connection to an instance's lmtpd, kept open
// for many deliveries.
type lmtpSession struct{ c *smtp.Client }

func dialLMTP(in *Instance) (*lmtpSession, error) {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.LMTPPort), 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("lmtp dial %s: %w", in.Name, err)
	}
	c := smtp.NewClientLMTP(conn)
	if err := c.Hello("localhost"); err != nil {
		c.Close()
		return nil, fmt.Errorf("LHLO %s: %w", in.Name, err)
	}
	return &lmtpSession{c: c}, nil
}

// deliver sends msg to every one of rcpts in one transaction and returns
// once lmtpd has answered 250 for each.
func (s *lmtpSession) deliver(msg []byte, rcpts ...string) error {
	if err := s.c.Mail("sender@example.org", nil); err != nil {
		return fmt.Errorf("MAIL: %w", err)
	}
	for _, r := range rcpts {
		if err := s.c.Rcpt(r, nil); err != nil {
			return fmt.Errorf("RCPT %s: %w", r, err)
		}
	}
	w, err := s.c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.CloseWithLMTPResponse(); err != nil {
		return fmt.Errorf("delivery to %v: %w", rcpts, err)
	}
	return nil
}

func (s *lmtpSession) close() { s.c.Quit(); s.c.Close() }

// streamMessage is a small message with a Message-ID that names it.
func streamMessage(id, user string) []byte {
	return []byte(fmt.Sprintf("From: sender@example.org\r\nTo: %s@example.org\r\nSubject: %s\r\n"+
		"Message-ID: <%s>\r\nDate: Mon, 07 Dec 2026 12:00:00 +0000\r\n\r\n%s\r\n", user, id, id,
		strings.Repeat("rolling replication stream text\r\n", 20)))
}

// streamResult is what deliverStream delivered to one user, in order:
// the Message-IDs and when lmtpd answered 250 for each.
type streamResult struct {
	ids  []string
	done []time.Time
}

// deliverStream delivers to users in turn at rate messages per second (all
// users together), one LMTP connection per user so that deliveries to one
// user are in order (its k-th delivery gets its k-th new UID), until n
// messages are delivered (n > 0) or stop is closed. A user's deliveries
// that fall behind the schedule queue up; the others go on.
func deliverStream(in *Instance, users []string, rate float64, n int, stop <-chan struct{}, tag string) (map[string]*streamResult, error) {
	out := map[string]*streamResult{}
	jobs := map[string]chan string{}
	errs := make(chan error, len(users))
	var wg sync.WaitGroup
	for _, u := range users {
		s, err := dialLMTP(in)
		if err != nil {
			return nil, err
		}
		res := &streamResult{}
		out[u] = res
		ch := make(chan string, 1<<16)
		jobs[u] = ch
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.close()
			for id := range ch {
				if err := s.deliver(streamMessage(id, u), u); err != nil {
					errs <- err
					for range ch {
					}
					return
				}
				res.ids = append(res.ids, id)
				res.done = append(res.done, time.Now())
			}
		}()
	}
	start := time.Now()
loop:
	for i := 0; n <= 0 || i < n; i++ {
		if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 0 {
			select {
			case <-stop:
				break loop
			case <-time.After(d):
			}
		} else {
			select {
			case <-stop:
				break loop
			default:
			}
		}
		u := users[i%len(users)]
		jobs[u] <- fmt.Sprintf("%s.%s.%d@stream.cyrepl.test", tag, u, i)
	}
	for _, ch := range jobs {
		close(ch)
	}
	wg.Wait()
	close(errs)
	return out, <-errs
}

// indexLastUID reads LAST_UID from a cyrus.index header (0 while the
// file does not exist yet): what an IMAP client sees as UIDNEXT-1 once
// the mailbox is committed, read without disturbing the server.
func indexLastUID(path string) uint32 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var b [32]byte
	if _, err := f.ReadAt(b[:], 0); err != nil {
		return 0
	}
	return binary.BigEndian.Uint32(b[28:]) // cyrus: imap/mailbox.h OFFSET_LAST_UID (3.6.1)
}

// inboxIndexes returns, for each user, the path of its INBOX's
// cyrus.index on the master and on each replica (by-id layout: the path
// follows the uniqueid, which replication keeps).
func (tr *trio) inboxIndexes(t testing.TB, users []string) (master map[string]string, replicas map[string]map[string]string) {
	t.Helper()
	open := func(in *Instance) *spool.Spool {
		cfg, err := conf.Load(in.Conf(), "sync_client", 0)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := spool.Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	msp := open(tr.master)
	master, replicas = map[string]string{}, map[string]map[string]string{}
	for ch, r := range tr.replicas {
		rsp := open(r)
		replicas[ch] = map[string]string{}
		for _, u := range users {
			e, err := msp.LookupName("user." + u)
			if err != nil {
				t.Fatalf("master: user.%s: %v", u, err)
			}
			if master[u], err = msp.MetaPath(e, spool.MetaIndex); err != nil {
				t.Fatal(err)
			}
			if replicas[ch][u], err = rsp.MetaPath(e, spool.MetaIndex); err != nil {
				t.Fatal(err)
			}
		}
	}
	return master, replicas
}

// messageIDs lists the Message-IDs of user's INBOX on in, in UID order.
func messageIDs(t testing.TB, in *Instance, user string) []string {
	t.Helper()
	c, err := in.DialIMAP(user, UserPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.Logout().Wait(); c.Close() }()
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("%s: EXAMINE INBOX as %s: %v", in.Name, user, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatalf("%s: FETCH ENVELOPE as %s: %v", in.Name, user, err)
	}
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.Envelope.MessageID)
	}
	return ids
}
