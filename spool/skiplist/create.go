package skiplist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// CreateEmpty makes path an empty skiplist database as Cyrus creates one
// (header, then the DUMMY node with MaxLevel null pointers), unless a
// file is there already. The file is written aside and linked into place,
// so no reader ever sees it half-written; created tells whether ours
// landed.
//
// cyrus: lib/cyrusdb_skiplist.c myopen, write_header, dummy node (3.6.1)
func CreateEmpty(path string, now time.Time) (created bool, err error) {
	b := make([]byte, HeaderSize+12+4*MaxLevel+4)
	copy(b, Magic)
	be := binary.BigEndian
	be.PutUint32(b[20:], 1) // version
	be.PutUint32(b[24:], 2) // version minor
	be.PutUint32(b[28:], MaxLevel)
	be.PutUint32(b[32:], 1)              // current level
	be.PutUint32(b[36:], 0)              // list size
	be.PutUint32(b[40:], uint32(len(b))) // log start: right after DUMMY
	be.PutUint32(b[44:], uint32(now.Unix()))
	be.PutUint32(b[HeaderSize:], typeDummy)
	// key length, data length and the pointers stay 0
	be.PutUint32(b[len(b)-4:], 0xFFFFFFFF)

	tmp, err := os.CreateTemp(filepath.Dir(path), ".skiplist-")
	if err != nil {
		return false, fmt.Errorf("skiplist: create %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// what Cyrus's 0644 gives under its default umask (077)
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err != nil {
		return false, fmt.Errorf("skiplist: create %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("skiplist: create %s: %w", path, err)
	}
	return true, nil
}
