package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cyrus-replication/cyrus-replication/spool/flat"
	"github.com/cyrus-replication/cyrus-replication/spool/skiplist"
	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

// kvTx is a write transaction on one of the key/value databases we can
// write: twoskip and flat.
type kvTx interface {
	get(k []byte) ([]byte, bool, error)
	store(k, v []byte) error
	del(k []byte) error
	forEach(fn func(k, v []byte) error) error
	commit() error
	abort()
}

type twoskipTx struct{ tx *twoskip.Tx }

func (t twoskipTx) get(k []byte) ([]byte, bool, error)       { return t.tx.Get(k) }
func (t twoskipTx) store(k, v []byte) error                  { return t.tx.Store(k, v) }
func (t twoskipTx) del(k []byte) error                       { return t.tx.Delete(k) }
func (t twoskipTx) forEach(fn func(k, v []byte) error) error { return t.tx.ForEach(fn) }
func (t twoskipTx) commit() error                            { return t.tx.Commit() }
func (t twoskipTx) abort()                                   { t.tx.Abort() }

type flatTx struct{ tx *flat.Tx }

func (t flatTx) get(k []byte) ([]byte, bool, error)       { v, ok := t.tx.Get(k); return v, ok, nil }
func (t flatTx) store(k, v []byte) error                  { return t.tx.Store(k, v) }
func (t flatTx) del(k []byte) error                       { return t.tx.Delete(k) }
func (t flatTx) forEach(fn func(k, v []byte) error) error { return t.tx.ForEach(fn) }
func (t flatTx) commit() error                            { return t.tx.Commit() }
func (t flatTx) abort()                                   { t.tx.Abort() }

// detectBackend names the format of an existing file by its magic, as
// Cyrus's cyrusdb_detect does ("" for an empty file, which any backend
// initialises).
//
// cyrus: lib/cyrusdb.c cyrusdb_detect (3.6.1)
func detectBackend(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	magic := make([]byte, len(twoskip.Magic))
	n, err := io.ReadFull(f, magic)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	switch {
	case n == 0:
		return "", nil
	case bytes.Equal(magic[:n], []byte(twoskip.Magic)):
		return "twoskip", nil
	case n >= len(skiplist.Magic) && bytes.Equal(magic[:len(skiplist.Magic)], []byte(skiplist.Magic)):
		return "skiplist", nil
	}
	return "flat", nil
}

// beginKV opens the database at path for writing with the backend
// configured for it (option is "seenstate_db", "subscription_db", …). With
// create a missing file is created as that backend creates it; without,
// a missing file gives an error satisfying errors.Is(err,
// os.ErrNotExist). A file in another format than the configured one is
// refused (Cyrus would convert it: CYRUSDB_CONVERT), as is a backend we
// cannot write.
func (s *Spool) beginKV(path, option string, create bool) (kvTx, error) {
	backend := s.cfg.DBBackend(option)
	have, err := detectBackend(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if errors.Is(err, os.ErrNotExist) && !create {
		return nil, err
	}
	if have != "" && have != backend {
		return nil, fmt.Errorf("%s is %s, %s is %s (Cyrus would convert it): %w", path, have, option, backend, ErrUnsupported)
	}
	switch backend {
	case "twoskip":
		tx, err := twoskip.Begin(path, twoskip.Options{Create: create})
		if err != nil {
			return nil, err
		}
		return twoskipTx{tx}, nil
	case "flat":
		tx, err := flat.Begin(path, create)
		if err != nil {
			return nil, err
		}
		return flatTx{tx}, nil
	}
	return nil, fmt.Errorf("%s: %s %s: %w", path, option, backend, ErrUnsupported)
}
