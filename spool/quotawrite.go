package spool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
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

// updateQuotaUsed is UpdateQuotaUsed; silent (a replica applying the
// master's changes) leaves MODSEQ as it is.
func (s *Spool) updateQuotaUsed(root, mboxname string, diff [4]int64, silent bool) error {
	path := s.QuotaPath(root)
	f, err := ofd.OpenExclusive(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: quota root %s: %w", root, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("spool: quota %s: %w", root, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("spool: quota %s: %w", path, err)
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		return fmt.Errorf("spool: quota %s: %w", path, err)
	}
	q, err := decodeQuotaRecord(root, b)
	if err != nil {
		return fmt.Errorf("spool: %s: %w", path, err)
	}
	inScan := q.scanMbox != "" && mboxname <= q.scanMbox
	for i := range diff {
		q.used[i] += diff[i]
		if inScan {
			q.scanUsed[i] += diff[i]
		}
	}
	if !silent && s.layout.NS.UserIDOf(root) != "" {
		q.modseq++
	}
	out := q.encode()
	tmp := path + ".NEW"
	os.Remove(tmp)
	nf, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return fmt.Errorf("spool: quota %s: %w", root, err)
	}
	defer nf.Close()
	chownLike(tmp, path)
	if err := ofd.LockExclusive(nf); err != nil {
		return fmt.Errorf("spool: quota %s: %w", tmp, err)
	}
	if _, err := nf.Write(out); err != nil {
		return fmt.Errorf("spool: quota %s: %w", tmp, err)
	}
	if err := nf.Sync(); err != nil {
		return fmt.Errorf("spool: quota %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("spool: quota %s: %w", root, err)
	}
	return nil
}

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
