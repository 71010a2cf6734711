package pwcheck

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzBDB feeds arbitrary bytes to the hash reader. Seeds (sasldbs and
// libdb databases with small pages, both byte orders, duplicates) are in
// testdata/fuzz/FuzzBDB. Every failure must be a *FormatError, and a key
// Each returns must be looked up by Get without a panic.
func FuzzBDB(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := newHashDB("fuzz.db", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			mustFormat(t, err)
			return
		}
		var keys [][]byte
		err = db.Each(func(k, v []byte) error {
			if len(keys) < 50 {
				keys = append(keys, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			mustFormat(t, err)
		}
		keys = append(keys, []byte("alice\x00realm.test\x00userPassword"))
		for _, k := range keys {
			if _, _, err := db.Get(k); err != nil {
				mustFormat(t, err)
			}
		}
	})
}

func mustFormat(t *testing.T, err error) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %T %v is not a *FormatError", err, err)
	}
}
