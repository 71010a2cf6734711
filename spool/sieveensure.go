package spool

import (
	"context"
	"errors"
	"os"
)

// EnsureSieveFolder is sieve_ensure_folder: userid's #sieve mailbox is
// created when missing (a local create: new uniqueid, the user's rights)
// and the legacy "<name>.script" files of the user's sieve directory are
// moved into it, all under the user's namespace lock. With mustExist
// false (sync_client's call, which passes no mailbox) a user without a
// sieve directory is left alone; with it the directory is made first. It
// reports whether #sieve was created and the names of the scripts moved
// in, in the order they were stored.
//
// cyrus: imap/sieve_db.c sieve_ensure_folder (3.6.1)
func (s *Spool) EnsureSieveFolder(ctx context.Context, userid string, mustExist bool) (created bool, migrated []string, err error) {
	dir, err := s.SieveDir(userid)
	if err != nil {
		return false, nil, err
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if !mustExist {
			return false, nil, nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, nil, err
		}
	} else if err != nil {
		return false, nil, err
	}
	name := s.SieveMailbox(userid)
	if e, err := s.LookupName(name); err == nil && !e.Deleted() {
		return false, nil, nil
	}
	release, err := s.lockUsers(ctx, name)
	if err != nil {
		return false, nil, mboxErr("create", name, err)
	}
	if e, err := s.lookupAll(name); err == nil && e != nil && !e.Deleted() {
		release() // lost the race
		return false, nil, nil
	}
	defer release()
	if _, err := s.createMailbox(ctx, CreateParams{Name: name, Type: KindSieve}, createFlags{}); err != nil {
		return false, nil, mboxErr("create", name, err)
	}
	// Still under the namespace lock, as Cyrus migrates: nobody sees
	// the new #sieve before the scripts are in.
	migrated, err = s.migrateSieveScripts(ctx, userid, s.openLockedWriter)
	return true, migrated, err
}
