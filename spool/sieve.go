package spool

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// SieveMailbox returns the internal name of userid's #sieve mailbox
// (sieve_folder under the user's INBOX).
//
// cyrus: imap/sieve_db.c sieve_mboxname (3.6.1)
func (s *Spool) SieveMailbox(userid string) string {
	return s.layout.NS.UserInbox(userid) + "." + s.cfg.SieveFolder()
}

// SieveScripts returns userid's sieve scripts as 3.6 stores them: one
// message per script in the #sieve mailbox (Subject = name, attachment
// file name = "<id>.sieve", body = source, \Flagged = active), expunged
// versions left out. A user without #sieve has none.
//
// cyrus: imap/sieve_db.c sieve_script_store, imap/mailbox.c
// mailbox_update_sieve (3.6.1)
func (s *Spool) SieveScripts(ctx context.Context, userid string) ([]SieveScript, error) {
	m, err := s.Snapshot(ctx, s.SieveMailbox(userid))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []SieveScript
	for i := range m.Records {
		r := &m.Records[i]
		if r.Expunged() {
			continue
		}
		path, err := s.RecordPath(m, r)
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("spool: sieve script of %s: %w", userid, err)
		}
		sc, err := parseSieveMessage(b)
		if err != nil {
			return nil, fmt.Errorf("spool: sieve script %s: %w", path, err)
		}
		sc.UID, sc.LastUpdated = r.UID, r.InternalDate
		sc.Active = r.System&index.FlagFlagged != 0
		out = append(out, sc)
	}
	return out, nil
}

func parseSieveMessage(b []byte) (SieveScript, error) {
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(b)))
	h, err := tr.ReadMIMEHeader()
	if err != nil {
		return SieveScript{}, err
	}
	body := b
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		body = b[i+4:]
	} else if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		body = b[i+2:]
	}
	sc := SieveScript{Name: h.Get("Subject"), Content: body, GUID: guid.Sum(body)}
	cd := h.Get("Content-Disposition")
	if _, after, ok := strings.Cut(cd, "filename="); ok {
		id := strings.Trim(strings.TrimSpace(after), `"`)
		sc.ID = strings.TrimSuffix(id, ".sieve")
	}
	return sc, nil
}

// ActiveSieveScript returns the name of userid's active script from the
// sieve directory's defaultbc link ("" if there is none).
//
// cyrus: imap/sievedir.c sievedir_get_active (3.6.1)
func (s *Spool) ActiveSieveScript(userid string) (string, error) {
	dir, err := s.SieveDir(userid)
	if err != nil {
		return "", err
	}
	t, err := os.Readlink(filepath.Join(dir, "defaultbc"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	return strings.TrimSuffix(filepath.Base(t), ".bc"), nil
}
