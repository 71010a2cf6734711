// Package skiplist reads Cyrus IMAP "skiplist" databases, the format
// before twoskip and still found in upgraded installations (any DB) and as
// the default conversations_db (lib/imapoptions).
//
// ReadFile takes a shared fcntl OFD lock on the file, as Cyrus readers do,
// copies the file and releases the lock; the committed state is then the
// level-0 chain from the DUMMY node (writers relink in place under their
// exclusive lock). Records are 32-bit big-endian words.
//
// cyrus: lib/cyrusdb_skiplist.c (3.6.1)
package skiplist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// Magic is the 20-byte magic at the start of every skiplist file.
//
// cyrus: lib/cyrusdb_skiplist.c HEADER_MAGIC (3.6.1)
const Magic = "\xA1\x02\x8B\x0Dskiplist file\x00\x00\x00"

// HeaderSize is the file header length; the DUMMY node follows it.
const HeaderSize = 48

// MaxLevel is the highest level Cyrus allows (SKIPLIST_MAXLEVEL).
const MaxLevel = 20

// Node types.
const (
	typeInorder = 1
	typeAdd     = 2
	typeDelete  = 4
	typeCommit  = 255
	typeDummy   = 257
)

var (
	// ErrMagic means the file does not start with Magic.
	ErrMagic = errors.New("not a skiplist file (bad magic)")
	// ErrVersion means the version is not 1.
	ErrVersion = errors.New("unsupported skiplist version")
	// ErrCorrupt means a node or pointer is malformed or out of range.
	ErrCorrupt = errors.New("skiplist structure corrupt")
)

// FormatError describes a malformed skiplist file.
type FormatError struct {
	// File is the file name.
	File string
	// Offset is where the problem was found.
	Offset uint32
	// Detail says what is wrong.
	Detail string
	// Err is one of the sentinel errors.
	Err error
}

// Error implements error.
func (e *FormatError) Error() string {
	s := fmt.Sprintf("%s: offset %d: %v", e.File, e.Offset, e.Err)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *FormatError) Unwrap() error { return e.Err }

// DB is the committed content of a skiplist file, in key order.
type DB struct {
	name   string
	keys   [][]byte
	values [][]byte
	index  map[string]int
}

// ReadFile reads the skiplist file at path under a shared OFD lock.
func ReadFile(path string) (*DB, error) {
	f, err := ofd.OpenShared(path)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes the bytes of a skiplist file by walking the level-0 chain
// from the DUMMY node. name is used in error messages.
func Parse(name string, data []byte) (*DB, error) {
	bad := func(off uint32, err error, detail string, a ...any) error {
		return &FormatError{File: name, Offset: off, Detail: fmt.Sprintf(detail, a...), Err: err}
	}
	if len(data) < HeaderSize || !bytes.Equal(data[:20], []byte(Magic)) {
		return nil, bad(0, ErrMagic, "")
	}
	if v := binary.BigEndian.Uint32(data[20:]); v != 1 {
		return nil, bad(20, ErrVersion, "version %d", v)
	}
	word := func(off uint32) (uint32, bool) {
		if uint64(off)+4 > uint64(len(data)) {
			return 0, false
		}
		return binary.BigEndian.Uint32(data[off:]), true
	}
	db := &DB{name: name, index: map[string]int{}}
	// node returns key, value and the level-0 forward pointer of the
	// node at off.
	node := func(off uint32) (typ uint32, key, val []byte, next uint32, err error) {
		typ, ok := word(off)
		if !ok {
			return 0, nil, nil, 0, bad(off, ErrCorrupt, "node beyond end of file")
		}
		klen, ok := word(off + 4)
		if !ok || uint64(off)+8+uint64(klen) > uint64(len(data)) {
			return 0, nil, nil, 0, bad(off, ErrCorrupt, "key beyond end of file")
		}
		key = data[off+8 : off+8+klen]
		p := off + 8 + (klen+3)&^3
		vlen, ok := word(p)
		if !ok || uint64(p)+4+uint64(vlen) > uint64(len(data)) {
			return 0, nil, nil, 0, bad(off, ErrCorrupt, "value beyond end of file")
		}
		val = data[p+4 : p+4+vlen]
		p += 4 + (vlen+3)&^3
		next, ok = word(p)
		if !ok {
			return 0, nil, nil, 0, bad(off, ErrCorrupt, "pointers beyond end of file")
		}
		return typ, key, val, next, nil
	}
	typ, key, _, next, err := node(HeaderSize)
	if err != nil {
		return nil, err
	}
	if typ != typeDummy || len(key) != 0 {
		return nil, bad(HeaderSize, ErrCorrupt, "first node is not DUMMY")
	}
	var prev, val []byte
	for steps := 0; next != 0; steps++ {
		if steps > len(data)/16 || next < HeaderSize {
			return nil, bad(next, ErrCorrupt, "bad level-0 pointer")
		}
		off := next
		typ, key, val, next, err = node(off)
		if err != nil {
			return nil, err
		}
		if typ != typeInorder && typ != typeAdd {
			return nil, bad(off, ErrCorrupt, "linked node of type %d", typ)
		}
		if prev != nil && compareSigned(prev, key) >= 0 {
			return nil, bad(off, ErrCorrupt, "keys out of order")
		}
		prev = key
		db.index[string(key)] = len(db.keys)
		db.keys = append(db.keys, key)
		db.values = append(db.values, val)
	}
	return db, nil
}

// compareSigned is Cyrus's skiplist key order: bytes compared as signed
// chars, a shorter key first on a common prefix.
//
// cyrus: lib/cyrusdb_skiplist.c compare_signed (3.6.1)
func compareSigned(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if x, y := int8(a[i]), int8(b[i]); x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

// Name returns the file name.
func (db *DB) Name() string { return db.name }

// Len returns the number of keys.
func (db *DB) Len() int { return len(db.keys) }

// Get returns the value of key.
func (db *DB) Get(key []byte) ([]byte, bool) {
	i, ok := db.index[string(key)]
	if !ok {
		return nil, false
	}
	return db.values[i], true
}

// ForEachPrefix calls fn for every key starting with prefix, in file
// order; an error from fn stops the walk.
func (db *DB) ForEachPrefix(prefix []byte, fn func(key, value []byte) error) error {
	for i, k := range db.keys {
		if bytes.HasPrefix(k, prefix) {
			if err := fn(k, db.values[i]); err != nil {
				return err
			}
		}
	}
	return nil
}
