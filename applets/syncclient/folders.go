package syncclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// maxReserve is how many GUIDs one APPLY RESERVE asks about at most.
const maxReserve = 8193

// loadFolders snapshots the local mailboxes named; a name that vanished
// meanwhile is skipped, as in Cyrus.
func (s *syncer) loadFolders(ctx context.Context, names []string) ([]*localFolder, error) {
	var out []*localFolder
	for _, name := range names {
		e, err := s.sp.LookupName(name)
		if errors.Is(err, spool.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if e.Deleted() {
			continue
		}
		if e.Intermediate() {
			out = append(out, &localFolder{entry: e})
			continue
		}
		m, err := s.sp.Snapshot(ctx, name)
		if errors.Is(err, spool.ErrNotFound) {
			continue
		}
		if err != nil {
			cyruslog.Xsyslog(s.log, cyruslog.LevelErr, "IOERROR: mailbox open failed", "find_reserve_all",
				"mboxname", name, "error", errText(err))
			return nil, err
		}
		out = append(out, &localFolder{entry: e, mbox: m})
	}
	return out, nil
}

// reserve asks the replica to stage the files it already has of what the
// local mailboxes hold beyond the replica's LAST_UID, and returns which
// GUIDs still need uploading.
//
// cyrus: imap/sync_support.c reserve_folder, sync_reserve_partition (3.6.1)
func (s *syncer) reserve(ctx context.Context, folders []*localFolder, byID map[string]*protocol.Mailbox, replica []*protocol.Mailbox) (uploads, error) {
	up := uploads{}
	wanted := map[string][]guid.GUID{}
	for _, lf := range folders {
		if lf.mbox == nil {
			continue
		}
		var from uint32
		if r := byID[lf.mbox.UniqueID]; r != nil {
			from = r.LastUID
		}
		part := s.targetPartition(lf.mbox.Partition)
		for i := range lf.mbox.Records {
			r := &lf.mbox.Records[i]
			if r.UID <= from || r.Unlinked() {
				continue
			}
			if _, dup := up[part][r.GUID]; !dup {
				wanted[part] = append(wanted[part], r.GUID)
			}
			up.set(part, r.GUID, true)
		}
	}
	if len(replica) == 0 {
		return up, nil // nothing on the replica: everything goes up
	}
	var names []string
	for _, r := range replica {
		names = append(names, r.Name)
	}
	parts := make([]string, 0, len(wanted))
	for p := range wanted {
		parts = append(parts, p)
	}
	sort.Strings(parts)
	for _, part := range parts {
		gs := wanted[part]
		for len(gs) > 0 {
			n := min(len(gs), maxReserve)
			for _, g := range gs[:n] {
				up.set(part, g, false) // provisionally: the replica has it
			}
			missing, err := s.c.Reserve(ctx, &protocol.ApplyReserve{Partition: part, MboxNames: names, GUIDs: gs[:n]})
			if err != nil {
				s.logNo("RESERVE", err)
				s.log.Error(fmt.Sprintf("reserve messages: failed: %s", errText(err)))
				return nil, err
			}
			for _, g := range missing {
				up.set(part, g, true)
			}
			gs = gs[n:]
		}
	}
	return up, nil
}

// rename is one queued replica rename.
type rename struct {
	from, to, part string
	uidvalidity    uint32
	done           bool
}

// doFolders makes the replica's folders match the local ones named:
// matched by uniqueid, renamed where names or partitions differ, deleted
// (user sync only) where the master has a tombstone, then each updated. It
// returns errAgain after renames, for the caller to read the replica again,
// and otherwise the folders as loaded (for their quota roots).
//
// cyrus: imap/sync_support.c do_folders (3.6.1)
func (s *syncer) doFolders(ctx context.Context, names []string, replica []*protocol.Mailbox, deleteRemote bool) ([]*localFolder, error) {
	folders, err := s.loadFolders(ctx, names)
	if err != nil {
		return nil, err
	}
	byID := map[string]*protocol.Mailbox{}
	for _, r := range replica {
		byID[r.UniqueID] = r
	}
	up, err := s.reserve(ctx, folders, byID, replica)
	if err != nil {
		return nil, err
	}
	matched := map[string]bool{}
	var renames []*rename
	for _, lf := range folders {
		r := byID[lf.entry.UniqueID]
		if r == nil {
			continue
		}
		matched[r.UniqueID] = true
		part := s.targetPartition(lf.entry.Partition)
		if r.Name != lf.entry.Name || (!lf.entry.Intermediate() && r.Partition != part) {
			renames = append(renames, &rename{from: r.Name, to: lf.entry.Name, part: part, uidvalidity: lf.entry.UIDValidity})
		}
	}
	if deleteRemote {
		for _, r := range childrenFirst(replica) {
			if matched[r.UniqueID] {
				continue
			}
			if err := s.deleteRemote(ctx, r.Name); err != nil {
				return nil, err
			}
		}
	}
	if len(renames) > 0 {
		if err := s.sendRenames(ctx, renames); err != nil {
			return nil, err
		}
		return nil, errAgain
	}
	if err := s.updateFolders(ctx, folders, byID, up); err != nil {
		return nil, err
	}
	return folders, nil
}

// childrenFirst returns the replica folders in reverse name order, so that
// every folder comes before its parent.
//
// Cyrus 3.6 deletes in the replica's (ascending) order: a deleted parent
// whose child is still there becomes an intermediate mailbox on the
// replica, and only the next run deletes that (a second UNMAILBOX of the
// same name). Deleting children first ends in the same replica state in
// one run, and a second run has nothing to send.
//
// cyrus: imap/sync_support.c do_folders (3.6.1)
func childrenFirst(replica []*protocol.Mailbox) []*protocol.Mailbox {
	out := slices.Clone(replica)
	slices.SortStableFunc(out, func(a, b *protocol.Mailbox) int { return strings.Compare(b.Name, a.Name) })
	return out
}

// deleteRemote removes a replica folder the master no longer has, but only
// if the master's mailboxes.db has a tombstone under that name.
//
// cyrus: imap/sync_support.c do_folders, sync_do_folder_delete (3.6.1)
func (s *syncer) deleteRemote(ctx context.Context, name string) error {
	e, err := s.sp.LookupName(name)
	if err != nil || !e.Deleted() {
		s.log.Error(fmt.Sprintf("do_folders: no tombstone for deleted mailbox %s (%s)", name, errText(err)), "mailbox", name)
		return nil
	}
	s.action("%s %s", s.local("UNMAILBOX"), name)
	err = s.do(ctx, &protocol.ApplyUnmailbox{Local: s.o.LocalOnly, Name: name})
	if err == nil || isCode(err, protocol.CodeMailboxNonexistent) {
		return nil
	}
	s.log.Error(fmt.Sprintf("sync_do_folder_delete(): failed: %s '%s'", name, errText(err)), "mailbox", name)
	return err
}

// sendRenames sends the queued renames in an order that never renames onto
// a name another pending rename still has to move away (a rename to the
// same name, a partition move, is never held back). A pass without
// progress (a cycle: two folders swapped names) gives errAgain, as in
// Cyrus 3.6, which has no way out of it either (3.12 goes through a former
// name).
//
// cyrus: imap/sync_support.c do_folders, sync_rename_lookup (3.6.1)
func (s *syncer) sendRenames(ctx context.Context, renames []*rename) error {
	// lookup is sync_rename_lookup: the first rename away from name.
	lookup := func(name string) *rename {
		for _, o := range renames {
			if o.from == name {
				return o
			}
		}
		return nil
	}
	done := 0
	for done < len(renames) {
		progress := false
		var blocker *rename
		for _, r := range renames {
			if r.done {
				continue
			}
			if r.from != r.to {
				blocker = lookup(r.to)
				if blocker != nil && !blocker.done {
					continue
				}
			}
			s.action("%s %s -> %s (%s)", s.local("RENAME"), r.from, r.to, r.part)
			err := s.do(ctx, &protocol.ApplyRename{Local: s.o.LocalOnly, OldName: r.from, NewName: r.to,
				Partition: r.part, UIDValidity: r.uidvalidity})
			if err != nil {
				s.log.Error(fmt.Sprintf("do_folders(): failed to rename: %s -> %s ", r.from, r.to))
				return err
			}
			r.done, progress = true, true
			done++
		}
		if !progress {
			// Cyrus names the rename that held up the last one tried.
			name := "unknown"
			if blocker != nil {
				name = blocker.from
			}
			s.log.Error(fmt.Sprintf("do_folders(): failed to order folders correctly at %s", name))
			return errAgain
		}
	}
	return nil
}
