package skiplist

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cyrusEmpty is the conversations.db Cyrus 3.10.2 made on a mailbox
// rename (conversations_db: skiplist), last_recovery 0x6b17015f.
const cyrusEmpty = "a1028b0d736b69706c6973742066696c6500000000000001000000020000001400000001000000000000009" +
	"06b17015f00000101" + "00000000" + "00000000"

func TestCreateEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conversations.db")
	created, err := CreateEmpty(path, time.Unix(0x6b17015f, 0))
	if err != nil || !created {
		t.Fatalf("CreateEmpty: %v %v", created, err)
	}
	got, _ := os.ReadFile(path)
	want, _ := hex.DecodeString(cyrusEmpty + strings.Repeat("00000000", MaxLevel) + "ffffffff")
	if !bytes.Equal(got, want) {
		t.Errorf("bytes:\n got %x\nwant %x", got, want)
	}
	db, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	db.ForEachPrefix(nil, func(k, v []byte) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d records in a new database", n)
	}
	// An existing file is left alone.
	os.WriteFile(path, []byte("x"), 0o600)
	if created, err := CreateEmpty(path, time.Now()); err != nil || created {
		t.Errorf("over an existing file: %v %v", created, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "x" {
		t.Errorf("existing file changed: %q", b)
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("leftovers: %v", ents)
	}
}
