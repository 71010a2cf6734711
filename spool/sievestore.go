package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cyrus-replication/cyrus-replication/spool/cache"
	"github.com/cyrus-replication/cyrus-replication/spool/davdb"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/sievedir"
)

// The store operations behind sync_server's legacy sieve commands (APPLY
// SIEVE, UNSIEVE, ACTIVATE_SIEVE, UNACTIVATE_SIEVE, sent by a master
// without SIEVE-MAILBOX) and GET USER's sieve-directory clean-up. Each
// changes the #sieve mailbox through the mailbox writer, whose commit
// keeps dav.db and the sieve directory in step (sievebook.go). They
// report whether anything changed; the caller logs "META <user>" then,
// as Cyrus's sync_log_sieve does.

// errSieveFolder is wrapped when the user has no #sieve mailbox.
var errSieveFolder = errors.New("no #sieve mailbox (create it first, as sieve_ensure_folder does)")

// openSieve opens userid's #sieve mailbox for writing, after making sure
// the sieve directory exists, and the user's dav.db.
func (s *Spool) openSieve(ctx context.Context, userid string) (*MailboxWriter, *davdb.DB, error) {
	return s.openSieveWith(ctx, userid, s.OpenMailboxWriter)
}

// openSieveWith is openSieve opening the mailbox with open
// (openLockedWriter when the caller holds the user's namespace lock).
func (s *Spool) openSieveWith(ctx context.Context, userid string, open func(context.Context, string) (*MailboxWriter, error)) (*MailboxWriter, *davdb.DB, error) {
	dir, err := s.SieveDir(userid)
	if err != nil {
		return nil, nil, fmt.Errorf("spool: sieve directory of %s: %w", userid, err)
	}
	if err := s.mkdirAllOwned(dir); err != nil {
		return nil, nil, fmt.Errorf("spool: sieve directory of %s: %w", userid, err)
	}
	w, err := open(ctx, s.SieveMailbox(userid))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, fmt.Errorf("spool: sieve scripts of %s: %w: %w", userid, errSieveFolder, err)
	}
	if err != nil {
		return nil, nil, err
	}
	if w.e.Type.Kind() != KindSieve {
		w.Abort()
		return nil, nil, fmt.Errorf("spool: %s is of type %s, not a #sieve mailbox", w.e.Name, w.e.Type)
	}
	db, err := s.OpenDavDB(userid)
	if err != nil {
		w.Abort()
		return nil, nil, err
	}
	return w, db, nil
}

// commitSieveOp commits w and closes db; on error it aborts both.
func commitSieveOp(w *MailboxWriter, db *davdb.DB, err error) (bool, error) {
	db.Close()
	if err != nil {
		w.Abort()
		return false, err
	}
	return w.Commit()
}

// scriptName returns the name of a sync FILENAME "<name><suffix>", and
// false when it has another extension (Cyrus ignores those silently).
func scriptName(filename, suffix string) (string, bool) {
	i := strings.LastIndexByte(filename, '.')
	if i < 0 || filename[i:] != suffix {
		return "", false
	}
	return filename[:i], true
}

// ApplySieve stores content as the new version of script filename
// ("<name>.script"; other names are ignored) of userid: a message
// appended to #sieve, the old version expunged. The #sieve mailbox must
// exist. Unlike Cyrus 3.6.1, which stores an empty script when the name
// already exists (fixed in 3.10: "sync_sieve_upload() always initialize
// buffer with script content"), the content is always stored.
//
// cyrus: imap/sync_support.c sync_sieve_upload (3.6.1)
func (s *Spool) ApplySieve(ctx context.Context, userid, filename string, content []byte) (changed bool, err error) {
	name, ok := scriptName(filename, sievedir.ScriptSuffix)
	if !ok {
		return false, nil
	}
	w, db, err := s.openSieve(ctx, userid)
	if err != nil {
		return false, err
	}
	row, _, err := db.SieveByName(ctx, name, false)
	if err == nil {
		row.Name = name
		err = w.StoreSieveScript(userid, row, content)
	}
	return commitSieveOp(w, db, err)
}

// UnSieve deletes script filename ("<name>.script"; other names are
// ignored): deactivated first if it is the active one, then its message
// expunged. A script that does not exist is an error.
//
// cyrus: imap/sync_support.c sync_sieve_delete (3.6.1)
func (s *Spool) UnSieve(ctx context.Context, userid, filename string) (changed bool, err error) {
	name, ok := scriptName(filename, sievedir.ScriptSuffix)
	if !ok {
		return false, nil
	}
	w, db, err := s.openSieve(ctx, userid)
	if err != nil {
		return false, err
	}
	row, found, err := db.SieveByName(ctx, name, false)
	switch {
	case err != nil:
	case !found:
		err = fmt.Errorf("spool: sieve script %s of %s: %w", name, userid, ErrNotFound)
	default:
		if row.IsActive {
			err = w.activateSieveScript(ctx, db, nil)
		}
		if err == nil {
			err = w.expungeSieve(row.IMAPUID)
		}
	}
	return commitSieveOp(w, db, err)
}

// ActivateSieve makes the script of bytecode file bcname ("<name>.bc")
// the active one. A script that does not exist is an error.
//
// cyrus: imap/sync_support.c sync_sieve_activate (3.6.1)
func (s *Spool) ActivateSieve(ctx context.Context, userid, bcname string) (changed bool, err error) {
	name := bcname[:max(len(bcname)-len(sievedir.BytecodeSuffix), 0)]
	w, db, err := s.openSieve(ctx, userid)
	if err != nil {
		return false, err
	}
	row, found, err := db.SieveByName(ctx, name, false)
	if err == nil && !found {
		err = fmt.Errorf("spool: sieve script %s of %s: %w", name, userid, ErrNotFound)
	}
	if err == nil {
		err = w.activateSieveScript(ctx, db, &row)
	}
	return commitSieveOp(w, db, err)
}

// DeactivateSieve leaves userid without an active script.
//
// cyrus: imap/sync_support.c sync_sieve_deactivate (3.6.1)
func (s *Spool) DeactivateSieve(ctx context.Context, userid string) (changed bool, err error) {
	w, db, err := s.openSieve(ctx, userid)
	if err != nil {
		return false, err
	}
	return commitSieveOp(w, db, w.activateSieveScript(ctx, db, nil))
}

// StoreSieveScript appends a new version of script sc (sc.Name; sc.ID,
// sc.CreatedModseq, sc.IsActive and sc.IMAPUID of its current version,
// all zero for a new script) holding content to this #sieve mailbox, and
// expunges the old version: the message Cyrus's sieve_script_store
// builds, appended with internaldate now and \Flagged if the script is
// active. dav.db and the sieve directory follow at Commit.
//
// cyrus: imap/sieve_db.c sieve_script_store, store_script (3.6.1)
func (w *MailboxWriter) StoreSieveScript(userid string, sc davdb.SieveScript, content []byte) error {
	now := w.now()
	id := sc.ID
	if id == "" {
		id = makeUUID()
	}
	msg := SieveMessage(userid, w.s.cfg.ServerName(), sc.Name, id, content, now)
	m, err := cache.Parse(msg)
	if err != nil {
		return fmt.Errorf("spool: sieve script %s of %s: %w", sc.Name, userid, err)
	}
	rec := index.Record{UID: w.h.LastUID + 1, InternalDate: now.Unix(), Size: m.Size, GUID: m.GUID,
		CreatedModseq: sc.CreatedModseq}
	if sc.IsActive {
		rec.SystemFlags |= index.FlagFlagged
	}
	ce := CacheEntry{Bytes: m.Entry, CRC: m.CRC, Version: m.CacheVersion, HeaderSize: m.HeaderSize}
	ce.SentDate, ce.GMTime = m.WithInternalDate(rec.InternalDate)
	if err := w.AppendMessage(rec, bytes.NewReader(msg), ce); err != nil {
		return err
	}
	if sc.IMAPUID != 0 {
		return w.expungeSieve(sc.IMAPUID)
	}
	return nil
}

// expungeSieve expunges the message of uid.
//
// cyrus: imap/sieve_db.c remove_uid (3.6.1)
func (w *MailboxWriter) expungeSieve(uid uint32) error {
	rec, ok := w.Record(uid)
	if !ok {
		return fmt.Errorf("spool: expunging record (%s:%d) failed: no such record", w.e.Name, uid)
	}
	rec.InternalFlags |= index.FlagExpunged
	return w.Rewrite(rec)
}

// activateSieveScript clears \Flagged on the active script's message and,
// unless sc is nil (deactivate) or already active, sets it on sc's.
//
// cyrus: imap/sieve_db.c activate_script (3.6.1)
func (w *MailboxWriter) activateSieveScript(ctx context.Context, db *davdb.DB, sc *davdb.SieveScript) error {
	var rec index.Record
	if sc != nil {
		if sc.IsActive {
			return nil
		}
		var ok bool
		if rec, ok = w.Record(sc.IMAPUID); !ok {
			return fmt.Errorf("spool: fetching record (%s:%d) failed: no such record", w.e.Name, sc.IMAPUID)
		}
	}
	cur, found, err := db.SieveActive(ctx)
	if err != nil {
		return err
	}
	if found {
		old, ok := w.Record(cur.IMAPUID)
		if !ok {
			return fmt.Errorf("spool: fetching record (%s:%d) failed: no such record", w.e.Name, cur.IMAPUID)
		}
		old.SystemFlags &^= index.FlagFlagged
		if err := w.Rewrite(old); err != nil {
			return err
		}
	}
	if sc == nil {
		return nil
	}
	rec.SystemFlags |= index.FlagFlagged
	return w.Rewrite(rec)
}

// SieveMessage is the message Cyrus stores in #sieve for a script: From
// the user, Subject the script name, Message-ID the SHA-1 of the content,
// the script id as attachment file name, CRLF line ends.
//
// cyrus: imap/sieve_db.c store_script (3.6.1)
func SieveMessage(userid, servername, name, id string, content []byte, now time.Time) []byte {
	from := "<" + userid + "@" + servername + ">"
	if strings.Contains(userid, "@") {
		from = "<" + userid + ">"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", encodeMimeHeader(from))
	fmt.Fprintf(&b, "Subject: %s\r\n", encodeMimeHeader(name))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Local().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", guid.Sum(content), servername)
	b.WriteString("Content-Type: application/sieve; charset=utf-8\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n", len(content))
	fmt.Fprintf(&b, "Content-Disposition: attachment;\r\n\tfilename=\"%s%s\"\r\n", id, sieveExtension)
	b.WriteString("MIME-Version: 1.0\r\n\r\n")
	b.Write(content)
	return b.Bytes()
}

// makeUUID is makeuuid as Debian builds Cyrus (without libuuid): 24
// random characters from [0-9a-z].
//
// cyrus: lib/util.c makeuuid (3.6.1)
func makeUUID() string {
	const chars = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 24)
	rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}
