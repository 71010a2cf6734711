package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/spool/flat"
	"github.com/cyrus-replication/cyrus-replication/spool/skiplist"
	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

// kvdb is the read interface shared by the twoskip and flat backends.
type kvdb interface {
	get(key []byte) ([]byte, bool, error)
	forEachPrefix(prefix []byte, fn func(k, v []byte) error) error
}

type twoskipDB struct{ db *twoskip.DB }

func (t twoskipDB) get(k []byte) ([]byte, bool, error) { return t.db.Get(k) }
func (t twoskipDB) forEachPrefix(p []byte, fn func(k, v []byte) error) error {
	return t.db.ForEachPrefix(p, fn)
}

type skiplistDB struct{ db *skiplist.DB }

func (s skiplistDB) get(k []byte) ([]byte, bool, error) { v, ok := s.db.Get(k); return v, ok, nil }
func (s skiplistDB) forEachPrefix(p []byte, fn func(k, v []byte) error) error {
	return s.db.ForEachPrefix(p, fn)
}

type flatDB struct{ db *flat.DB }

func (f flatDB) get(k []byte) ([]byte, bool, error) { v, ok := f.db.Get(k); return v, ok, nil }
func (f flatDB) forEachPrefix(p []byte, fn func(k, v []byte) error) error {
	return f.db.ForEachPrefix(p, fn)
}

// openKV reads a Cyrus key/value database, choosing the backend by the
// file's magic as Cyrus does (twoskip, skiplist; anything else is taken as
// flat, the only text format), whatever the configured backend says.
//
// cyrus: lib/cyrusdb.c cyrusdb_detect (3.6.1)
func openKV(path string) (kvdb, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	magic := make([]byte, len(twoskip.Magic))
	n, err := io.ReadFull(f, magic)
	f.Close()
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	magic = magic[:n]
	switch {
	case bytes.Equal(magic, []byte(twoskip.Magic)):
		db, err := twoskip.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return twoskipDB{db}, nil
	case bytes.Equal(magic, []byte(skiplist.Magic)):
		db, err := skiplist.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return skiplistDB{db}, nil
	}
	db, err := flat.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return flatDB{db}, nil
}

// fileStamp identifies one state of a file: replaced files change inode,
// committed twoskip transactions grow the file and touch its mtime.
type fileStamp struct {
	ino, size uint64
	mtime     int64
}

func stampOf(path string) (fileStamp, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileStamp{}, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return fileStamp{ino: st.Ino, size: uint64(st.Size), mtime: st.Mtim.Nano()}, nil
}

// MailboxList is an immutable snapshot of mailboxes.db.
type MailboxList struct {
	path  string
	db    kvdb
	stamp fileStamp
}

// Path returns the file the snapshot was read from.
func (l *MailboxList) Path() string { return l.path }

// MailboxListPath returns mailboxes.db's path (mboxlist_db_path or
// configdirectory/mailboxes.db).
func (s *Spool) MailboxListPath() string { return s.dbPath("mboxlist_db_path", "mailboxes.db") }

// MailboxList returns a snapshot of mailboxes.db, re-reading the file only
// if it changed since the last call. The read holds Cyrus's shared lock on
// the file just for the time of one read.
func (s *Spool) MailboxList() (*MailboxList, error) {
	path := s.MailboxListPath()
	st, err := stampOf(path)
	if err != nil {
		return nil, fmt.Errorf("spool: mailboxes.db: %w", err)
	}
	s.mu.Lock()
	cur := s.mlist
	s.mu.Unlock()
	if cur != nil && cur.stamp == st {
		return cur, nil
	}
	db, err := openKV(path)
	if err != nil {
		return nil, fmt.Errorf("spool: mailboxes.db: %w", err)
	}
	// The stamp taken before the read may be older than what was read;
	// that only causes one more re-read later.
	l := &MailboxList{path: path, db: db, stamp: st}
	s.mu.Lock()
	s.mlist = l
	s.mu.Unlock()
	return l, nil
}

// LookupName returns the N entry of an internal mailbox name (tombstones
// and intermediates included). A missing name gives an error wrapping
// ErrNotFound.
func (s *Spool) LookupName(intname string) (*Entry, error) {
	l, err := s.MailboxList()
	if err != nil {
		return nil, err
	}
	return l.LookupName(intname)
}

// LookupUniqueID returns the I entry of a uniqueid, with its name history.
// 3.6 leaves stale I records behind after a final delete
// (docs/spool-layout.md): the N record of the returned name is
// authoritative.
//
// cyrus: imap/mboxlist.c mboxlist_update_entry (3.6.1)
func (s *Spool) LookupUniqueID(id string) (*Entry, error) {
	l, err := s.MailboxList()
	if err != nil {
		return nil, err
	}
	return l.LookupUniqueID(id)
}

// LookupName is Spool.LookupName on this snapshot.
func (l *MailboxList) LookupName(intname string) (*Entry, error) {
	return l.lookup("N", DBName(intname), false)
}

// LookupUniqueID is Spool.LookupUniqueID on this snapshot.
func (l *MailboxList) LookupUniqueID(id string) (*Entry, error) {
	return l.lookup("I", id, true)
}

func (l *MailboxList) lookup(kind, key string, byID bool) (*Entry, error) {
	v, ok, err := l.db.get([]byte(kind + key))
	if err != nil {
		return nil, fmt.Errorf("spool: %s: %w", l.path, err)
	}
	if !ok {
		return nil, fmt.Errorf("spool: %s: mailbox %q: %w", l.path, IntName(key), ErrNotFound)
	}
	e, err := parseEntry(key, byID, v)
	if err != nil {
		return nil, fmt.Errorf("spool: %s: key %q: %w", l.path, kind+key, err)
	}
	return e, nil
}

// Entries iterates over the N records (every name, tombstones and
// intermediates included) in key order. Iteration stops at the first
// error, which is yielded with a nil entry.
func (l *MailboxList) Entries(ctx context.Context) iter.Seq2[*Entry, error] {
	return l.walk(ctx, "N", false)
}

// EntriesWithPrefix iterates, as Entries, over the N records whose
// internal names start with prefix: a seek to the prefix, not a walk of the
// whole file (Cyrus's mboxlist_mboxtree reads a user's DELETED.* mailboxes
// so).
func (l *MailboxList) EntriesWithPrefix(ctx context.Context, prefix string) iter.Seq2[*Entry, error] {
	return l.walk(ctx, "N"+DBName(prefix), false)
}

// ByUniqueID iterates over the I records in uniqueid order.
func (l *MailboxList) ByUniqueID(ctx context.Context) iter.Seq2[*Entry, error] {
	return l.walk(ctx, "I", true)
}

var errStop = errors.New("stop")

func (l *MailboxList) walk(ctx context.Context, kind string, byID bool) iter.Seq2[*Entry, error] {
	return func(yield func(*Entry, error) bool) {
		err := l.db.forEachPrefix([]byte(kind), func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			e, err := parseEntry(string(k[1:]), byID, v)
			if err != nil {
				return fmt.Errorf("spool: %s: key %q: %w", l.path, k, err)
			}
			if !yield(e, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop {
			yield(nil, err)
		}
	}
}

// Mailboxes iterates over every N entry of a fresh mailboxes.db snapshot
// (see MailboxList.Entries).
func (s *Spool) Mailboxes(ctx context.Context) iter.Seq2[*Entry, error] {
	return func(yield func(*Entry, error) bool) {
		l, err := s.MailboxList()
		if err != nil {
			yield(nil, err)
			return
		}
		for e, err := range l.Entries(ctx) {
			if !yield(e, err) {
				return
			}
		}
	}
}

// Users returns the userids that have a live INBOX, in mailboxes.db order.
func (s *Spool) Users(ctx context.Context) ([]string, error) {
	var users []string
	for e, err := range s.Mailboxes(ctx) {
		if err != nil {
			return nil, err
		}
		if e.Deleted() || e.Type&TypeReserve != 0 {
			continue
		}
		m := s.layout.NS.ParseInternal(e.Name)
		if m.LocalPart != "" && len(m.Boxes) == 0 && m.Deleted == 0 {
			users = append(users, m.UserID())
		}
	}
	return users, nil
}

// UserMailboxes returns the N entries of userid's mailboxes (INBOX and
// every mailbox below it, tombstones included; not DELETED.* ones).
func (s *Spool) UserMailboxes(ctx context.Context, userid string) ([]*Entry, error) {
	l, err := s.MailboxList()
	if err != nil {
		return nil, err
	}
	inbox := DBName(s.layout.NS.UserInbox(userid))
	var out []*Entry
	for _, prefix := range []string{inbox, inbox + "\x1F"} {
		err := l.db.forEachPrefix([]byte("N"+prefix), func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			key := string(k[1:])
			if prefix == inbox && key != inbox {
				return nil
			}
			e, err := parseEntry(key, false, v)
			if err != nil {
				return fmt.Errorf("spool: %s: key %q: %w", l.path, k, err)
			}
			out = append(out, e)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
