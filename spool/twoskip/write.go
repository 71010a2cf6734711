package twoskip

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
)

// ErrTxDone is returned by the methods of a Tx after Commit or Abort, or
// after a failed write ended it.
var ErrTxDone = errors.New("twoskip: transaction already ended")

// Options control Begin.
type Options struct {
	// Create makes a new empty DB (and its directory) if the file does
	// not exist. An existing empty (0-byte) file is always initialised,
	// as Cyrus does.
	//
	// cyrus: CYRUSDB_CREATE
	Create bool
	// NoRepack skips the repack Cyrus does after a commit that leaves
	// the file more than twice the size of its last repack (and above
	// 16834 bytes). Cyrus, or a later Commit, repacks it then.
	//
	// cyrus: CYRUSDB_NOCOMPACT
	NoRepack bool
	// BeforeIO, if set, is called before every write, truncation, sync
	// and rename the writer makes. If it returns an error, the operation
	// is not carried out and the error ends the transaction like a
	// failed write; crash tests use it to stop a commit at any point.
	BeforeIO func(Op) error

	// level, if set, replaces the random level of new records (tests).
	level func() int
}

// Tx is a write transaction on a twoskip file. It holds Cyrus's exclusive
// lock on the file from Begin until Commit or Abort, so neither Cyrus nor
// our readers see the file meanwhile. A Tx is not safe for concurrent use.
//
// Keys compare bytewise (memcmp, shorter first), the order of every
// twoskip DB Cyrus 3.6 servers write: mailboxes.db, annotations.db,
// seen.db, cyrus.annotations. Cyrus's alternative "mbox sort" order is
// used only by "cyr_dbtool -M" and is not supported.
//
// cyrus: lib/cyrusdb_twoskip.c struct txn, bsearch_ncompare_raw (3.6.1)
type Tx struct {
	df   *dbfile
	hdr  Header
	opts Options
	done bool
}

// Begin opens the twoskip file at path for writing and returns a
// transaction holding Cyrus's exclusive fcntl lock on it (re-opening the
// file if a repack replaced it meanwhile). A new or empty file becomes an
// empty DB exactly as Cyrus creates it; a file left dirty by a crash is
// recovered first, as Cyrus does whenever it locks one.
//
// cyrus: lib/cyrusdb_twoskip.c opendb, write_lock, newtxn (3.6.1)
func Begin(path string, opts Options) (*Tx, error) {
	for range 10 {
		df, err := openLocked(path, opts.Create, opts.BeforeIO)
		if err != nil {
			return nil, err
		}
		tx := &Tx{df: df, opts: opts}
		again, err := tx.start()
		if err != nil {
			df.close()
			return nil, err
		}
		if !again {
			return tx, nil
		}
		// recovery2 replaced the file: lock the new one
		if err := df.close(); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("twoskip: %s: replaced by recovery again and again", path)
}

// start initialises a new file, reads the header and runs recovery if
// needed; again is set if recovery replaced the file.
func (tx *Tx) start() (again bool, err error) {
	df := tx.df
	if df.size == 0 {
		if err := createEmpty(df); err != nil {
			return false, err
		}
	}
	if err := tx.readHeader(); err != nil {
		return false, err
	}
	if tx.clean() {
		return false, nil
	}
	return tx.recover()
}

// readHeader reads and checks the header and the DUMMY record.
//
// cyrus: lib/cyrusdb_twoskip.c read_header (3.6.1)
func (tx *Tx) readHeader() error {
	df := tx.df
	if df.size < HeaderSize {
		return &FormatError{File: df.name, Err: ErrTruncated, Detail: "file shorter than the 64-byte header"}
	}
	h, err := ParseHeader(df.name, df.m[:HeaderSize])
	if err != nil {
		return err
	}
	if h.CurrentSize < HeaderSize || h.CurrentSize > df.size {
		return &FormatError{File: df.name, Err: ErrTruncated,
			Detail: fmt.Sprintf("current_size 0x%X but file size 0x%X", h.CurrentSize, df.size)}
	}
	tx.hdr = h
	d, err := df.view(h.CurrentSize).recordAt(HeaderSize, true)
	if err != nil {
		return err
	}
	if d.Type != TypeDummy || d.Level != MaxLevel {
		return &FormatError{File: df.name, Offset: HeaderSize, Err: ErrCorrupt,
			Detail: fmt.Sprintf("first record is %v of level %d, want DUMMY of level %d", d.Type, d.Level, MaxLevel)}
	}
	return nil
}

// clean reports whether the file needs no recovery: DIRTY clear and the
// file exactly current_size long.
//
// cyrus: lib/cyrusdb_twoskip.c db_is_clean (3.6.1)
func (tx *Tx) clean() bool {
	return !tx.hdr.Dirty() && tx.hdr.CurrentSize == tx.df.size
}

// Header returns the file header as the transaction sees it (num_records
// counts the transaction's own changes; CurrentSize is that of the last
// commit).
func (tx *Tx) Header() Header { return tx.hdr }

// fail ends a transaction after a failed write: the file is left as a
// crash would leave it, for the next writer's recovery, and unlocked.
func (tx *Tx) fail(err error) error {
	tx.done = true
	if cerr := tx.df.close(); cerr != nil {
		return fmt.Errorf("%w (and %v)", err, cerr)
	}
	return err
}

// Get returns a copy of the value stored under key as the transaction
// sees it (its own stores and deletes included), or ok=false.
//
// cyrus: lib/cyrusdb_twoskip.c myfetch (3.6.1)
func (tx *Tx) Get(key []byte) (value []byte, ok bool, err error) {
	if tx.done {
		return nil, false, ErrTxDone
	}
	loc, err := tx.locate(key)
	if err != nil || !loc.found {
		return nil, false, err
	}
	return bytes.Clone(loc.rec.Value), true, nil
}

// ForEach calls fn for every key with its value in key order, as the
// transaction sees them. Key and value are valid only during the call;
// fn must not use the transaction.
//
// cyrus: lib/cyrusdb_twoskip.c myforeach (3.6.1)
func (tx *Tx) ForEach(fn func(key, value []byte) error) error {
	if tx.done {
		return ErrTxDone
	}
	db, err := tx.snapshot()
	if err != nil {
		return err
	}
	return db.ForEach(fn)
}

// ForEachPrefix is ForEach over the keys starting with prefix: a seek,
// not a walk of the whole file.
func (tx *Tx) ForEachPrefix(prefix []byte, fn func(key, value []byte) error) error {
	if tx.done {
		return ErrTxDone
	}
	db, err := tx.snapshot()
	if err != nil {
		return err
	}
	return db.ForEachPrefix(prefix, fn)
}

// Store sets key to value, inserting or replacing. A value equal to the
// stored one writes nothing, as in Cyrus. The key must not be empty.
// If a write fails, the transaction ends there: the lock is released and
// the file is left as a crash would leave it, for the recovery of its
// next writer (ours or Cyrus's) to undo. The same holds for Delete and
// Commit.
//
// cyrus: lib/cyrusdb_twoskip.c skipwrite, store_here (3.6.1)
func (tx *Tx) Store(key, value []byte) error {
	if tx.done {
		return ErrTxDone
	}
	if len(key) == 0 {
		return fmt.Errorf("twoskip: %s: store of an empty key", tx.df.name)
	}
	loc, err := tx.locate(key)
	if err != nil {
		return err
	}
	if loc.found && bytes.Equal(loc.rec.Value, value) {
		return nil
	}
	if err := tx.storeHere(&loc, key, value); err != nil {
		return tx.fail(err)
	}
	return nil
}

// Delete removes key; deleting a key that does not exist does nothing
// (Cyrus's forced delete).
//
// cyrus: lib/cyrusdb_twoskip.c skipwrite, delete_here (3.6.1)
func (tx *Tx) Delete(key []byte) error {
	if tx.done {
		return ErrTxDone
	}
	if len(key) == 0 {
		return nil
	}
	loc, err := tx.locate(key)
	if err != nil || !loc.found {
		return err
	}
	if err := tx.deleteHere(&loc); err != nil {
		return tx.fail(err)
	}
	return nil
}

// Commit makes the transaction's changes durable and releases the lock:
// it appends the COMMIT record, syncs, then rewrites the header with the
// new current_size and DIRTY clear, and syncs again; the header write is
// the commit point. A transaction that changed nothing writes nothing.
// Afterwards the file is repacked if it grew past Cyrus's threshold
// (unless Options.NoRepack).
//
// cyrus: lib/cyrusdb_twoskip.c mycommit (3.6.1)
func (tx *Tx) Commit() error {
	if tx.done {
		return ErrTxDone
	}
	wrote := tx.hdr.Dirty()
	if err := tx.commit(); err != nil {
		return tx.fail(err)
	}
	tx.done = true
	h := tx.hdr
	if wrote && !tx.opts.NoRepack && h.CurrentSize > repackMin && h.CurrentSize > 2*h.RepackSize {
		if err := tx.checkpoint(); err != nil {
			tx.df.close()
			return fmt.Errorf("twoskip: %s committed, but the repack failed: %w", tx.df.name, err)
		}
	}
	return tx.df.close()
}

// commit appends the COMMIT record, syncs, and writes and syncs the clean
// header, if the transaction wrote anything.
//
// cyrus: lib/cyrusdb_twoskip.c mycommit (3.6.1)
func (tx *Tx) commit() error {
	if !tx.hdr.Dirty() {
		return nil
	}
	if _, err := tx.appendRecord(TypeCommit, []uint64{tx.hdr.CurrentSize}, nil, nil); err != nil {
		return err
	}
	if err := tx.df.sync(); err != nil {
		return err
	}
	tx.hdr.CurrentSize = tx.df.size
	tx.hdr.Flags &^= FlagDirty
	return tx.commitHeader()
}

// Abort discards the transaction's changes and releases the lock. What
// was written is undone by recovery, as Cyrus does: pointers into the
// discarded records are reset and the file truncated to current_size.
//
// cyrus: lib/cyrusdb_twoskip.c myabort (3.6.1)
func (tx *Tx) Abort() error {
	if tx.done {
		return ErrTxDone
	}
	tx.done = true
	var err error
	if !tx.clean() {
		err = tx.recovery1()
	}
	if cerr := tx.df.close(); err == nil {
		err = cerr
	}
	return err
}

// writeHeader writes the in-memory header.
func (tx *Tx) writeHeader() error {
	return tx.df.pwrite(encodeHeader(tx.hdr), 0)
}

// commitHeader writes the in-memory header and syncs.
//
// cyrus: lib/cyrusdb_twoskip.c commit_header (3.6.1)
func (tx *Tx) commitHeader() error {
	if err := tx.writeHeader(); err != nil {
		return err
	}
	return tx.df.sync()
}

// randomLevel picks the level of a new record: 1, plus one for every
// consecutive head of a fair coin, at most MaxLevel.
//
// cyrus: lib/cyrusdb_twoskip.c randlvl (3.6.1)
func (tx *Tx) randomLevel() int {
	if tx.opts.level != nil {
		return min(max(tx.opts.level(), 1), MaxLevel)
	}
	lvl := 1
	for lvl < MaxLevel && rand.IntN(2) == 0 {
		lvl++
	}
	return lvl
}

// createEmpty writes the DUMMY record and the header of a new DB into the
// empty file and syncs: the 336-byte file Cyrus creates.
//
// cyrus: lib/cyrusdb_twoskip.c opendb (3.6.1)
func createEmpty(df *dbfile) error {
	dummy := encodeHead(TypeDummy, make([]uint64, MaxLevel+1), 0, 0, crc32IEEE(nil))
	if err := df.pwrite(dummy, HeaderSize); err != nil {
		return err
	}
	end := uint64(HeaderSize + len(dummy))
	h := Header{Version: Version, Generation: 1, RepackSize: end, CurrentSize: end}
	if err := df.pwrite(encodeHeader(h), 0); err != nil {
		return err
	}
	return df.sync()
}
