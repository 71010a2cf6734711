package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Per-user files user_deletedata removes always, and only when wiping the
// user (the seen state and URLAUTH keys survive a plain INBOX delete).
//
// cyrus: imap/user.c user_file_suffixes, wipe_user_file_suffixes (3.6.1)
var (
	userFileSuffixes     = []string{"dav", "sub", "counters", "conversations"}
	userWipeFileSuffixes = []string{"seen", "mboxkey"}
)

// DeleteUserData removes the user data Cyrus's user_deletedata removes for
// the user whose INBOX entry is inbox (as looked up before the user's
// mailboxes were deleted; a tombstone is fine): the sieve directory and
// its content, the user's quota roots (DeleteUserQuotaRoots), the per-user
// files dav, sub, counters and conversations and, with wipe, seen, mboxkey
// and the by-id user directory; then it sends SIGTERM to the user's other
// Cyrus processes (proc_killuser). sync_server's APPLY UNUSER wipes
// (after deleting the mailboxes, for an INBOX with legacy directories or
// one that was not a tombstone; otherwise it only removes the quota
// roots); Cyrus logs "UNUSER <userid>" to the sync log then, the caller's
// part. The caller holds the user's namespace lock, as Cyrus asserts.
//
// Not done, unlike Cyrus: removing the user's CalDAV alarms from
// caldav_alarm.sqlite3 (no SQLite here); with search_engine xapian it
// refuses (wrapping ErrUnsupported) before changing anything.
//
// cyrus: imap/user.c user_deletedata, user_deletesieve; imap/proc.c
// proc_killuser (3.6.1)
func (s *Spool) DeleteUserData(inbox *Entry, wipe bool) error {
	userid := s.layout.NS.UserIDOf(inbox.Name)
	if userid == "" {
		return fmt.Errorf("spool: delete user data: %s is not a user's mailbox", inbox.Name)
	}
	if s.cfg.SearchEngine() == "xapian" {
		return fmt.Errorf("spool: delete user data of %s: xapian index: %w", userid, ErrUnsupported)
	}
	suffixes := userFileSuffixes
	if wipe {
		suffixes = append(append([]string(nil), suffixes...), userWipeFileSuffixes...)
	}
	var paths []string
	var sieveDir string
	if !inbox.LegacyDirs() {
		dir := ByIDPath(filepath.Join(s.confDir, "user"), inbox.UniqueID)
		for _, suf := range suffixes {
			paths = append(paths, dir+"/"+suf+".db")
		}
		if wipe {
			paths = append(paths, dir)
		}
		sieveDir = ByIDPath(s.cfg.SieveDir(), inbox.UniqueID)
	} else {
		for _, suf := range suffixes {
			paths = append(paths, s.legacyUserFilePath(userid, suf))
		}
		sieveDir = s.legacySieveDir(userid)
	}
	if !s.cfg.SieveUseHomeDir() {
		removeSieveDir(sieveDir)
	}
	if err := s.DeleteUserQuotaRoots(userid); err != nil {
		return err
	}
	for _, p := range paths {
		os.Remove(p) // Cyrus ignores failures (a non-empty directory stays)
	}
	s.killUserProcesses(userid)
	return nil
}

// legacySieveDir is the by-name sieve directory of userid.
//
// cyrus: imap/user.c user_sieve_path_byname (3.6.1)
func (s *Spool) legacySieveDir(userid string) string {
	m := s.layout.NS.ParseInternal(s.layout.NS.UserInbox(userid))
	root, id := s.cfg.SieveDir(), userid
	if m.Domain != "" && s.layout.NS.VirtDomains {
		root = filepath.Join(root, "domain", s.hashDir(m.Domain), m.Domain)
		id = m.LocalPart
	}
	return filepath.Join(root, s.hashDir(id), id)
}

// removeSieveDir unlinks every entry of dir (subdirectories stay, as
// unlink fails on them) and then removes dir if it is empty.
//
// cyrus: imap/user.c user_deletesieve, delete_cb (3.6.1)
func removeSieveDir(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		syscall.Unlink(filepath.Join(dir, e.Name()))
	}
	syscall.Rmdir(dir)
}

// DeleteUserQuotaRoots removes every quota root of userid: the INBOX's and
// those below it (user.alice, user.alice.sub, not user.alicex), each
// under its file's lock.
//
// cyrus: imap/user.c user_deletequotaroots, find_p; imap/quota_db.c
// quota_deleteroot (3.6.1)
func (s *Spool) DeleteUserQuotaRoots(userid string) error {
	if err := s.quotaDBSupported(); err != nil {
		return err
	}
	inbox := s.layout.NS.UserInbox(userid)
	dir := filepath.Dir(s.QuotaPath(inbox))
	domain, _, hasDomain := cutDomain(inbox)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("spool: quota roots of %s: %w", userid, err)
	}
	for _, e := range ents {
		root := e.Name()
		if hasDomain {
			root = domain + "!" + root
		}
		if strings.HasSuffix(root, ".NEW") || (root != inbox && !strings.HasPrefix(root, inbox+".")) {
			continue
		}
		if err := s.deleteQuotaRoot(root); err != nil {
			return err
		}
	}
	return nil
}

// killUserProcesses sends SIGTERM to every process the proc directory
// (proc_path, or configdirectory/proc) lists as serving userid, but us.
//
// cyrus: imap/proc.c proc_killuser, proc_foreach, prockill_cb (3.6.1)
func (s *Spool) killUserProcesses(userid string) {
	dir, ok := s.cfg.String("proc_path")
	if !ok || dir == "" {
		dir = filepath.Join(s.confDir, "proc")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 || pid == os.Getpid() || !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line, _, _ = strings.Cut(line, "\r")
		f := strings.SplitN(line, "\t", 4) // service, host, user, rest
		if len(f) >= 3 && f[2] == userid {
			syscall.Kill(pid, syscall.SIGTERM)
		}
	}
}
