package spool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/spool/cache"
	"github.com/cyrus-replication/cyrus-replication/spool/davdb"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/sievedir"
)

// The #sieve bookkeeping of Cyrus's mailbox code: whenever a record of a
// type-f mailbox is appended or rewritten, the user's dav.db row for the
// script and the sieve directory follow (mailbox_update_sieve). Cyrus does
// it as each record changes, inside a dav.db transaction committed first
// thing in mailbox_commit. The writer notes each change (sieveChange) and
// replays them in order at the start of Commit, inside the mailbox's
// locks: the same calls in the same order, and nothing touched on Abort.

// sieveExtension ends the attachment file name that carries a script id.
const sieveExtension = ".sieve"

// sieveChange is one call of mailbox_update_sieve: old is nil for an
// appended record.
type sieveChange struct {
	old *index.Record
	new index.Record
}

// noteSieve records a change of a #sieve record for commitSieve.
func (w *MailboxWriter) noteSieve(old *index.Record, rec index.Record) {
	if w.e.Type.Kind() != KindSieve {
		return
	}
	var o *index.Record
	if old != nil {
		c := *old
		o = &c
	}
	w.sieveChanges = append(w.sieveChanges, sieveChange{old: o, new: rec})
}

// commitSieve replays the noted changes into the owner's dav.db (one
// transaction) and sieve directory.
//
// cyrus: imap/mailbox.c mailbox_update_sieve, mailbox_commit_sieve (3.6.1)
func (w *MailboxWriter) commitSieve() error {
	changes := w.sieveChanges
	w.sieveChanges = nil
	if len(changes) == 0 || w.s.layout.NS.ParseInternal(w.e.Name).Deleted != 0 {
		// never sieve bookkeeping on a deleted mailbox
		return nil
	}
	var b *sieveBook
	defer func() {
		if b != nil {
			b.close()
		}
	}()
	for _, c := range changes {
		if c.old == nil && c.new.Expunged() {
			continue // a phantom record: never existed here
		}
		if b == nil {
			var err error
			if b, err = w.s.openSieveBook(w.owner, w.e); err != nil {
				return err
			}
			if err := b.db.Begin(context.Background()); err != nil {
				return err
			}
		}
		if err := b.update(w, &c.new); err != nil {
			b.db.Rollback()
			return err
		}
	}
	if b != nil {
		return b.db.Commit()
	}
	return nil
}

// sieveBook is a user's dav.db and sieve directory, open for the
// bookkeeping of one #sieve mailbox.
type sieveBook struct {
	s         *Spool
	userid    string
	dir       string
	db        *davdb.DB
	mailboxID string // the #sieve mailbox's uniqueid
}

// openSieveBook opens (creating if needed) userid's dav.db, as Cyrus's
// dav_open_userid does, and finds the sieve directory. e is the #sieve
// mailbox (nil when only the database is wanted).
//
// cyrus: imap/dav_db.c dav_open_userid; imap/user.c user_sieve_path (3.6.1)
func (s *Spool) openSieveBook(userid string, e *Entry) (*sieveBook, error) {
	if userid == "" {
		return nil, fmt.Errorf("spool: sieve scripts of %s: not a user's mailbox", e.Name)
	}
	dir, err := s.SieveDir(userid)
	if err != nil {
		return nil, fmt.Errorf("spool: sieve directory of %s: %w", userid, err)
	}
	db, err := s.OpenDavDB(userid)
	if err != nil {
		return nil, err
	}
	b := &sieveBook{s: s, userid: userid, dir: dir, db: db}
	if e != nil {
		b.mailboxID = e.UniqueID
	}
	return b, nil
}

func (b *sieveBook) close() { b.db.Close() }

// OpenDavDB opens userid's dav.db (user/<…>/dav.db by the INBOX's
// uniqueid, or the legacy user/<h>/<user>.dav), creating or upgrading it
// to the schema of the Cyrus followed (DavDBVersion); when we run as
// root, what we create is given to the owner of Cyrus's files. The caller
// closes it.
//
// cyrus: imap/dav_db.c dav_getpath_byuserid, dav_open_userid (3.6.1, 3.10.2)
func (s *Spool) OpenDavDB(userid string) (*davdb.DB, error) {
	path, err := s.UserFilePath(userid, "dav")
	if err != nil {
		return nil, err
	}
	if err := s.mkdirAllOwned(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("spool: dav.db of %s: %w", userid, err)
	}
	db, created, err := davdb.Open(context.Background(), path, s.cfg.DavLockTimeout(), s.DavDBVersion())
	if err != nil {
		return nil, fmt.Errorf("spool: user %s: %w", userid, err)
	}
	if created {
		s.giveToLockOwner(path)
	}
	return db, nil
}

// mkdirAllOwned is os.MkdirAll (mode 0755, as cyrus_mkdir) giving each
// directory it creates to the owner of Cyrus's files when we run as root.
func (s *Spool) mkdirAllOwned(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := s.mkdirAllOwned(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil
		}
		return err
	}
	s.giveToLockOwner(dir)
	return nil
}

// update is mailbox_update_sieve for one appended or rewritten record
// (phantoms already left out): the script's row found by id, then, unless
// a newer version already owns the row, either the row is deleted (record
// unlinked), or the flags are applied (same UID: expunged drops the
// bytecode, \Flagged moves defaultbc), or the record is the script's new
// version (bytecode replaced, defaultbc if flagged, row rewritten).
//
// cyrus: imap/mailbox.c mailbox_update_sieve (3.6.1)
func (b *sieveBook) update(w *MailboxWriter, rec *index.Record) error {
	ctx := context.Background()
	where := fmt.Sprintf("%s uid %d", w.e.Name, rec.UID)
	msg, tl, err := w.sieveMessage(rec)
	if errors.Is(err, os.ErrNotExist) && rec.Unlinked() {
		// The file of an unlinked record may be gone: its row is the
		// one pointing at it.
		return b.deleteByUID(ctx, rec.UID)
	}
	if err != nil {
		return fmt.Errorf("spool: sieve script %s: %w", where, err)
	}
	id, name, err := scriptIDName(tl)
	if err != nil {
		return fmt.Errorf("spool: sieve script %s: %w", where, err)
	}
	row, _, err := b.db.SieveByID(ctx, id, true)
	if err != nil {
		return err
	}
	if row.IMAPUID > rec.UID {
		return nil // a newer version owns the row
	}
	expunged := rec.Expunged()
	active := rec.SystemFlags&index.FlagFlagged != 0
	switch {
	case rec.Unlinked():
		if row.IMAPUID == 0 {
			return nil
		}
		return b.db.DeleteSieve(ctx, row.RowID)
	case row.IMAPUID == rec.UID:
		// a flags update of the current version
		switch {
		case expunged:
			err = sievedir.DeleteScript(b.dir, name)
		case active && !row.IsActive:
			err = sievedir.Activate(b.dir, name)
		case !active && row.IsActive:
			err = sievedir.Deactivate(b.dir)
		}
		if err != nil {
			return fmt.Errorf("spool: sieve script %s: %w", where, err)
		}
		row.Modseq, row.Alive, row.IsActive = rec.Modseq, !expunged, active
		return b.db.WriteSieve(ctx, &row)
	}
	if err := b.s.mkdirAllOwned(b.dir); err != nil {
		return fmt.Errorf("spool: sieve script %s: %w", where, err)
	}
	err = sievedir.PutScript(ctx, b.dir, name, msg[tl.HeaderSize:], b.s.sievec)
	if sievedir.IsCompileError(err) {
		// lmtpd compiles it, or fails to, at the next delivery.
		if b.s.sievecLog != nil {
			b.s.sievecLog.Warn("sieve script "+name+" of "+b.userid+" not compiled", "mailbox", w.e.Name, "error", err)
		}
		err = nil
	}
	if err == nil && active {
		err = sievedir.Activate(b.dir, name)
	}
	if err != nil {
		return fmt.Errorf("spool: sieve script %s: %w", where, err)
	}
	row.LastUpdated = rec.InternalDate
	row.Mailbox = b.mailboxID
	row.IMAPUID, row.Modseq, row.CreatedModseq = rec.UID, rec.Modseq, rec.CreatedModseq
	row.Alive, row.IsActive = !expunged, active
	row.ID, row.Name, row.ContentID = id, name, tl.ContentGUID.String()
	if row.CreationDate == 0 {
		row.CreationDate = rec.InternalDate
	}
	return b.db.WriteSieve(ctx, &row)
}

// deleteByUID drops the row of the script whose current version is uid.
func (b *sieveBook) deleteByUID(ctx context.Context, uid uint32) error {
	row, found, err := b.db.SieveByUID(ctx, uid, true)
	if err != nil || !found {
		return err
	}
	return b.db.DeleteSieve(ctx, row.RowID)
}

// sieveMessage reads the message of rec and parses it as its cache entry
// holds it.
func (w *MailboxWriter) sieveMessage(rec *index.Record) ([]byte, cache.TopLevel, error) {
	path, err := w.s.MessagePath(w.e, rec.UID, rec.Archived())
	if err != nil {
		return nil, cache.TopLevel{}, err
	}
	msg, err := os.ReadFile(path)
	if err != nil {
		return nil, cache.TopLevel{}, err
	}
	tl, err := cache.ParseTopLevel(msg)
	return msg, tl, err
}

// SetSieveCompiler makes the scripts stored in #sieve mailboxes compiled
// into their bytecode by c, as Cyrus's mailbox code compiles them (see
// package sievedir), a failure logged to log; without one their stale
// bytecode is removed.
func (s *Spool) SetSieveCompiler(c sievedir.Compiler, log *slog.Logger) {
	s.sievec, s.sievecLog = c, log
}

// scriptIDName returns the script id, the FILENAME parameter without
// ".sieve" (Cyrus asserts there is one), and the name, the Subject.
func scriptIDName(tl cache.TopLevel) (id, name string, err error) {
	for _, p := range tl.DispositionParams {
		if p.Name == "FILENAME" && len(p.Value) > len(sieveExtension) && strings.HasSuffix(p.Value, sieveExtension) {
			id = strings.TrimSuffix(p.Value, sieveExtension)
		}
	}
	if id == "" {
		return "", "", errors.New(`no Content-Disposition filename="<id>.sieve"`)
	}
	if tl.Subject == nil {
		return "", "", errors.New("no Subject (the script name)")
	}
	return id, *tl.Subject, nil
}
