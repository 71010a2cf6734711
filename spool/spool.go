package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/spool/sievedir"
)

// ErrNotFound is returned (wrapped) when a mailbox, user or file does not
// exist.
var ErrNotFound = errors.New("not found")

// Spool is a Cyrus mail store described by one imapd.conf. It is safe for
// concurrent use; every read takes the locks Cyrus's own readers take, for
// no longer than needed.
type Spool struct {
	cfg     *conf.Config
	layout  Layout
	confDir string
	lockDir string
	metaSet map[string]bool

	mu    sync.Mutex
	mlist *MailboxList

	// sievec compiles the scripts stored in #sieve (nil: none); its
	// failures go to sievecLog.
	sievec    sievedir.Compiler
	sievecLog *slog.Logger
}

// Open prepares reading the spool cfg describes. It reads nothing yet.
func Open(cfg *conf.Config) (*Spool, error) {
	if cfg.ConfigDirectory() == "" {
		return nil, fmt.Errorf("spool: %s: configdirectory not set", cfg.Path)
	}
	s := &Spool{
		cfg:     cfg,
		layout:  Layout{HashSpool: cfg.HashIMAPSpool(), FullDirHash: cfg.FullDirHash(), NS: cfg.Namespace()},
		confDir: cfg.ConfigDirectory(),
		lockDir: cfg.MboxnameLockPath(),
		metaSet: map[string]bool{},
	}
	for _, f := range cfg.Bitfield("metapartition_files") {
		s.metaSet[f] = true
	}
	return s, nil
}

// Config returns the configuration the spool was opened with.
func (s *Spool) Config() *conf.Config { return s.cfg }

// Layout returns the path layout (hashimapspool, fulldirhash, names).
func (s *Spool) Layout() Layout { return s.layout }

// ConfigDir returns configdirectory.
func (s *Spool) ConfigDir() string { return s.confDir }

// dbPath returns <option> if set, else configdirectory/<file>.
func (s *Spool) dbPath(option, file string) string {
	if p, ok := s.cfg.String(option); ok && p != "" {
		return p
	}
	return filepath.Join(s.confDir, file)
}

// partitionDir returns partition-<name>.
func (s *Spool) partitionDir(part string) (string, error) {
	d, ok := s.cfg.PartitionDir(part)
	if !ok || d == "" {
		return "", fmt.Errorf("spool: partition %q: no partition-%s in %s", part, part, s.cfg.Path)
	}
	return d, nil
}

// MailboxDir returns the data directory of a mailbox entry (where the
// message files live): by uniqueid, or by name for legacy-layout entries.
//
// cyrus: imap/mboxname.c mboxname_datapath (3.6.1)
func (s *Spool) MailboxDir(e *Entry) (string, error) {
	root, err := s.partitionDir(e.Partition)
	if err != nil {
		return "", err
	}
	return s.dirUnder(root, e), nil
}

// dirUnder is the mailbox directory of e under root.
func (s *Spool) dirUnder(root string, e *Entry) string {
	if e.LegacyDirs() || e.UniqueID == "" {
		return s.layout.ByNamePath(root, e.Name)
	}
	return ByIDPath(root, e.UniqueID)
}

// ArchiveDir returns the directory of ARCHIVED message files of e: under
// archivepartition-<P> while archive_enabled is set, else the data
// directory.
//
// cyrus: imap/mboxname.c mboxname_archivepath (3.6.1)
func (s *Spool) ArchiveDir(e *Entry) (string, error) {
	if root, ok := s.cfg.ArchivePartitionDir(e.Partition); ok && root != "" {
		return s.dirUnder(root, e), nil
	}
	return s.MailboxDir(e)
}

// MetaPath returns the path of a metadata file of e, honouring
// metadir-*-<partition>, metapartition-<partition> with
// metapartition_files, and archivepartition for the archive cache.
//
// cyrus: imap/mboxname.c mboxname_metapath (3.6.1)
func (s *Spool) MetaPath(e *Entry, f MetaFile) (string, error) {
	mf := metaFiles[f]
	root, ok := s.cfg.Overflow(mf.confkey + e.Partition)
	if !ok || root == "" {
		root = ""
		if s.metaSet[mf.bit] {
			root, _ = s.cfg.MetaPartitionDir(e.Partition)
		}
	}
	if root == "" && f == MetaArchiveCache {
		root, _ = s.cfg.ArchivePartitionDir(e.Partition)
	}
	if root == "" {
		var err error
		if root, err = s.partitionDir(e.Partition); err != nil {
			return "", err
		}
	}
	return filepath.Join(s.dirUnder(root, e), mf.file), nil
}

// MessagePath returns the path of message file <uid>. of e, on the archive
// partition if archived.
func (s *Spool) MessagePath(e *Entry, uid uint32, archived bool) (string, error) {
	var dir string
	var err error
	if archived {
		dir, err = s.ArchiveDir(e)
	} else {
		dir, err = s.MailboxDir(e)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%d.", dir, uid), nil
}

// LockPath returns the file of the named lock name (a uniqueid, a legacy
// internal mailbox name, "*U*<userid>", "$QUOTACHANGE", …).
//
// cyrus: imap/mboxname.c mboxname_lockpath (3.6.1)
func (s *Spool) LockPath(name string) string {
	return s.layout.ByNamePath(s.lockDir, name) + ".lock"
}

// QuotaPath returns the quotalegacy file of quota root root
// (docs/spool-layout.md).
//
// cyrus: lib/cyrusdb_quotalegacy.c hash_quota (3.6.1)
func (s *Spool) QuotaPath(root string) string {
	base := s.confDir
	if dom, rest, ok := cutDomain(root); ok {
		base = filepath.Join(base, "domain", s.hashDir(dom), dom)
		if rest == "" {
			return filepath.Join(base, "quota", "root")
		}
		root = rest
	}
	h := root
	if _, after, ok := cutDot(root); ok {
		h = after
	}
	return filepath.Join(base, "quota", string(DirHash(h, s.layout.FullDirHash)), root)
}

func (s *Spool) hashDir(name string) string {
	return string(DirHash(name, s.layout.FullDirHash))
}

func cutDomain(name string) (dom, rest string, ok bool) {
	for i := 0; i < len(name); i++ {
		if name[i] == '!' {
			return name[:i], name[i+1:], true
		}
	}
	return "", name, false
}

func cutDot(s string) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// UserFilePath returns the per-user file with the given suffix ("seen",
// "sub", "counters", "dav", …) of userid: by the INBOX's uniqueid
// (user/uuid/…/<suffix>.db) unless the INBOX entry is legacy-layout or
// missing, else the legacy user/<h>/<localpart>.<suffix>
// (docs/spool-layout.md).
// Like Cyrus it takes the INBOX entry of any type: a deleted user's
// tombstone still names its files. Cyrus also looks at the INBOX's former
// names while a user rename is under way; this reader does not (it sees
// the state before or after the rename).
//
// cyrus: imap/mboxname.c mboxname_conf_getpath (3.6.1)
func (s *Spool) UserFilePath(userid, suffix string) (string, error) {
	e, err := s.LookupName(s.layout.NS.UserInbox(userid))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	if e != nil && e.UniqueID != "" && !e.LegacyDirs() {
		return ByIDPath(filepath.Join(s.confDir, "user"), e.UniqueID) + "/" + suffix + ".db", nil
	}
	return s.legacyUserFilePath(userid, suffix), nil
}

func (s *Spool) legacyUserFilePath(userid, suffix string) string {
	m := s.layout.NS.ParseInternal(s.layout.NS.UserInbox(userid))
	base := s.confDir
	if m.Domain != "" {
		base = filepath.Join(base, "domain", s.hashDir(m.Domain), m.Domain)
	}
	return filepath.Join(base, "user", s.hashDir(m.LocalPart), m.LocalPart+"."+suffix)
}

// SieveDir returns the sieve directory of userid ("" for global scripts):
// <sievedir>/uuid/… for by-id users, <sievedir>/<h>/<userid> otherwise.
//
// cyrus: imap/user.c user_sieve_path (3.6.1)
func (s *Spool) SieveDir(userid string) (string, error) {
	root := s.cfg.SieveDir()
	if userid == "" {
		return filepath.Join(root, "global"), nil
	}
	e, err := s.userInbox(userid)
	if err != nil {
		return "", err
	}
	if !e.LegacyDirs() {
		return ByIDPath(root, e.UniqueID), nil
	}
	m := s.layout.NS.ParseInternal(s.layout.NS.UserInbox(userid))
	id := userid
	if m.Domain != "" && s.layout.NS.VirtDomains {
		root = filepath.Join(root, "domain", s.hashDir(m.Domain), m.Domain)
		id = m.LocalPart
	}
	return filepath.Join(root, s.hashDir(id), id), nil
}

// userInbox returns the INBOX entry of userid, ErrNotFound if none.
func (s *Spool) userInbox(userid string) (*Entry, error) {
	e, err := s.LookupName(s.layout.NS.UserInbox(userid))
	if err != nil {
		return nil, err
	}
	if !e.HasFiles() {
		return nil, fmt.Errorf("spool: user %s: INBOX %w", userid, ErrNotFound)
	}
	return e, nil
}
