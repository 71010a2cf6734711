package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cyrus-replication/cyrus-replication/spool/davdb"
	"github.com/cyrus-replication/cyrus-replication/spool/sievedir"
)

// CleanSieveDir is the end of sync_server's GET USER: it removes from
// userid's sieve directory whatever is neither the bytecode of a live
// script of dav.db (created if missing, as Cyrus opens it) nor the
// defaultbc link to the active one, and returns the names removed.
// Cyrus cleans as if there were no scripts when dav.db cannot be opened,
// which would drop the active script's link; we remove nothing then and
// return the error.
//
// cyrus: imap/sync_support.c sync_get_user, list_cb, remove_cb (3.6.1)
func (s *Spool) CleanSieveDir(ctx context.Context, userid string) ([]string, error) {
	dir, err := s.SieveDir(userid)
	if err != nil {
		return nil, fmt.Errorf("spool: sieve directory of %s: %w", userid, err)
	}
	db, err := s.OpenDavDB(userid)
	if err != nil {
		return nil, err
	}
	rows, err := db.SieveScripts(ctx)
	db.Close()
	if err != nil {
		return nil, err
	}
	var names []string
	active := ""
	for _, r := range rows {
		names = append(names, r.Name)
		if r.IsActive {
			active = r.Name
		}
	}
	removed, err := sievedir.Clean(dir, names, active)
	if err != nil {
		return removed, fmt.Errorf("spool: sieve directory of %s: %w", userid, err)
	}
	return removed, nil
}

// DeleteSieveRows is mailbox_delete_sieve, for whoever deletes mailbox e:
// when e is a #sieve mailbox, every row of its owner's sieve_scripts goes
// (the sieve directory is left to GET USER's clean-up, as in Cyrus). Cyrus
// does this for any type-f mailbox, so also when cyr_expire finally
// removes a delayed-deleted one.
//
// cyrus: imap/mailbox.c mailbox_delete_sieve, mailbox_delete (3.6.1)
func (s *Spool) DeleteSieveRows(ctx context.Context, e *Entry) error {
	if e.Type.Kind() != KindSieve {
		return nil
	}
	userid := s.layout.NS.UserIDOf(e.Name)
	if userid == "" {
		return fmt.Errorf("spool: sieve scripts of %s: not a user's mailbox", e.Name)
	}
	db, err := s.OpenDavDB(userid)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.DeleteAllSieve(ctx)
}

// AddSieve is mailbox_add_sieve, for a #sieve mailbox that arrived under
// this name (a rename): every linked record is taken as appended, so that
// Commit writes its dav.db row and sieve directory entries.
//
// cyrus: imap/mailbox.c mailbox_add_sieve; imap/mboxlist.c
// mboxlist_renamemailbox (3.6.1)
func (w *MailboxWriter) AddSieve() {
	for _, r := range w.recs {
		if !r.Unlinked() {
			w.noteSieve(nil, r)
		}
	}
}

// addSieveRenamed is mboxlist_renamemailbox's mailbox_add_sieve for the
// mailbox just renamed to newname (the caller holds the owner's namespace
// lock): a #sieve mailbox under a name that is not a deleted one gets its
// scripts' rows and sieve directory entries.
//
// cyrus: imap/mboxlist.c mboxlist_renamemailbox (3.6.1)
func (s *Spool) addSieveRenamed(ctx context.Context, newname string) error {
	if s.layout.NS.ParseInternal(newname).Deleted != 0 {
		return nil
	}
	e, err := s.LookupName(newname)
	if err != nil || e.Type.Kind() != KindSieve {
		return err
	}
	w, err := s.openLockedWriter(ctx, newname)
	if err != nil {
		return err
	}
	w.AddSieve()
	_, err = w.Commit()
	return err
}

// jmapVacation is the script file of the JMAP vacation response, stored
// under its URN.
const (
	jmapVacation    = "jmap_vacation"
	jmapURNVacation = "urn:ietf:params:jmap:vacationresponse"
)

// MigrateSieveScripts moves the legacy "<name>.script" files of userid's
// sieve directory into the (new) #sieve mailbox, the active one flagged,
// as sieve_ensure_folder does right after creating #sieve: each is
// stored as a new script, in the directory's order (readdir's, as
// Cyrus's sievedir_foreach, so the UIDs are those Cyrus gives), and its
// file is removed once the mailbox is committed ("jmap_vacation" becomes
// the JMAP vacation URN and loses its bytecode). It returns the names
// migrated.
//
// cyrus: imap/sieve_db.c sieve_ensure_folder, migrate_cb (3.6.1)
func (s *Spool) MigrateSieveScripts(ctx context.Context, userid string) ([]string, error) {
	return s.migrateSieveScripts(ctx, userid, s.OpenMailboxWriter)
}

// migrateSieveScripts is MigrateSieveScripts opening #sieve with open.
func (s *Spool) migrateSieveScripts(ctx context.Context, userid string, open func(context.Context, string) (*MailboxWriter, error)) ([]string, error) {
	dir, err := s.SieveDir(userid)
	if err != nil {
		return nil, fmt.Errorf("spool: sieve directory of %s: %w", userid, err)
	}
	entries, err := readDirUnsorted(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: sieve directory of %s: %w", userid, err)
	}
	active, err := sievedir.Active(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: sieve directory of %s: %w", userid, err)
	}
	var files []string
	for _, e := range entries {
		if _, ok := scriptName(e.Name(), sievedir.ScriptSuffix); ok && e.Type().IsRegular() {
			files = append(files, e.Name())
		}
	}
	if len(files) == 0 {
		return nil, nil
	}
	w, db, err := s.openSieveWith(ctx, userid, open)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		content, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue // Cyrus skips a script it cannot read
		}
		name, _ := scriptName(f, sievedir.ScriptSuffix)
		sc := davdb.SieveScript{Name: name, IsActive: name == active}
		if name == jmapVacation {
			sc.ID, sc.Name = jmapURNVacation, jmapURNVacation
		}
		if err := w.StoreSieveScript(userid, sc, content); err != nil {
			_, err = commitSieveOp(w, db, err)
			return nil, err
		}
		names = append(names, name)
	}
	if _, err := commitSieveOp(w, db, nil); err != nil {
		return nil, err
	}
	for _, name := range names {
		os.Remove(filepath.Join(dir, name+sievedir.ScriptSuffix))
		if name == jmapVacation {
			if err := sievedir.DeleteScript(dir, name); err != nil {
				return names, fmt.Errorf("spool: sieve directory of %s: %w", userid, err)
			}
		}
	}
	return names, nil
}

// readDirUnsorted lists dir in the order the file system returns its
// entries (os.ReadDir sorts them by name).
func readDirUnsorted(dir string) ([]os.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}
