package spool

import (
	"context"
	"os"
	"path/filepath"
	"strings"
)

// removeMailboxFiles is mailbox_delete_cleanup: it unlinks every file in
// the mailbox's data directory and in the directories of its metadata
// files, then removes those directories and, walking up the name while
// the parent mailbox does not exist (or lives on another partition), the
// directories above them that are left empty. A legacy (by-name)
// directory is kept while a child mailbox on the same partition lives
// inside it. Errors are ignored, as Cyrus ignores them; nothing above the
// partition roots is touched.
//
// cyrus: imap/mailbox.c mailbox_delete_cleanup, mailbox_delete_files (3.6.1)
func (s *Spool) removeMailboxFiles(e *Entry) {
	var paths, roots []string
	if d, err := s.MailboxDir(e); err == nil {
		paths = append(paths, d)
	}
	for _, f := range []MetaFile{MetaHeader, MetaIndex, MetaCache, MetaSquat, MetaAnnotations, MetaArchiveCache} {
		if p, err := s.MetaPath(e, f); err == nil {
			paths = append(paths, filepath.Dir(p))
		}
	}
	for _, p := range paths {
		unlinkFiles(p)
		roots = append(roots, s.rootOf(e, p))
	}
	name := e.Name
	for {
		if e.LegacyDirs() && s.hasChildOn(name, e.Partition) {
			return
		}
		for i, p := range paths {
			if p != roots[i] && len(p) > len(roots[i]) {
				os.Remove(p)
				paths[i] = filepath.Dir(p)
			}
		}
		i := strings.LastIndexByte(name, '.')
		if i < 0 || strings.ContainsRune(name[i:], '!') {
			return
		}
		name = name[:i]
		if name == "user" || strings.HasSuffix(name, "!user") {
			return
		}
		parent, err := s.lookupLive(name)
		if err != nil {
			return
		}
		if parent != nil && (parent.Type&TypeMoving != 0 || parent.Partition == e.Partition) {
			return
		}
	}
}

// rootOf returns the partition-level root path p lies under ("" if none
// is known, which stops the upward walk at once).
func (s *Spool) rootOf(e *Entry, p string) string {
	cands := []string{}
	if d, ok := s.cfg.PartitionDir(e.Partition); ok {
		cands = append(cands, d)
	}
	if d, ok := s.cfg.MetaPartitionDir(e.Partition); ok {
		cands = append(cands, d)
	}
	if d, ok := s.cfg.ArchivePartitionDir(e.Partition); ok {
		cands = append(cands, d)
	}
	for _, k := range []string{"metadir-header-", "metadir-index-", "metadir-cache-", "metadir-squat-", "metadir-archivecache-"} {
		if d, ok := s.cfg.Overflow(k + e.Partition); ok {
			cands = append(cands, d)
		}
	}
	for _, c := range cands {
		c = filepath.Clean(c)
		if strings.HasPrefix(p, c+"/") {
			return c
		}
	}
	return p
}

// unlinkFiles removes every non-directory entry of dir.
func unlinkFiles(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range ents {
		if !de.IsDir() {
			os.Remove(filepath.Join(dir, de.Name()))
		}
	}
}

// hasChildOn reports whether a live mailbox below intname is on partition
// part.
//
// cyrus: imap/mailbox.c chkchildren (3.6.1)
func (s *Spool) hasChildOn(intname, part string) bool {
	l, err := s.MailboxList()
	if err != nil {
		return true // keep the directory when in doubt
	}
	for e, err := range l.EntriesWithPrefix(context.Background(), intname+".") {
		if err != nil {
			return true
		}
		if e.Type&(TypeDeleted|TypeIntermediate) == 0 && e.Partition == part {
			return true
		}
	}
	return false
}

// hasChildren is mboxlist_haschildren on a fresh snapshot.
func (s *Spool) hasChildren(intname string) (bool, error) {
	l, err := s.MailboxList()
	if err != nil {
		return false, err
	}
	for e, err := range l.EntriesWithPrefix(context.Background(), intname+".") {
		if err != nil {
			return false, err
		}
		if e.Type&(TypeDeleted|TypeIntermediate) == 0 {
			return true, nil
		}
	}
	return false, nil
}

// updateIntermediaries is mboxlist_update_intermediaries: for a user
// mailbox, every ancestor below the INBOX that has no entry (or only a
// tombstone) but has live children becomes a mailbox of its own — in
// 3.6.1 a real one, with files — on the partition of the nearest
// ancestor, with createdmodseq and foldermodseq modseq.
//
// cyrus: imap/mboxlist.c mboxlist_update_intermediaries (3.6.1)
func (s *Spool) updateIntermediaries(ctx context.Context, intname string, mbtype MBType, modseq uint64) error {
	m := s.layout.NS.ParseInternal(intname)
	if m.Deleted != 0 || m.LocalPart == "" {
		return nil
	}
	partition := ""
	for ; len(m.Boxes) > 0; m.Boxes = m.Boxes[:len(m.Boxes)-1] {
		if len(m.Boxes) == 1 && m.Boxes[0] == "INBOX" {
			return nil
		}
		name := s.layout.NS.Internal(m)
		e, err := s.lookupAll(name)
		if err != nil {
			return err
		}
		if e != nil && !e.Deleted() {
			continue
		}
		kids, err := s.hasChildren(name)
		if err != nil {
			return err
		}
		if !kids {
			continue
		}
		if partition == "" {
			parent, err := s.findParent(name, true)
			if err != nil {
				return err
			}
			if parent != nil {
				partition = parent.Partition
			}
		}
		p := CreateParams{Name: name, Partition: partition, Type: mbtype, CreatedModseq: modseq, FolderModseq: modseq}
		if _, err := s.createMailbox(ctx, p, createFlags{keepInter: true}); err != nil {
			return err
		}
	}
	return nil
}
