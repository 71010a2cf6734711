package spool

import (
	"errors"
	"fmt"
	"os"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// ErrUnlinked means a message file is gone because its record is expunged
// (cyr_expire or a repack removed it meanwhile): not an error for sync.
var ErrUnlinked = errors.New("message file unlinked")

// ErrMessageMismatch means a message file's size or SHA-1 differs from its
// index record.
var ErrMessageMismatch = errors.New("message file does not match its record")

// OpenMessage opens r's message file for reading. Files are immutable and
// need no lock. A missing file of an expunged or unlinked record gives an
// error wrapping ErrUnlinked; a file whose size differs from the record's
// one wrapping ErrMessageMismatch.
//
// cyrus: imap/dlist.c printfile (3.6.1)
func (s *Spool) OpenMessage(m *Mailbox, r *Record) (*os.File, error) {
	path, err := s.RecordPath(m, r)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && (r.Expunged() || r.Unlinked()) {
			return nil, fmt.Errorf("spool: %s uid %d: %w: %w", m.Name, r.UID, ErrUnlinked, err)
		}
		return nil, fmt.Errorf("spool: %s uid %d: %w", m.Name, r.UID, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if uint64(st.Size()) != r.Size {
		f.Close()
		return nil, fmt.Errorf("spool: %s: %w: %d bytes, record says %d", path, ErrMessageMismatch, st.Size(), r.Size)
	}
	return f, nil
}

// VerifyMessage checks that r's message file hashes to the record's GUID,
// as sync_client does while sending a file (a size or GUID mismatch makes
// it send NIL instead).
//
// cyrus: imap/dlist.c printfile (3.6.1)
func (s *Spool) VerifyMessage(m *Mailbox, r *Record) error {
	f, err := s.OpenMessage(m, r)
	if err != nil {
		return err
	}
	defer f.Close()
	g, err := guid.FromReader(f)
	if err != nil {
		return fmt.Errorf("spool: %s: %w", f.Name(), err)
	}
	if g != r.GUID {
		return fmt.Errorf("spool: %s: %w: GUID %s, record says %s", f.Name(), ErrMessageMismatch, g, r.GUID)
	}
	return nil
}
