package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cyrus-replication/cyrus-replication/spool/header"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// metaCopies are the metadata files mailbox_copy_files copies: header and
// index always, the others if present; only cyrus.squat is hard-linked.
//
// cyrus: imap/mailbox.c meta_files (3.6.1)
var metaCopies = []struct {
	f                MetaFile
	optional, nolink bool
}{
	{MetaHeader, false, true}, {MetaIndex, false, true}, {MetaCache, true, true},
	{MetaSquat, true, false}, {MetaAnnotations, true, true}, {MetaArchiveCache, true, true},
}

// copyMailboxFiles is mailbox_copy_files: w's metadata files and the
// message files of its records (not the unlinked ones) placed for entry
// n (another name or partition).
//
// cyrus: imap/mailbox.c mailbox_copy_files (3.6.1)
func (s *Spool) copyMailboxFiles(w *MailboxWriter, n *Entry) error {
	root, err := s.partitionDir(n.Partition)
	if err != nil {
		return err
	}
	for _, mc := range metaCopies {
		from, err := s.MetaPath(w.e, mc.f)
		if err != nil {
			return err
		}
		to, err := s.MetaPath(n, mc.f)
		if err != nil {
			return err
		}
		if err := mkdirLike(filepath.Dir(to), root); err != nil {
			return err
		}
		os.Remove(to)
		if _, err := os.Stat(from); mc.optional && errors.Is(err, os.ErrNotExist) {
			continue
		}
		if mc.nolink {
			err = copyContent(from, to)
		} else {
			err = copyFile(from, to)
		}
		if err != nil {
			return fmt.Errorf("copy %s: %w", from, err)
		}
		chownLike(to, root)
	}
	for _, r := range w.recs {
		if r.InternalFlags&index.FlagUnlinked != 0 {
			continue
		}
		archived := r.InternalFlags&index.FlagArchived != 0
		from, err := s.MessagePath(w.e, r.UID, archived)
		if err != nil {
			return err
		}
		to, err := s.MessagePath(n, r.UID, archived)
		if err != nil {
			return err
		}
		if err := mkdirLike(filepath.Dir(to), root); err != nil {
			return err
		}
		if err := copyFile(from, to); err != nil {
			return fmt.Errorf("copy %s: %w", from, err)
		}
	}
	return nil
}

// copyContent copies a file into a new inode, synced: Cyrus's
// COPYFILE_NOLINK, and the fallback where a hard link is impossible.
//
// cyrus: lib/util.c cyrus_copyfile (3.6.1): created 0666, less the umask
func copyContent(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}

// renameCopy is the legacy-layout rename: mailbox_rename_copy creates
// the new mailbox (same uniqueid, counted in its quota root), copies the
// files over it and fixes its header, index header and quota usage; then
// the entries are written and the old mailbox deleted (its usage leaves
// its quota root, its files are removed).
//
// cyrus: imap/mailbox.c mailbox_rename_copy, mailbox_rename_cleanup;
// imap/mboxlist.c mboxlist_renamemailbox (3.6.1)
func (s *Spool) renameCopy(ctx context.Context, w *MailboxWriter, newname, partition string, uidvalidity uint32, o renameOpts) error {
	part, err := s.createPartition(newname, partition)
	if err != nil {
		return err
	}
	if uidvalidity == 0 {
		uidvalidity = w.h.UIDValidity
	}
	var highest uint64
	if o.silent {
		highest = w.h.HighestModseq
	}
	n := &Entry{Name: newname, Type: w.e.Type, Partition: part, ACL: w.e.ACL, UniqueID: w.e.UniqueID}
	nb, err := s.createFiles(ctx, n, w.h.Options, uidvalidity, w.h.CreatedModseq, highest, false)
	if err != nil {
		return err
	}
	defer nb.close()
	fail := func(err error) error {
		nb.close()
		s.removeMailboxFiles(n)
		return err
	}
	if err := s.copyMailboxFiles(w, n); err != nil {
		return fail(err)
	}
	if err := s.fixCopiedMailbox(w, n, uidvalidity, o.silent); err != nil {
		return fail(err)
	}
	if err := s.commitRename(ctx, w.e, newname, n, o); err != nil {
		return fail(err)
	}
	nb.close()
	return s.deleteOpened(ctx, w)
}

// fixCopiedMailbox is the second half of mailbox_rename_copy on the
// copied files of n: its quota root and name in cyrus.header, its usage
// added to the new quota root (the folder was counted at creation), the
// UIDVALIDITY asked for and, unless silent, a new modseq. n gets the
// index's values.
func (s *Spool) fixCopiedMailbox(w *MailboxWriter, n *Entry, uidvalidity uint32, silent bool) error {
	ipath, err := s.MetaPath(n, MetaIndex)
	if err != nil {
		return err
	}
	hpath, err := s.MetaPath(n, MetaHeader)
	if err != nil {
		return err
	}
	f, err := ofd.OpenExclusive(ipath)
	if err != nil {
		return err
	}
	defer f.Close()
	raw := make([]byte, index.HeaderSize)
	if _, err := f.ReadAt(raw, 0); err != nil {
		return fmt.Errorf("read %s: %w", ipath, err)
	}
	h, err := index.ParseHeader(ipath, raw)
	if err != nil {
		return fmt.Errorf("%s: %w", ipath, err)
	}
	hdr, err := header.ReadFile(hpath)
	if err != nil {
		return err
	}
	root := s.findQuotaRoot(n.Name)
	if root != "" {
		u := w.usage()
		if err := s.updateQuotaUsed(root, n.Name, [4]int64{u[0], u[1], u[2], 0}, silent); err != nil {
			return err
		}
	}
	hdr.Name, hdr.UniqueID, hdr.QuotaRoot = n.Name, n.UniqueID, root
	partRoot, _ := s.partitionDir(n.Partition)
	if err := writeHeaderFile(hpath, hdr, partRoot); err != nil {
		return err
	}
	h.HeaderFileCRC = hdr.FileCRC
	h.UIDValidity = uidvalidity
	if !silent {
		h.HighestModseq++
	}
	if err := h.Encode(raw); err != nil {
		return err
	}
	if _, err := f.WriteAt(raw, 0); err != nil {
		return fmt.Errorf("write %s: %w", ipath, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", ipath, err)
	}
	n.UIDValidity, n.CreatedModseq, n.FolderModseq = h.UIDValidity, h.CreatedModseq, h.HighestModseq
	return nil
}
