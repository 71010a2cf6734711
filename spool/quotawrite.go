package spool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// quotaResources are the quota resources in quota_db_names order.
var quotaResources = [4]string{ResStorage, ResMessage, ResAnnotStorage, ResNumFolders}

// commitQuota is mailbox_commit_quota: the change in the mailbox's usage
// since the first change is added to its quota root.
//
// cyrus: imap/mailbox.c mailbox_commit_quota (3.6.1)
func (w *MailboxWriter) commitQuota() error {
	if !w.quotaDirty || w.hdr.QuotaRoot == "" {
		return nil
	}
	now := w.usage()
	var diff [4]int64
	changed := false
	for i := range diff {
		diff[i] = now[i] - w.quotaBefore[i]
		changed = changed || diff[i] != 0
	}
	if !changed {
		return nil
	}
	return w.s.updateQuotaUsed(w.hdr.QuotaRoot, w.e.Name, diff, w.silent)
}

// UpdateQuotaUsed is quota_update_useds on a quotalegacy database: under
// the quota file's lock, diff (storage, messages, annotation storage,
// folders) is added to root's usage (and to the running quota scan's
// when mboxname sorts at or before the mailbox being scanned), a user
// root's MODSEQ is raised by one, and the file is replaced by a synced
// <file>.NEW renamed over it.
//
// cyrus: imap/quota_db.c quota_update_useds, quota_write;
// lib/cyrusdb_quotalegacy.c mystore, commit_subtxn (3.6.1)
func (s *Spool) UpdateQuotaUsed(root, mboxname string, diff [4]int64) error {
	return s.updateQuotaUsed(root, mboxname, diff, false)
}

// updateQuotaUsed is UpdateQuotaUsed; silent leaves the MODSEQ alone, as
// changes applied by replication do.
func (s *Spool) updateQuotaUsed(root, mboxname string, diff [4]int64, silent bool) error {
	qf, err := s.lockQuotaFile(root, false)
	if err != nil {
		return err
	}
	defer qf.close()
	q := qf.rec
	if q == nil {
		return fmt.Errorf("spool: quota root %s: %w", root, ErrNotFound)
	}
	inScan := q.scanMbox != "" && mboxname <= q.scanMbox
	for i := range diff {
		if diff[i] < 0 && -diff[i] > q.used[i] {
			q.used[i] = 0 // quota_use: no underflow ("you may wish to run quota -f")
		} else {
			q.used[i] += diff[i]
		}
		if inScan {
			q.scanUsed[i] += diff[i]
		}
	}
	if !silent && s.isUserRoot(root) {
		q.modseq++
	}
	return qf.write(q)
}

// isUserRoot reports whether root is a user's mailbox (not a DELETED
// one), whose quota MODSEQ moves with every non-silent change.
//
// cyrus: imap/mboxname.c mboxname_isusermailbox (3.6.1)
func (s *Spool) isUserRoot(root string) bool {
	m := s.layout.NS.ParseInternal(root)
	return m.LocalPart != "" && m.Deleted == 0
}

// quotaFile is a quota root's file opened and locked for a change, as
// Cyrus's quotalegacy backend holds it during a transaction.
type quotaFile struct {
	root, path string
	f          *os.File
	// rec is the current value, nil if the root does not exist (no file,
	// or an empty one: Cyrus reads that as no root).
	rec *quotaRecord
}

// lockQuotaFile opens root's quota file and locks it exclusively (fcntl,
// re-opened if it was replaced meanwhile). A missing file is created empty
// (with its directories) when create is set, as quotalegacy's store does
// before writing; otherwise it gives an error wrapping ErrNotFound.
//
// cyrus: lib/cyrusdb_quotalegacy.c myfetch, mystore (3.6.1)
func (s *Spool) lockQuotaFile(root string, create bool) (*quotaFile, error) {
	path := s.QuotaPath(root)
	if create {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return nil, fmt.Errorf("spool: quota root %s: %w", root, err)
			}
			f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				return nil, fmt.Errorf("spool: quota root %s: %w", root, err)
			}
			f.Close()
			chownLike(path, s.confDir)
		}
	}
	f, err := ofd.OpenExclusive(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("spool: quota root %s: %w", root, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("spool: quota root %s: %w", root, err)
	}
	qf := &quotaFile{root: root, path: path, f: f}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: quota %s: %w", path, err)
	}
	if st.Size() == 0 {
		return qf, nil
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: quota %s: %w", path, err)
	}
	if qf.rec, err = decodeQuotaRecord(root, b); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %s: %w", path, err)
	}
	return qf, nil
}

// write replaces the file by a synced, locked <file>.NEW renamed over it
// and releases the locks.
//
// cyrus: lib/cyrusdb_quotalegacy.c mystore, commit_subtxn (3.6.1)
func (qf *quotaFile) write(q *quotaRecord) error {
	tmp := qf.path + ".NEW"
	os.Remove(tmp)
	nf, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return fmt.Errorf("spool: quota %s: %w", qf.root, err)
	}
	defer nf.Close()
	chownLike(tmp, qf.path)
	if err := ofd.LockExclusive(nf); err != nil {
		return fmt.Errorf("spool: quota %s: %w", tmp, err)
	}
	if _, err := nf.Write(q.encode()); err != nil {
		return fmt.Errorf("spool: quota %s: %w", tmp, err)
	}
	if err := nf.Sync(); err != nil {
		return fmt.Errorf("spool: quota %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, qf.path); err != nil {
		return fmt.Errorf("spool: quota %s: %w", qf.root, err)
	}
	return nil
}

// remove unlinks the file while it is locked.
//
// cyrus: lib/cyrusdb_quotalegacy.c commit_subtxn (delete) (3.6.1)
func (qf *quotaFile) remove() error {
	if err := os.Remove(qf.path); err != nil {
		return fmt.Errorf("spool: quota root %s: %w", qf.root, err)
	}
	return nil
}

// close releases the lock.
func (qf *quotaFile) close() { qf.f.Close() }

// quotaRecord is a quota value as quota_read holds it.
type quotaRecord struct {
	used, limit [4]int64 // limit -1: unlimited
	scanMbox    string
	scanUsed    [4]int64
	modseq      uint64
}

// decodeQuotaRecord reads the dlist form (with its SCAN part) or, through
// ParseQuota, the old forms.
func decodeQuotaRecord(root string, b []byte) (*quotaRecord, error) {
	q := &quotaRecord{limit: [4]int64{-1, -1, -1, -1}}
	b = bytes.TrimRight(b, "\n")
	if !bytes.HasPrefix(b, []byte("%(")) {
		old, err := ParseQuota(root, b)
		if err != nil {
			return nil, err
		}
		for i, res := range quotaResources {
			q.used[i] = old.Used[res]
			if l, ok := old.Limit[res]; ok {
				q.limit[i] = l
			}
		}
		return q, nil
	}
	v, err := dlist.Unmarshal(b, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrQuotaFormat, err)
	}
	num := func(v dlist.Value) (int64, error) { return strconv.ParseInt(v.Text(), 10, 64) }
	for i, res := range quotaResources {
		item, ok := v.Get(res)
		if !ok {
			continue
		}
		for j, it := range item.Items() {
			n, err := num(it)
			if err != nil || j > 1 {
				return nil, fmt.Errorf("%w: resource %s", ErrQuotaFormat, res)
			}
			if j == 0 {
				q.used[i] = n
			} else {
				q.limit[i] = n
			}
		}
	}
	if scan, ok := v.Get("SCAN"); ok {
		mb, _ := scan.Get("MBOX")
		q.scanMbox = mb.Text()
		for i, res := range quotaResources {
			if it, ok := scan.Get(res); ok {
				if q.scanUsed[i], err = num(it); err != nil {
					return nil, fmt.Errorf("%w: SCAN %s", ErrQuotaFormat, res)
				}
			}
		}
	}
	if m, ok := v.Get("MODSEQ"); ok {
		if q.modseq, err = strconv.ParseUint(m.Text(), 10, 64); err != nil {
			return nil, fmt.Errorf("%w: MODSEQ %q", ErrQuotaFormat, m.Text())
		}
	}
	return q, nil
}

// encode is quota_write's record plus quotalegacy's trailing newline.
func (q *quotaRecord) encode() []byte {
	var b strings.Builder
	b.WriteString("%(")
	for i, res := range quotaResources {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s (%d", res, q.used[i])
		if q.limit[i] != -1 {
			fmt.Fprintf(&b, " %d", q.limit[i])
		}
		b.WriteByte(')')
	}
	if q.scanMbox != "" {
		b.WriteString(" SCAN %(MBOX ")
		b.Write(dlist.AppendAString(nil, q.scanMbox, false))
		for i, res := range quotaResources {
			fmt.Fprintf(&b, " %s %d", res, q.scanUsed[i])
		}
		b.WriteByte(')')
	}
	fmt.Fprintf(&b, " MODSEQ %d)\n", q.modseq)
	return []byte(b.String())
}
