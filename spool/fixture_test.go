package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/header"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

// fixtureMailbox makes a by-id mailbox intname with uniqueid in the test
// spool: its mailboxes.db entries, cyrus.header (quota root qroot) and a
// version 17 cyrus.index with records of the given sizes (UIDs 1…n,
// counts and CRCs as Cyrus keeps them), and message files.
func fixtureMailbox(t testing.TB, s *Spool, intname, uniqueid, qroot string, sizes ...uint64) *Entry {
	t.Helper()
	entry := fmt.Sprintf("%%(A %%(admin lrswipkxtecdan) I %s P default T e C 1 F 5 M 1700000000 V 1700000000)", uniqueid)
	tx, err := twoskip.Begin(s.MailboxListPath(), twoskip.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	tx.Store([]byte("N"+DBName(intname)), []byte(entry))
	tx.Store([]byte("I"+uniqueid), []byte(fmt.Sprintf("%%(N %s P default T e C 1 F 5 M 1700000000 V 1700000000)", DBName(intname))))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	e, err := s.LookupName(intname)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := s.MailboxDir(e)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	hdr := &header.Header{Type: "e", Name: intname, UniqueID: uniqueid, QuotaRoot: qroot,
		ACL: []header.ACLEntry{{ID: "admin", Rights: "lrswipkxtecdan"}}}
	hb, err := hdr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "cyrus.header"), hb, 0o600)
	h := index.Header{MinorVersion: 17, StartOffset: index.HeaderSize, RecordSize: index.RecordSize,
		UIDValidity: 1700000000, HighestModseq: 10, HeaderFileCRC: hdr.FileCRC, CreatedModseq: 1,
		SyncCRCAnnot: syncCRCAnnotInit}
	m := &Mailbox{IndexVersion: 17}
	var recs []index.Record
	for i, size := range sizes {
		uid := uint32(i + 1)
		body := fmt.Sprintf("Subject: %d\r\n\r\n%0*d", uid, int(size)-len(fmt.Sprintf("Subject: %d\r\n\r\n", uid)), 0)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.", uid)), []byte(body), 0o600)
		r := index.Record{UID: uid, InternalDate: 1700000000, Size: size, Modseq: uint64(2 + i),
			LastUpdated: 1700000000, SaveDate: 1700000000, CreatedModseq: uint64(2 + i)}
		r.GUID = guid.GUID(sha1Of(body))
		recs = append(recs, r)
		h.Exists++
		h.Unseen++
		h.QuotaMailboxUsed += size
		m.Records = append(m.Records, Record{UID: uid, Modseq: r.Modseq, LastUpdated: r.LastUpdated,
			InternalDate: r.InternalDate, Size: size, GUID: r.GUID, SaveDate: r.SaveDate, CreatedModseq: r.CreatedModseq})
	}
	h.SyncCRCBasic, h.SyncCRCAnnot = m.ComputeSyncCRCs()
	h.NumRecords = uint32(len(recs))
	h.LastUID = uint32(len(recs))
	b := make([]byte, index.HeaderSize+len(recs)*index.RecordSize)
	if err := h.Encode(b); err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := recs[i].Encode(b[index.HeaderSize+i*index.RecordSize:], 17); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "cyrus.index"), b, 0o600)
	os.WriteFile(filepath.Join(dir, "cyrus.cache"), make([]byte, 4), 0o600)
	return e
}

// fixtureQuota writes a quota root file.
func fixtureQuota(t testing.TB, s *Spool, root, content string) {
	t.Helper()
	p := s.QuotaPath(root)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
