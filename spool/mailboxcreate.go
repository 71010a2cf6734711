package spool

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/spool/index"
)

// CreateParams describes a mailbox to create, as sync_apply_mailbox hands
// it to mboxlist_createmailbox in sync mode.
type CreateParams struct {
	// Name is the internal name.
	Name string
	// UniqueID is the uniqueid; "" makes a new one.
	UniqueID string
	// Partition is the partition; "" takes the parent's, else
	// defaultpartition.
	Partition string
	// ACL is the access control list; nil inherits the parent's (the owner
	// gets every right on a new INBOX, others get defaultacl).
	ACL ACL
	// Type is the mailbox type (kind and flags). TypeLegacyDirs is
	// decided here, as Cyrus does: the user INBOX's, or
	// mailbox_legacy_dirs.
	Type MBType
	// UIDValidity, CreatedModseq, FolderModseq and HighestModseq are the
	// master's values; zero ones are made up as Cyrus makes them up.
	UIDValidity                                uint32
	CreatedModseq, FolderModseq, HighestModseq uint64
	// Options are the index header options (OPTIONS, sync_parse_options).
	Options index.Options
	// StartEmpty writes the new cyrus.index with HIGHESTMODSEQ 0 (the
	// mailboxes.db entry, createdmodseq and quota still use
	// HighestModseq). sync_server's apply sets it to 0 anyway before the
	// records go in; on disk from the start, a crash before they are in
	// leaves a mailbox every client sees as lacking all of them, rather
	// than one with the master's HIGHESTMODSEQ and no records.
	StartEmpty bool
}

// createFlags are the MBOXLIST_CREATE_* flags our callers use.
type createFlags struct {
	sync      bool // MBOXLIST_CREATE_SYNC
	keepInter bool // MBOXLIST_CREATE_KEEP_INTERMEDIARIES
	forceUser bool // MBOXLIST_CREATE_FORCEUSER
}

// CreateMailbox creates a mailbox as sync_server does (admin, sync mode):
// under the owner's namespace lock, the directories, cyrus.header and a
// record-less cyrus.index (version 17), the folder counted in the quota
// root (NF), the N and I entries in mailboxes.db, then mailboxes standing
// for missing ancestors that have children (Cyrus 3.6.1 makes them real
// mailboxes). The refusals are Cyrus's, as *MailboxError wrapping
// ErrMailboxExists, ErrPermissionDenied (a user sub-mailbox without the
// user's INBOX), ErrPartitionUnknown, ErrBadName or ErrQuotaExceeded.
//
// A crash part-way leaves at worst: an unused directory under uuid/ with
// an empty or complete cyrus.index (no entry names it; a new create with
// the same uniqueid truncates and reuses it), or, for a user INBOX, the
// placeholder entry "T <kind>i" that Cyrus treats as missing and that the
// next create (ours or Cyrus's) of that name replaces.
//
// cyrus: imap/mboxlist.c mboxlist_createmailbox; imap/mailbox.c mailbox_create (3.6.1)
func (s *Spool) CreateMailbox(ctx context.Context, p CreateParams) (*Entry, error) {
	if s.cfg.Conversations() {
		return nil, mboxErr("create", p.Name, fmt.Errorf("conversations: yes: %w", ErrUnsupported))
	}
	release, err := s.lockUsers(ctx, p.Name)
	if err != nil {
		return nil, mboxErr("create", p.Name, err)
	}
	defer release()
	e, err := s.createMailbox(ctx, p, createFlags{sync: true})
	return e, mboxErr("create", p.Name, err)
}

// createMailbox is mboxlist_createmailbox with the namespace lock held.
func (s *Spool) createMailbox(ctx context.Context, p CreateParams, fl createFlags) (*Entry, error) {
	if err := s.createNameCheck(p.Name, fl.forceUser); err != nil {
		return nil, err
	}
	if !fl.sync {
		p.Options |= index.Options(s.cfg.Int("mailbox_default_options")) | index.OptPOP3NewUIDL
		old, err := s.lookupAll(p.Name)
		if err != nil {
			return nil, err
		}
		switch {
		case old != nil && old.Deleted():
			if p.UIDValidity <= old.UIDValidity {
				p.UIDValidity = old.UIDValidity + 1
			}
		case old != nil && old.Intermediate():
			if p.UniqueID == "" {
				p.UniqueID = old.UniqueID
			}
			p.CreatedModseq = old.CreatedModseq
		}
	}
	acl := p.ACL
	if acl == nil {
		var err error
		if acl, err = s.createACL(p.Name); err != nil {
			return nil, err
		}
	}
	part, err := s.createPartition(p.Name, p.Partition)
	if err != nil {
		return nil, err
	}
	mbtype := p.Type &^ TypeLegacyDirs
	legacy, err := s.inheritsLegacyDirs(p.Name)
	if err != nil {
		return nil, err
	}
	if legacy {
		mbtype |= TypeLegacyDirs
	}
	e := &Entry{Name: p.Name, Type: mbtype, Partition: part, ACL: acl, UniqueID: p.UniqueID}
	mb, err := s.createFiles(ctx, e, p.Options, p.UIDValidity, p.CreatedModseq, p.HighestModseq, p.StartEmpty)
	if err != nil {
		return nil, err
	}
	defer mb.close()
	e.FolderModseq = p.FolderModseq
	if e.FolderModseq == 0 {
		e.FolderModseq = mb.highestModseq
	}
	if err := s.withList(func(t *listTx) error { return t.update(e.Name, e) }); err != nil {
		mb.close()
		s.removeMailboxFiles(e)
		return nil, err
	}
	if !fl.keepInter {
		if err := s.updateIntermediaries(ctx, e.Name, mbtype, e.FolderModseq); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// createNameCheck is mboxlist_create_namecheck for an admin: the name
// policy, no live mailbox of that name, the folder quota of the parent's
// quota root, and no user sub-mailbox without a parent (unless forced).
//
// cyrus: imap/mboxlist.c mboxlist_create_namecheck (3.6.1)
func (s *Spool) createNameCheck(intname string, forceUser bool) error {
	if err := policyCheck(intname); err != nil {
		return err
	}
	cur, err := s.lookupLive(intname)
	if err != nil {
		return err
	}
	if cur != nil {
		return ErrMailboxExists
	}
	parent, err := s.findParent(intname, false)
	if err != nil {
		return err
	}
	if parent != nil {
		if root := s.findQuotaRoot(intname); root != "" {
			return s.checkFolderQuota(root)
		}
		return nil
	}
	m := s.layout.NS.ParseInternal(intname)
	if !forceUser && m.Deleted == 0 && m.LocalPart != "" && len(m.Boxes) > 0 {
		return ErrPermissionDenied
	}
	return nil
}

// checkFolderQuota is quota_check_useds with one more folder.
//
// cyrus: imap/quota_db.c quota_check_useds, quota_check (3.6.1)
func (s *Spool) checkFolderQuota(root string) error {
	q, err := s.Quota(root)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if limit, ok := q.Limit[ResNumFolders]; ok && limit >= 0 && q.Used[ResNumFolders]+1 > limit {
		return ErrQuotaExceeded
	}
	return nil
}

// createACL is mboxlist_create_acl: the parent's ACL; for a mailbox
// without parent, all rights for its owner, or defaultacl.
//
// cyrus: imap/mboxlist.c mboxlist_create_acl (3.6.1)
func (s *Spool) createACL(intname string) (ACL, error) {
	parent, err := s.findParent(intname, false)
	if err != nil {
		return nil, err
	}
	if parent != nil {
		return append(ACL{}, parent.ACL...), nil
	}
	if owner := s.layout.NS.UserIDOf(intname); owner != "" {
		return ACL{{ID: owner, Rights: aclAll}}, nil
	}
	acl := ACL{}
	def, _ := s.cfg.String("defaultacl")
	f := strings.Fields(def)
	for i := 0; i+1 < len(f); i += 2 {
		acl = acl.set(f[i], canonRights(f[i+1]))
	}
	return acl, nil
}

// aclAll is cyrus_acl_masktostr(ACL_ALL).
const aclAll = "lrswipkxtecdan"

// canonRights orders rights letters as cyrus_acl_masktostr prints them.
func canonRights(r string) string {
	var b strings.Builder
	for _, c := range aclAll + "0123456789" {
		if strings.ContainsRune(r, c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// set replaces or appends id's rights (cyrus_acl_set, ACL_MODE_SET).
func (a ACL) set(id, rights string) ACL {
	for i := range a {
		if a[i].ID == id {
			a[i].Rights = rights
			return a
		}
	}
	return append(a, ACLEntry{ID: id, Rights: rights})
}

// maxPartitionLen is MAX_PARTITION_LEN.
const maxPartitionLen = 64

// createPartition is mboxlist_create_partition: the given partition, the
// parent's, or defaultpartition; it must be configured.
//
// cyrus: imap/mboxlist.c mboxlist_create_partition (3.6.1)
func (s *Spool) createPartition(intname, part string) (string, error) {
	if part == "" {
		parent, err := s.findParent(intname, false)
		if err != nil {
			return "", err
		}
		if parent != nil {
			part = parent.Partition
		}
	}
	if part == "" {
		part, _ = s.cfg.DefaultPartition()
	}
	if part == "" || len(part) > maxPartitionLen {
		return "", ErrPartitionUnknown
	}
	if d, ok := s.cfg.PartitionDir(part); !ok || d == "" {
		return "", fmt.Errorf("partition %q: %w", part, ErrPartitionUnknown)
	}
	return part, nil
}

// inheritsLegacyDirs is the layout choice of mboxlist_createmailbox: the
// user INBOX's (for a shared mailbox, the nearest parent's), else
// mailbox_legacy_dirs.
func (s *Spool) inheritsLegacyDirs(intname string) (bool, error) {
	var from *Entry
	var err error
	if owner := s.layout.NS.UserIDOf(intname); owner != "" {
		from, err = s.lookupLive(s.layout.NS.UserInbox(owner))
	} else {
		from, err = s.findParent(intname, false)
	}
	if err != nil {
		return false, err
	}
	if from != nil {
		return from.LegacyDirs(), nil
	}
	return s.cfg.MailboxLegacyDirs(), nil
}

// lookupAll returns the N entry of intname whatever its type, nil if none.
func (s *Spool) lookupAll(intname string) (*Entry, error) {
	e, err := s.LookupName(intname)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return e, err
}

// lookupLive is mboxlist_lookup: nil for a missing name, a tombstone or
// an intermediate; ErrMailboxReserved for a reserved one.
func (s *Spool) lookupLive(intname string) (*Entry, error) {
	e, err := s.lookupAll(intname)
	if err != nil || e == nil {
		return nil, err
	}
	if e.Type&TypeReserve != 0 {
		return nil, ErrMailboxReserved
	}
	if e.Type&(TypeDeleted|TypeIntermediate) != 0 {
		return nil, nil
	}
	return e, nil
}

// findParent is _findparent: the nearest ancestor with an entry (live
// ones only unless allowAll), skipping a level that is exactly INBOX;
// nil if there is none.
//
// cyrus: imap/mboxlist.c _findparent (3.6.1)
func (s *Spool) findParent(intname string, allowAll bool) (*Entry, error) {
	m := s.layout.NS.ParseInternal(intname)
	for len(m.Boxes) > 0 {
		m.Boxes = m.Boxes[:len(m.Boxes)-1]
		if len(m.Boxes) == 1 && m.Boxes[0] == "INBOX" {
			m.Boxes = nil
		}
		if m.LocalPart == "" && len(m.Boxes) == 0 {
			return nil, nil
		}
		name := s.layout.NS.Internal(m)
		var e *Entry
		var err error
		if allowAll {
			e, err = s.lookupAll(name)
		} else {
			e, err = s.lookupLive(name)
			if errors.Is(err, ErrMailboxReserved) {
				return nil, err
			}
		}
		if err != nil || e != nil {
			return e, err
		}
	}
	return nil, nil
}
