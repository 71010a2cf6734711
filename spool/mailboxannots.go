package spool

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

// displayNameEntry is the JMAP display name annotation, which a rename
// drops. cyrus: IMAP_ANNOT_NS "displayname" (imap/annotate.c 3.6.1)
const displayNameEntry = "/vendor/cmu/cyrus-imapd/displayname"

// deleteMailboxAnnotations is annotate_delete_mailbox: the mailbox-level
// annotations of e (keys "<uniqueid> NUL …" in annotations.db) are
// removed, unless the uniqueid's I record names another mailbox (the
// deletion is the cleanup of a rename).
//
// cyrus: imap/annotate.c annotate_delete_mailbox (3.6.1)
func (s *Spool) deleteMailboxAnnotations(e *Entry) error {
	if s.layout.NS.ParseInternal(e.Name).Deleted == 0 {
		l, err := s.MailboxList()
		if err != nil {
			return err
		}
		if ie, err := l.LookupUniqueID(e.UniqueID); err == nil && ie.Name != e.Name {
			return nil
		}
	}
	return s.dropMailboxAnnotations(e.UniqueID, "")
}

// dropMailboxAnnotations removes the mailbox-level annotations of
// uniqueid (only those of entry if set) from annotations.db, as Cyrus's
// write_entry does for an empty value (mailbox annotations leave no
// tombstone).
//
// cyrus: imap/annotate.c rename_cb, write_entry (3.6.1)
func (s *Spool) dropMailboxAnnotations(uniqueid, entry string) error {
	if uniqueid == "" {
		return nil
	}
	path := s.AnnotationsDBPath()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := checkTwoskip(path); err != nil {
		return err
	}
	tx, err := twoskip.Begin(path, twoskip.Options{})
	if err != nil {
		return fmt.Errorf("spool: annotations.db: %w", err)
	}
	prefix := []byte(uniqueid + "\x00")
	if entry != "" {
		prefix = append(prefix, entry+"\x00"...)
	}
	var keys [][]byte
	err = tx.ForEachPrefix(prefix, func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	})
	for _, k := range keys {
		if err == nil {
			err = tx.Delete(k)
		}
	}
	if err != nil {
		tx.Abort()
		return fmt.Errorf("spool: %s: %w", path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("spool: %s: commit: %w", path, err)
	}
	return nil
}
