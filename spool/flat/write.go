package flat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// ErrTxDone is returned by the methods of a Tx after Commit or Abort.
var ErrTxDone = errors.New("flat database: transaction already ended")

// collation is Cyrus's "mbox" order of bytes in flat files: NUL first,
// then TAB and LF (ends of a key), then '.', then 0x01…0x08, then every
// other byte in its own order.
//
// cyrus: lib/bsearch.c convert_to_compare (3.6.1)
var collation = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	t['\t'], t['\n'], t['.'] = 1, 1, 2
	for c := 1; c <= 8; c++ {
		t[c] = byte(c + 2)
	}
	return t
}()

// Compare orders two stored (escaped) keys as Cyrus sorts flat files:
// byte by byte through the mbox collation, a key before its extensions.
//
// cyrus: lib/bsearch.c bsearch_mem_mbox, bsearch_ncompare_mbox (3.6.1)
func Compare(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if d := int(collation[a[i]]) - int(collation[b[i]]); d != 0 {
			return d
		}
	}
	return len(a) - len(b)
}

// Escape encodes a key or value as Cyrus stores it: NUL, TAB, CR and LF as
// 0xFF followed by the byte with its high bit set, 0xFF as 0xFF 0xFF.
//
// cyrus: lib/cyrusdb_flat.c encode (3.6.1)
func Escape(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		switch c {
		case 0, '\t', '\r', '\n':
			out = append(out, 0xFF, 0x80|c)
		case 0xFF:
			out = append(out, 0xFF, 0xFF)
		default:
			out = append(out, c)
		}
	}
	return out
}

// Tx is a write transaction on a flat file, as Cyrus's flat backend makes
// one: the file is locked exclusively (fcntl, re-opened if it was replaced
// while we waited) from Begin to Commit or Abort, and Commit writes the
// whole new content to "<file>.NEW", syncs it and renames it over the
// file. Readers take no lock: they see the old or the new file.
//
// cyrus: lib/cyrusdb_flat.c mystore, commit_txn (3.6.1)
type Tx struct {
	path  string
	f     *os.File
	lines [][]byte // stored lines without LF: escaped key, TAB, escaped value
	dirty bool
	done  bool
}

// Begin locks the flat file at path and reads it. With create, a missing
// file is created empty first (and its directory), as Cyrus's flat open
// with CYRUSDB_CREATE does; otherwise a missing file gives an error
// satisfying errors.Is(err, os.ErrNotExist). A malformed file gives a
// *FormatError.
//
// cyrus: lib/cyrusdb_flat.c myopen, mystore, lib/lock_fcntl.c lock_reopen (3.6.1)
func Begin(path string, create bool) (*Tx, error) {
	if create {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return nil, fmt.Errorf("flat: %w", err)
			}
			f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				return nil, fmt.Errorf("flat: %w", err)
			}
			f.Close()
		}
	}
	f, err := ofd.OpenExclusive(path)
	if err != nil {
		return nil, fmt.Errorf("flat: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("flat: %w", err)
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && len(data) > 0 {
		f.Close()
		return nil, fmt.Errorf("flat: read %s: %w", path, err)
	}
	tx := &Tx{path: path, f: f}
	for n := 1; len(data) > 0; n++ {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 || bytes.IndexByte(data[:nl], '\t') < 0 {
			f.Close()
			return nil, &FormatError{File: path, Line: n, Err: ErrSyntax}
		}
		tx.lines = append(tx.lines, data[:nl])
		data = data[nl+1:]
	}
	return tx, nil
}

// Len returns the number of keys.
func (tx *Tx) Len() int { return len(tx.lines) }

// find returns the position of the line with the escaped key k, or where
// a line with that key belongs (before the first greater key), and
// whether it exists.
func (tx *Tx) find(k []byte) (int, bool) {
	ins := -1
	for i, l := range tx.lines {
		lk := l[:bytes.IndexByte(l, '\t')]
		c := Compare(k, lk)
		if c == 0 {
			return i, true
		}
		if c < 0 && ins < 0 {
			ins = i
		}
	}
	if ins < 0 {
		ins = len(tx.lines)
	}
	return ins, false
}

// Get returns the value of key as the transaction sees it.
func (tx *Tx) Get(key []byte) ([]byte, bool) {
	if tx.done {
		return nil, false
	}
	i, ok := tx.find(Escape(key))
	if !ok {
		return nil, false
	}
	l := tx.lines[i]
	return bytes.Clone(unescape(l[bytes.IndexByte(l, '\t')+1:])), true
}

// ForEach calls fn for every key and value in file order.
func (tx *Tx) ForEach(fn func(key, value []byte) error) error {
	if tx.done {
		return ErrTxDone
	}
	for _, l := range tx.lines {
		t := bytes.IndexByte(l, '\t')
		if err := fn(unescape(l[:t]), unescape(l[t+1:])); err != nil {
			return err
		}
	}
	return nil
}

// Store sets key to value, inserting the line at its place in the mbox
// order. Like Cyrus, every Store and Delete makes Commit rewrite the file,
// even if nothing changed.
func (tx *Tx) Store(key, value []byte) error {
	if tx.done {
		return ErrTxDone
	}
	k := Escape(key)
	line := append(append(k, '\t'), Escape(value)...)
	i, ok := tx.find(k)
	if ok {
		tx.lines[i] = line
	} else {
		tx.lines = append(tx.lines[:i], append([][]byte{line}, tx.lines[i:]...)...)
	}
	tx.dirty = true
	return nil
}

// Delete removes key; a missing key is not an error.
func (tx *Tx) Delete(key []byte) error {
	if tx.done {
		return ErrTxDone
	}
	if i, ok := tx.find(Escape(key)); ok {
		tx.lines = append(tx.lines[:i], tx.lines[i+1:]...)
	}
	tx.dirty = true
	return nil
}

// Commit writes the new content, if anything was stored or deleted, to
// "<file>.NEW" (removed first, created 0666 before the umask), syncs it,
// renames it over the file and releases the lock. On error the file is
// unchanged and the lock released.
//
// cyrus: lib/cyrusdb_flat.c mystore, commit_txn (3.6.1)
func (tx *Tx) Commit() error {
	if tx.done {
		return ErrTxDone
	}
	tx.done = true
	defer tx.f.Close()
	if !tx.dirty {
		return nil
	}
	var b bytes.Buffer
	for _, l := range tx.lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	tmp := tx.path + ".NEW"
	os.Remove(tmp)
	nf, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return fmt.Errorf("flat: %w", err)
	}
	_, err = nf.Write(b.Bytes())
	if err == nil {
		err = nf.Sync()
	}
	if cerr := nf.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, tx.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("flat: commit %s: %w", tx.path, err)
	}
	return nil
}

// Abort drops the changes and releases the lock.
func (tx *Tx) Abort() {
	if !tx.done {
		tx.done = true
		tx.f.Close()
	}
}
