package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

// listTx is one write transaction on mailboxes.db, holding Cyrus's lock
// on the file until commit or abort. Callers hold the user namespace
// locks of every name they change (Cyrus asserts it).
type listTx struct {
	path string
	tx   *twoskip.Tx
	now  time.Time
}

// beginList opens mailboxes.db for writing. Only twoskip is written; a
// skiplist or flat mailboxes.db is refused with ErrUnsupported.
//
// cyrus: imap/mboxlist.c mboxlist_update_entry (its own transaction) (3.6.1)
func (s *Spool) beginList() (*listTx, error) {
	path := s.MailboxListPath()
	if err := checkTwoskip(path); err != nil {
		return nil, err
	}
	tx, err := twoskip.Begin(path, twoskip.Options{})
	if err != nil {
		return nil, fmt.Errorf("spool: mailboxes.db: %w", err)
	}
	return &listTx{path: path, tx: tx, now: time.Now()}, nil
}

// checkTwoskip refuses an existing, non-empty file that is not twoskip.
func checkTwoskip(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: mailboxes.db: %w", err)
	}
	if err != nil {
		return fmt.Errorf("spool: mailboxes.db: %w", err)
	}
	defer f.Close()
	magic := make([]byte, len(twoskip.Magic))
	n, err := io.ReadFull(f, magic)
	if n == 0 && (err == io.EOF || err == nil) {
		return nil
	}
	if !bytes.Equal(magic[:n], []byte(twoskip.Magic)) {
		return fmt.Errorf("spool: %s is not a twoskip database: %w", path, ErrUnsupported)
	}
	return nil
}

// withList runs fn in one mailboxes.db transaction, committed if fn
// succeeds, aborted otherwise.
func (s *Spool) withList(fn func(t *listTx) error) error {
	t, err := s.beginList()
	if err != nil {
		return err
	}
	if err := fn(t); err != nil {
		t.tx.Abort()
		return err
	}
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("spool: mailboxes.db: commit: %w", err)
	}
	return nil
}

// lookup returns the N entry of intname as the transaction sees it
// (tombstones and intermediates included: Cyrus's allow_all), nil if
// there is none.
func (t *listTx) lookup(intname string) (*Entry, error) {
	return t.get("N", DBName(intname), false)
}

// lookupID returns the I entry of uniqueid, nil if there is none.
func (t *listTx) lookupID(uniqueid string) (*Entry, error) {
	return t.get("I", uniqueid, true)
}

func (t *listTx) get(kind, key string, byID bool) (*Entry, error) {
	v, ok, err := t.tx.Get([]byte(kind + key))
	if err != nil {
		return nil, fmt.Errorf("spool: %s: %w", t.path, err)
	}
	if !ok {
		return nil, nil
	}
	e, err := parseEntry(key, byID, v)
	if err != nil {
		return nil, fmt.Errorf("spool: %s: key %q: %w", t.path, kind+key, err)
	}
	return e, nil
}

// update writes e as the entry of intname, or removes the N record when e
// is nil, as Cyrus's mboxlist_update_entry: an I record still naming
// intname under another uniqueid is removed; e's I record keeps the
// history of the existing one, with the existing name put first when it
// differs (a rename). Removing an entry leaves its I record (3.6.1 never
// reaches the code that would remove it). Both records get M = now.
//
// cyrus: imap/mboxlist.c mboxlist_update_entry (3.6.1)
func (t *listTx) update(intname string, e *Entry) error {
	old, err := t.lookup(intname)
	if err != nil {
		return err
	}
	if e == nil {
		if old == nil {
			return nil
		}
		return t.del("N" + DBName(intname))
	}
	if old != nil && old.UniqueID != "" && old.UniqueID != e.UniqueID {
		oldi, err := t.lookupID(old.UniqueID)
		if err != nil {
			return err
		}
		if oldi != nil && oldi.Name == intname {
			if err := t.del("I" + old.UniqueID); err != nil {
				return err
			}
		}
	}
	n := *e
	n.Name = intname
	n.MTime = t.now.Unix()
	if err := t.put("N"+DBName(intname), n.MarshalN); err != nil {
		return err
	}
	if n.UniqueID == "" {
		return nil
	}
	oldi, err := t.lookupID(n.UniqueID)
	if err != nil {
		return err
	}
	n.History = append([]HistoryEntry(nil), e.History...)
	if oldi != nil {
		if oldi.Name != intname {
			n.History = append(n.History, HistoryEntry{Name: oldi.Name, Type: oldi.Type, Partition: oldi.Partition,
				UIDValidity: oldi.UIDValidity, CreatedModseq: oldi.CreatedModseq, FolderModseq: oldi.FolderModseq, MTime: oldi.MTime})
		}
		n.History = append(n.History, oldi.History...)
	}
	return t.put("I"+n.UniqueID, n.MarshalI)
}

func (t *listTx) put(key string, marshal func() ([]byte, error)) error {
	v, err := marshal()
	if err != nil {
		return err
	}
	if err := t.tx.Store([]byte(key), v); err != nil {
		return fmt.Errorf("spool: %s: store %q: %w", t.path, key, err)
	}
	return nil
}

func (t *listTx) del(key string) error {
	if err := t.tx.Delete([]byte(key)); err != nil {
		return fmt.Errorf("spool: %s: delete %q: %w", t.path, key, err)
	}
	return nil
}

// CreateMailboxList creates an empty mailboxes.db (twoskip) if there is
// none, as Cyrus's mboxlist_open does for every program that opens it
// (CYRUSDB_CREATE): a replica that no Cyrus program has run on yet
// starts empty rather than failing.
//
// cyrus: imap/mboxlist.c mboxlist_open (3.6.1)
func (s *Spool) CreateMailboxList() error {
	path := s.MailboxListPath()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return nil // there, or a problem the first read reports
	}
	tx, err := twoskip.Begin(path, twoskip.Options{Create: true})
	if err != nil {
		return fmt.Errorf("spool: create mailboxes.db: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("spool: create mailboxes.db: %w", err)
	}
	return nil
}
