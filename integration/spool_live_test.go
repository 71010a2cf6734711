package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/emersion/go-imap/v2"
)

// TestSpoolLiveReader snapshots a mailbox in a loop while lmtpd delivers to
// it and imapd changes flags and expunges: every snapshot must be
// consistent (stored sync CRCs equal the recomputed ones, header counters
// match the records) and no IMAP command or delivery may fail or take
// more than a bounded time.
func TestSpoolLiveReader(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "master")
	in.Start(t)
	in.CreateUser(t, "fred")
	in.Deliver(t, "fred", 5)
	sp := openSpool(t, in)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var snaps int
	var maxIndex, maxName time.Duration
	var readErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			m, st, err := sp.SnapshotStats(ctx, "user.fred")
			if err != nil {
				if ctx.Err() == nil {
					readErr = err
				}
				return
			}
			if err := consistent(m); err != nil {
				readErr = err
				return
			}
			snaps++
			maxIndex = max(maxIndex, st.IndexLocked)
			maxName = max(maxName, st.NameLocked)
		}
	}()

	c := in.IMAP(t, "fred", UserPassword)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var slowest time.Duration
	timed := func(what string, f func() error) {
		start := time.Now()
		if err := f(); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		slowest = max(slowest, time.Since(start))
	}
	deadline := time.Now().Add(4 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		timed("deliver", func() error { in.Deliver(t, "fred", 1); return nil })
		uid := imap.UIDSetNum(imap.UID(i%5 + 1))
		timed("store", func() error {
			return c.Store(uid, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: Flags(fmt.Sprintf("kw%d", i%7), `\Seen`)}, nil).Close()
		})
		if i%4 == 3 {
			timed("expunge", func() error {
				if err := c.Store(imap.UIDSetNum(imap.UID(i+3)), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: Flags(`\Deleted`)}, nil).Close(); err != nil {
					return err
				}
				return c.Expunge().Close()
			})
		}
	}
	cancel()
	wg.Wait()
	if readErr != nil {
		t.Fatalf("reader: %v", readErr)
	}
	if snaps < 20 {
		t.Errorf("only %d snapshots", snaps)
	}
	if slowest > 2*time.Second {
		t.Errorf("slowest IMAP/LMTP operation took %v", slowest)
	}
	t.Logf("%d consistent snapshots; longest index lock %v, name lock %v; slowest Cyrus operation %v", snaps, maxIndex, maxName, slowest)
}

// consistent checks a snapshot against itself.
func consistent(m *spool.Mailbox) error {
	basic, annot := m.ComputeSyncCRCs()
	if basic != m.SyncCRC || annot != m.SyncCRCAnnot {
		return fmt.Errorf("torn snapshot: CRCs %d/%d, stored %d/%d", basic, annot, m.SyncCRC, m.SyncCRCAnnot)
	}
	var exists uint32
	for _, r := range m.Records {
		if !r.Expunged() {
			exists++
		}
	}
	if exists != m.IndexHeader.Exists {
		return fmt.Errorf("torn snapshot: %d live records, header exists %d", exists, m.IndexHeader.Exists)
	}
	return nil
}

// TestSpoolCorrupt damages copies of a real instance's files and checks
// that the errors name the file.
func TestSpoolCorrupt(t *testing.T) {
	RequireCyrus(t)
	in := NewInstance(t, TempDir(t), "master")
	in.Start(t)
	in.CreateUser(t, "fred")
	in.Deliver(t, "fred", 3)
	in.Stop()
	sp := openSpool(t, in)
	e, err := sp.LookupName("user.fred")
	if err != nil {
		t.Fatal(err)
	}
	ipath, _ := sp.MetaPath(e, spool.MetaIndex)
	damage := func(path string, f func([]byte) []byte) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	orig, _ := os.ReadFile(ipath)
	for name, f := range map[string]func([]byte) []byte{
		"truncated index": func(b []byte) []byte { return b[:len(b)-50] },
		"bad record CRC":  func(b []byte) []byte { b[170] ^= 1; return b },
		"bad header CRC":  func(b []byte) []byte { b[30] ^= 1; return b },
		"garbage index":   func(b []byte) []byte { return []byte("garbage") },
	} {
		damage(ipath, func([]byte) []byte { return f(append([]byte(nil), orig...)) })
		_, err := sp.Snapshot(context.Background(), "user.fred")
		if err == nil || !strings.Contains(err.Error(), ipath) {
			t.Errorf("%s: %v", name, err)
		}
	}
	os.WriteFile(ipath, orig, 0o600)
	m, err := sp.Snapshot(context.Background(), "user.fred")
	if err != nil {
		t.Fatal(err)
	}
	mpath1, _ := sp.RecordPath(m, &m.Records[0])
	damage(mpath1, func(b []byte) []byte { b[len(b)-3] ^= 1; return b })
	if err := sp.VerifyMessage(m, &m.Records[0]); !errors.Is(err, spool.ErrMessageMismatch) || !strings.Contains(err.Error(), mpath1) {
		t.Errorf("damaged message file: %v", err)
	}
	damage(mpath1, func(b []byte) []byte { return b[:10] })
	if err := sp.VerifyMessage(m, &m.Records[0]); !errors.Is(err, spool.ErrMessageMismatch) {
		t.Errorf("truncated message file: %v", err)
	}
	mpath := sp.MailboxListPath()
	damage(mpath, func(b []byte) []byte { b[40] ^= 0xff; return b })
	_, err = sp.LookupName("user.fred")
	if err == nil || !strings.Contains(err.Error(), mpath) {
		t.Errorf("mailboxes.db with bad header CRC: %v", err)
	}
	damage(mpath, func(b []byte) []byte { return b[:100] })
	if _, err = sp.LookupName("user.fred"); err == nil || !strings.Contains(err.Error(), mpath) {
		t.Errorf("truncated mailboxes.db: %v", err)
	}
	qpath := sp.QuotaPath("user.fred")
	os.MkdirAll(strings.TrimSuffix(qpath, "/user.fred"), 0o755)
	os.WriteFile(qpath, []byte("%(S (x"), 0o600)
	if _, err := sp.Quota("user.fred"); err == nil || !strings.Contains(err.Error(), qpath) || !errors.Is(err, spool.ErrQuotaFormat) {
		t.Errorf("bad quota file: %v", err)
	}
}
