package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// ErrQuotaFormat is wrapped by errors about malformed quota files.
var ErrQuotaFormat = errors.New("malformed quota file")

// Quota reads the quotalegacy file of quota root root (docs/stores.md).
// Writers replace the file by rename, so one read is consistent.
//
// cyrus: lib/cyrusdb_quotalegacy.c, imap/quota_db.c quota_read (3.6.1)
func (s *Spool) Quota(root string) (*Quota, error) {
	path := s.QuotaPath(root)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("spool: quota root %s: %w", root, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("spool: quota: %w", err)
	}
	if len(b) == 0 {
		// left by a writer between creating and renaming: no root yet
		return nil, fmt.Errorf("spool: quota root %s: %w", root, ErrNotFound)
	}
	q, err := ParseQuota(root, b)
	if err != nil {
		return nil, fmt.Errorf("spool: %s: %w", path, err)
	}
	return q, nil
}

// ParseQuota decodes a quota file: the dlist form "%(S (used [limit]) M …
// MODSEQ n)" or the old "used limit [RES used limit]…" / two-line forms.
func ParseQuota(root string, b []byte) (*Quota, error) {
	q := &Quota{Root: root, Used: map[string]int64{}, Limit: map[string]int64{}}
	b = bytes.TrimRight(b, "\n")
	if bytes.HasPrefix(b, []byte("%(")) {
		v, err := dlist.Unmarshal(b, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrQuotaFormat, err)
		}
		for _, kv := range v.Pairs() {
			if kv.Key == "MODSEQ" {
				if q.Modseq, err = kv.Value.AsUint64(); err != nil {
					return nil, fmt.Errorf("%w: MODSEQ: %v", ErrQuotaFormat, err)
				}
				continue
			}
			if kv.Key == "SCAN" {
				continue
			}
			items, err := kv.Value.AsList()
			if err != nil || len(items) == 0 || len(items) > 2 {
				return nil, fmt.Errorf("%w: resource %s", ErrQuotaFormat, kv.Key)
			}
			for i, it := range items {
				t, _ := it.AsString()
				n, err := strconv.ParseInt(t, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%w: resource %s: %q", ErrQuotaFormat, kv.Key, t)
				}
				if i == 0 {
					q.Used[kv.Key] = n
				} else if n >= 0 {
					q.Limit[kv.Key] = n
				}
			}
		}
		return q, nil
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return nil, fmt.Errorf("%w: %q", ErrQuotaFormat, b)
	}
	res := ResStorage
	for i := 0; i+1 < len(f); {
		used, err1 := strconv.ParseInt(f[i], 10, 64)
		limit, err2 := strconv.ParseInt(f[i+1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: %q", ErrQuotaFormat, b)
		}
		q.Used[res] = used
		if limit >= 0 {
			q.Limit[res] = limit
		}
		i += 2
		if i < len(f) {
			res = f[i]
			i++
		}
	}
	return q, nil
}

// QuotaRoots lists the quota roots that have a file under
// configdirectory/quota (default domain only), sorted.
func (s *Spool) QuotaRoots() ([]string, error) {
	dir := filepath.Join(s.confDir, "quota")
	var roots []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if d.Type().IsRegular() && !strings.HasSuffix(d.Name(), ".NEW") {
			if info, err := d.Info(); err == nil && info.Size() > 0 {
				roots = append(roots, d.Name())
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("spool: quota roots: %w", err)
	}
	sort.Strings(roots)
	return roots, nil
}
