// Package flat reads and writes Cyrus IMAP "flat" databases: text files of
// "key TAB value LF" lines sorted in Cyrus's "mbox" order, used for
// subscriptions (<user>.sub), user_deny.db and optionally mailboxes.db.
//
// Writers (Begin, Tx) replace the whole file by rename, so reading the file
// in one go gives a consistent state without a lock, as Cyrus's flat
// readers do.
//
// cyrus: lib/cyrusdb_flat.c (3.6.1)
package flat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
)

// ErrSyntax means a line has no TAB or the file does not end with LF.
var ErrSyntax = errors.New("flat database: malformed line")

// FormatError describes a malformed flat file.
type FormatError struct {
	// File is the file name.
	File string
	// Line is the 1-based line number.
	Line int
	// Err is ErrSyntax.
	Err error
}

// Error implements error.
func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: line %d: %v", e.File, e.Line, e.Err)
}

// Unwrap returns the sentinel error.
func (e *FormatError) Unwrap() error { return e.Err }

// Pair is one key and its value, unescaped.
type Pair struct {
	Key, Value []byte
}

// DB is the content of a flat file, in file order (which is Cyrus's "mbox"
// collation order for files Cyrus wrote).
type DB struct {
	name  string
	pairs []Pair
	index map[string]int
}

// ReadFile reads the flat file at path. A missing file is an empty DB only
// if the caller decides so: the *PathError is returned unchanged.
func ReadFile(path string) (*DB, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse decodes the bytes of a flat file; name is used in error messages.
func Parse(name string, data []byte) (*DB, error) {
	db := &DB{name: name, index: map[string]int{}}
	line := 0
	for len(data) > 0 {
		line++
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return nil, &FormatError{File: name, Line: line, Err: ErrSyntax}
		}
		l := data[:nl]
		data = data[nl+1:]
		tab := bytes.IndexByte(l, '\t')
		if tab < 0 {
			return nil, &FormatError{File: name, Line: line, Err: ErrSyntax}
		}
		p := Pair{Key: unescape(l[:tab]), Value: unescape(l[tab+1:])}
		db.index[string(p.Key)] = len(db.pairs)
		db.pairs = append(db.pairs, p)
	}
	return db, nil
}

// unescape undoes Cyrus's escaping: 0xFF followed by b stands for b&0x7F
// when b != 0xFF (NUL, TAB, CR, LF), and 0xFF 0xFF for 0xFF.
//
// cyrus: lib/cyrusdb_flat.c decode (3.6.1)
func unescape(b []byte) []byte {
	if bytes.IndexByte(b, 0xFF) < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == 0xFF && i+1 < len(b) {
			i++
			if b[i] == 0xFF {
				c = 0xFF
			} else {
				c = b[i] & 0x7F
			}
		}
		out = append(out, c)
	}
	return out
}

// Name returns the file name.
func (db *DB) Name() string { return db.name }

// Len returns the number of keys.
func (db *DB) Len() int { return len(db.pairs) }

// Get returns the value of key.
func (db *DB) Get(key []byte) ([]byte, bool) {
	i, ok := db.index[string(key)]
	if !ok {
		return nil, false
	}
	return db.pairs[i].Value, true
}

// ForEach calls fn for every pair in file order; an error stops the walk.
func (db *DB) ForEach(fn func(key, value []byte) error) error {
	return db.ForEachPrefix(nil, fn)
}

// ForEachPrefix is ForEach restricted to keys starting with prefix.
func (db *DB) ForEachPrefix(prefix []byte, fn func(key, value []byte) error) error {
	for _, p := range db.pairs {
		if bytes.HasPrefix(p.Key, prefix) {
			if err := fn(p.Key, p.Value); err != nil {
				return err
			}
		}
	}
	return nil
}
