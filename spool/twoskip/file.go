package twoskip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cyrus-replication/cyrus-replication/spool/internal/ofd"
)

// OpKind says what a file operation of a writer does; see Options.BeforeIO.
type OpKind int

// File operations, in the order a writer may issue them.
const (
	// OpWrite writes Data at Offset (a pwrite).
	OpWrite OpKind = iota
	// OpTruncate truncates the file to Offset bytes.
	OpTruncate
	// OpFsync is an fsync(2) of the file.
	OpFsync
	// OpFdatasync is an fdatasync(2) of the file.
	OpFdatasync
	// OpRename renames Name to Path (a repack or recovery2 putting the
	// rebuilt file in place) and fsyncs the directory.
	OpRename
)

// String names the operation.
func (k OpKind) String() string {
	switch k {
	case OpWrite:
		return "write"
	case OpTruncate:
		return "truncate"
	case OpFsync:
		return "fsync"
	case OpFdatasync:
		return "fdatasync"
	case OpRename:
		return "rename"
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// Op is one file operation of a writer, reported to Options.BeforeIO
// before it is carried out.
type Op struct {
	// Kind is the operation.
	Kind OpKind
	// Name is the file operated on (for OpRename: the file renamed).
	Name string
	// Path is the new name of an OpRename; empty otherwise.
	Path string
	// Offset is where an OpWrite writes, or the new size of an
	// OpTruncate.
	Offset uint64
	// Data is what an OpWrite writes; it must not be modified or kept.
	Data []byte
}

// dbfile is a twoskip file open for writing under Cyrus's exclusive lock.
// Reads go through a shared read-only mapping that is larger than the
// file, so that appended records become visible without remapping; only
// the first size bytes are ever looked at.
//
// cyrus: lib/mappedfile.c (3.6.1)
type dbfile struct {
	name string
	f    *os.File
	m    []byte // mapping, len(m) ≥ size
	size uint64 // current file size
	// resized is set by writes that extend the file and by truncation:
	// the next sync is then an fsync, otherwise an fdatasync.
	//
	// cyrus: lib/mappedfile.c mappedfile_commit (3.6.1)
	resized bool
	// dirty is set by every write; a sync without writes is skipped.
	dirty bool
	hook  func(Op) error
}

// openLocked opens path for reading and writing (creating it, and its
// directory, if create is set) and takes the exclusive fcntl lock Cyrus
// takes, re-opening the file if it was replaced (a repack by rename)
// while we waited for the lock.
//
// cyrus: lib/mappedfile.c mappedfile_open, lib/lock_fcntl.c lock_reopen_ex (3.6.1)
func openLocked(path string, create bool, hook func(Op) error) (*dbfile, error) {
	flag := os.O_RDWR
	if create {
		flag |= os.O_CREATE
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("twoskip: %w", err)
		}
	}
	for range 100 {
		f, err := os.OpenFile(path, flag, 0o644)
		if err != nil {
			return nil, fmt.Errorf("twoskip: %w", err)
		}
		if err := ofd.LockExclusive(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("twoskip: %w", err)
		}
		var a, b syscall.Stat_t
		if err := syscall.Fstat(int(f.Fd()), &a); err != nil {
			f.Close()
			return nil, fmt.Errorf("twoskip: fstat %s: %w", path, err)
		}
		err = syscall.Stat(path, &b)
		if err == nil && a.Dev == b.Dev && a.Ino == b.Ino {
			df := &dbfile{name: path, f: f, size: uint64(a.Size), hook: hook}
			if err := df.remap(df.size); err != nil {
				f.Close()
				return nil, err
			}
			return df, nil
		}
		f.Close()
		if err != nil && !errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("twoskip: stat %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("twoskip: open %s: file replaced 100 times while locking", path)
}

// remap maps the file with room for at least need bytes.
func (df *dbfile) remap(need uint64) error {
	if need <= uint64(len(df.m)) {
		return nil
	}
	if df.m != nil {
		if err := syscall.Munmap(df.m); err != nil {
			return fmt.Errorf("twoskip: munmap %s: %w", df.name, err)
		}
		df.m = nil
	}
	n := need + need/2 + 1<<20
	n = (n + 0xFFFF) &^ 0xFFFF
	if n > 1<<46 || int(n) < 0 {
		return fmt.Errorf("twoskip: %s: file too large to map (%d bytes)", df.name, need)
	}
	m, err := syscall.Mmap(int(df.f.Fd()), 0, int(n), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("twoskip: mmap %s: %w", df.name, err)
	}
	df.m = m
	return nil
}

// close unmaps and closes the file, which drops the lock.
func (df *dbfile) close() error {
	var err error
	if df.m != nil {
		if e := syscall.Munmap(df.m); e != nil {
			err = fmt.Errorf("twoskip: munmap %s: %w", df.name, e)
		}
		df.m = nil
	}
	if df.f != nil {
		if e := df.f.Close(); e != nil && err == nil {
			err = fmt.Errorf("twoskip: %w", e)
		}
		df.f = nil
	}
	return err
}

// view returns a read-only DB over the first end bytes of the file (end ≤
// size) for decoding records.
func (df *dbfile) view(end uint64) *DB {
	end = min(end, df.size, uint64(len(df.m)))
	return &DB{name: df.name, data: df.m[:end:end]}
}

// pwrite writes b at off.
func (df *dbfile) pwrite(b []byte, off uint64) error {
	if len(b) == 0 {
		return nil
	}
	if df.hook != nil {
		if err := df.hook(Op{Kind: OpWrite, Name: df.name, Offset: off, Data: b}); err != nil {
			return err
		}
	}
	end := off + uint64(len(b))
	if err := df.remap(end); err != nil {
		return err
	}
	if _, err := df.f.WriteAt(b, int64(off)); err != nil {
		return fmt.Errorf("twoskip: %w", err)
	}
	df.dirty = true
	if end > df.size {
		df.size = end
		df.resized = true
	}
	return nil
}

// truncate cuts the file to n bytes.
//
// cyrus: lib/mappedfile.c mappedfile_truncate (3.6.1)
func (df *dbfile) truncate(n uint64) error {
	if df.hook != nil {
		if err := df.hook(Op{Kind: OpTruncate, Name: df.name, Offset: n}); err != nil {
			return err
		}
	}
	if err := df.f.Truncate(int64(n)); err != nil {
		return fmt.Errorf("twoskip: %w", err)
	}
	df.size = n
	df.dirty = true
	df.resized = true
	return nil
}

// sync makes the writes so far durable: nothing if nothing was written
// since the last sync, fsync if the file changed size, else fdatasync.
//
// cyrus: lib/mappedfile.c mappedfile_commit (3.6.1)
func (df *dbfile) sync() error {
	if !df.dirty {
		return nil
	}
	kind, call, fn := OpFdatasync, "fdatasync", syscall.Fdatasync
	if df.resized {
		kind, call, fn = OpFsync, "fsync", syscall.Fsync
	}
	if df.hook != nil {
		if err := df.hook(Op{Kind: kind, Name: df.name}); err != nil {
			return err
		}
	}
	if err := fn(int(df.f.Fd())); err != nil {
		return fmt.Errorf("twoskip: %s %s: %w", call, df.name, err)
	}
	df.dirty, df.resized = false, false
	return nil
}

// renameOver renames the file to path and fsyncs the directory.
//
// cyrus: lib/mappedfile.c mappedfile_rename (3.6.1)
func (df *dbfile) renameOver(path string) error {
	if df.hook != nil {
		if err := df.hook(Op{Kind: OpRename, Name: df.name, Path: path}); err != nil {
			return err
		}
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("twoskip: %w", err)
	}
	defer dir.Close()
	if err := os.Rename(df.name, path); err != nil {
		return fmt.Errorf("twoskip: %w", err)
	}
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("twoskip: fsync directory of %s: %w", path, err)
	}
	df.name = path
	return nil
}

// encodeHeader renders h as the 64 bytes at the start of the file, with
// a fresh CRC.
//
// cyrus: lib/cyrusdb_twoskip.c write_header (3.6.1)
func encodeHeader(h Header) []byte {
	b := make([]byte, HeaderSize)
	copy(b, Magic)
	be := binary.BigEndian
	be.PutUint32(b[20:], h.Version)
	be.PutUint64(b[24:], h.Generation)
	be.PutUint64(b[32:], h.NumRecords)
	be.PutUint64(b[40:], h.RepackSize)
	be.PutUint64(b[48:], h.CurrentSize)
	be.PutUint32(b[56:], h.Flags)
	be.PutUint32(b[60:], crc32.ChecksumIEEE(b[:60]))
	return b
}

// encodeHead renders the head of a record (lengths, pointer slots and the
// two CRCs) whose key+value+padding has CRC tailCRC.
//
// cyrus: lib/cyrusdb_twoskip.c prepare_record (3.6.1)
func encodeHead(typ Type, slots []uint64, keylen, vallen uint64, tailCRC uint32) []byte {
	be := binary.BigEndian
	b := make([]byte, 8, 8+16+8*len(slots)+8)
	b[0] = byte(typ)
	b[1] = byte(len(slots) - 1)
	if keylen < 0xFFFF {
		be.PutUint16(b[2:], uint16(keylen))
	} else {
		be.PutUint16(b[2:], 0xFFFF)
		b = be.AppendUint64(b, keylen)
	}
	if vallen < 0xFFFFFFFF {
		be.PutUint32(b[4:], uint32(vallen))
	} else {
		be.PutUint32(b[4:], 0xFFFFFFFF)
		b = be.AppendUint64(b, vallen)
	}
	for _, s := range slots {
		b = be.AppendUint64(b, s)
	}
	b = be.AppendUint32(b, crc32.ChecksumIEEE(b))
	return be.AppendUint32(b, tailCRC)
}

// rewriteHead rewrites the head of r in place with new pointer slots,
// keeping its tail CRC.
//
// cyrus: lib/cyrusdb_twoskip.c rewrite_record (3.6.1)
func (df *dbfile) rewriteHead(r *RawRecord, slots []uint64) error {
	head := encodeHead(r.Type, slots, uint64(len(r.Key)), uint64(len(r.Value)), r.TailCRC)
	return df.pwrite(head, r.Offset)
}
