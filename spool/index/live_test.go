package index_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
	"github.com/cyrus-replication/cyrus-replication/spool/header"
	"github.com/cyrus-replication/cyrus-replication/spool/index"
	"github.com/cyrus-replication/cyrus-replication/spool/twoskip"
)

// TestLiveInstance reads every twoskip DB, cyrus.header, cyrus.index and
// message file of a live Cyrus instance directory (e.g. a cyrus-pair
// "master" directory with conf/ and spool/) while Cyrus runs, and checks
// them against each other: DB and index CRCs, header_file_crc, message
// GUIDs and sizes. It is skipped unless SPOOL_LIVE_DIR names such a
// directory:
//
//	SPOOL_LIVE_DIR=/tmp/h2pair/master go test -run Live -v ./spool/index
func TestLiveInstance(t *testing.T) {
	dir := os.Getenv("SPOOL_LIVE_DIR")
	if dir == "" {
		t.Skip("SPOOL_LIVE_DIR not set")
	}
	var dbs, indexes, messages int
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		switch {
		case isTwoskip(path):
			db, err := twoskip.ReadFile(path)
			if err == nil {
				err = db.Verify()
			}
			if err != nil {
				t.Errorf("%v", err)
			}
			dbs++
		case d.Name() == "cyrus.index":
			checkMailbox(t, filepath.Dir(path), &messages)
			indexes++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d twoskip DBs, %d mailboxes, %d message files checked", dbs, indexes, messages)
}

func isTwoskip(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, len(twoskip.Magic))
	n, _ := f.Read(b)
	return bytes.Equal(b[:n], []byte(twoskip.Magic))
}

func checkMailbox(t *testing.T, mdir string, messages *int) {
	idx, err := index.ReadFile(filepath.Join(mdir, "cyrus.index"))
	if err != nil {
		t.Error(err)
		return
	}
	h, err := header.ReadFile(filepath.Join(mdir, "cyrus.header"))
	if err != nil {
		t.Error(err)
		return
	}
	if h.FileCRC != idx.Header.HeaderFileCRC {
		t.Errorf("%s: cyrus.header CRC %08X, index header_file_crc %08X", mdir, h.FileCRC, idx.Header.HeaderFileCRC)
	}
	if !strings.HasSuffix(mdir, h.UniqueID) {
		t.Errorf("%s: header uniqueid %q", mdir, h.UniqueID)
	}
	for i := range idx.Records {
		r := &idx.Records[i]
		path := filepath.Join(mdir, itoa(r.UID)+".")
		g, err := guid.File(path)
		if errors.Is(err, fs.ErrNotExist) && (r.Unlinked() || r.Archived()) {
			continue
		}
		if err != nil {
			t.Error(err)
			continue
		}
		st, _ := os.Stat(path)
		if g != r.GUID || uint64(st.Size()) != r.Size {
			t.Errorf("%s: GUID %s size %d, record says %s %d", path, g, st.Size(), r.GUID, r.Size)
		}
		*messages++
	}
}

func itoa(n uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
