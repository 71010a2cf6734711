package pwcheck

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// A read-only reader of Berkeley DB hash databases as libdb 5.3 writes
// them (hash versions 7 to 9, either byte order), enough for sasldb2.
// libsasl opens the file with DB_RDONLY and no environment, so libdb takes
// no lock; neither do we. Facts from libdb 5.3: dbinc/db_page.h (page
// layouts), hash/hash_open.c __ham_metachk, hash/hash.c __ham_call_hash,
// hash/hash_func.c __ham_func5, db/db_conv.c __db_byteswap.

// Page types (db_page.h).
const (
	pInvalid      = 0
	pHashUnsorted = 2
	pIBtree       = 3
	pIRecno       = 4
	pLBtree       = 5
	pLRecno       = 6
	pOverflow     = 7
	pHashMeta     = 8
	pBtreeMeta    = 9
	pQamMeta      = 10
	pLDup         = 12
	pHash         = 13
	pHeapMeta     = 14
)

const (
	hashMagic   = 0x061561
	btreeMagic  = 0x053162
	queueMagic  = 0x042253
	heapMagic   = 0x074582
	sizeofPage  = 26 // SIZEOF_PAGE: the page header
	metaSize    = 512
	hashDupFlag = 0x01 // DB_HASH_DUP
	hashSubDB   = 0x02 // DB_HASH_SUBDB
	hashDupSort = 0x04 // DB_HASH_DUPSORT
	metaChksum  = 0x01 // DBMETA_CHKSUM
)

// charKey is the string whose hash the meta page records (CHARKEY, with
// its NUL: libdb hashes sizeof(CHARKEY) bytes).
const charKey = "%$sniglet^&\x00"

// FormatError says a file is not a Berkeley DB hash database we can read:
// damaged, or using a feature sasldb never uses.
type FormatError struct {
	File string
	// Page is the page number, or -1 for the file as a whole.
	Page   int64
	Reason string
}

func (e *FormatError) Error() string {
	if e.Page < 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("%s: page %d: %s", e.File, e.Page, e.Reason)
}

// HashDB is an open Berkeley DB hash database.
type HashDB struct {
	path    string
	r       io.ReaderAt
	closer  io.Closer
	bo      binary.ByteOrder
	psize   uint32
	npages  uint32 // whole pages in the file
	version uint32

	maxBucket, highMask, lowMask uint32
	spares                       [32]uint32
	dups                         bool
}

// OpenHash opens path read-only, without locks, and checks its meta page
// as libdb does.
func OpenHash(path string) (*HashDB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	db, err := newHashDB(path, f, fi.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	db.closer = f
	return db, nil
}

// Close closes the file.
func (db *HashDB) Close() error {
	if db.closer == nil {
		return nil
	}
	return db.closer.Close()
}

func (db *HashDB) errf(pgno int64, format string, args ...any) error {
	return &FormatError{File: db.path, Page: pgno, Reason: fmt.Sprintf(format, args...)}
}

func newHashDB(path string, r io.ReaderAt, size int64) (*HashDB, error) {
	db := &HashDB{path: path, r: r}
	if size < metaSize {
		return nil, db.errf(-1, "%d bytes: too short for a Berkeley DB file", size)
	}
	m := make([]byte, metaSize)
	if _, err := r.ReadAt(m, 0); err != nil {
		return nil, fmt.Errorf("%s: read meta page: %w", path, err)
	}
	magic := binary.LittleEndian.Uint32(m[12:])
	db.bo = binary.LittleEndian
	if magic != hashMagic && binary.BigEndian.Uint32(m[12:]) == hashMagic {
		db.bo, magic = binary.BigEndian, hashMagic
	}
	if magic != hashMagic {
		return nil, db.errf(-1, "not a Berkeley DB hash database (%s)", otherMagic(m[12:16]))
	}
	bo := db.bo
	db.version = bo.Uint32(m[16:])
	switch db.version {
	case 7, 8, 9:
	case 4, 5, 6:
		return nil, db.errf(-1, "hash version %d requires a version upgrade", db.version)
	default:
		return nil, db.errf(-1, "unsupported hash version: %d", db.version)
	}
	db.psize = bo.Uint32(m[20:])
	if db.psize < 512 || db.psize > 65536 || db.psize&(db.psize-1) != 0 {
		return nil, db.errf(-1, "bad page size %d", db.psize)
	}
	if m[24] != 0 {
		return nil, db.errf(-1, "encrypted databases are not supported")
	}
	if m[25] != pHashMeta {
		return nil, db.errf(0, "meta page has type %d, not %d", m[25], pHashMeta)
	}
	if m[26]&metaChksum != 0 {
		return nil, db.errf(-1, "checksummed databases are not supported")
	}
	flags := bo.Uint32(m[48:])
	if flags&^uint32(hashDupFlag|hashSubDB|hashDupSort) != 0 {
		return nil, db.errf(-1, "unknown hash flags %#x", flags)
	}
	if flags&hashSubDB != 0 {
		return nil, db.errf(-1, "databases holding subdatabases are not supported")
	}
	db.dups = flags&hashDupFlag != 0
	if size%int64(db.psize) != 0 {
		return nil, db.errf(-1, "file size %d not a multiple of the pagesize %d", size, db.psize)
	}
	if size/int64(db.psize) > 1<<32-1 {
		return nil, db.errf(-1, "file too large")
	}
	db.npages = uint32(size / int64(db.psize))
	db.maxBucket, db.highMask, db.lowMask = bo.Uint32(m[72:]), bo.Uint32(m[76:]), bo.Uint32(m[80:])
	if h := bo.Uint32(m[92:]); h != hashFunc5([]byte(charKey)) {
		return nil, db.errf(-1, "hash function unknown (h_charkey %#x)", h)
	}
	for i := range db.spares {
		db.spares[i] = bo.Uint32(m[96+4*i:])
	}
	if db.maxBucket >= db.npages {
		return nil, db.errf(-1, "%d buckets but %d pages", uint64(db.maxBucket)+1, db.npages)
	}
	return db, nil
}

func otherMagic(b []byte) string {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		switch bo.Uint32(b) {
		case btreeMagic:
			return "a btree"
		case queueMagic:
			return "a queue"
		case heapMagic:
			return "a heap"
		}
	}
	return "bad magic number"
}

// hashFunc5 is libdb's default hash since hash version 5 (FNV-1 with a
// zero offset basis).
func hashFunc5(k []byte) uint32 {
	var h uint32
	for _, c := range k {
		h *= 16777619
		h ^= uint32(c)
	}
	return h
}

// log2 is __db_log2: the smallest i with 1<<i >= n.
func log2(n uint32) uint32 {
	i, limit := uint32(0), uint64(1)
	for limit < uint64(n) {
		limit <<= 1
		i++
	}
	return i
}

// bucketPage is BUCKET_TO_PAGE.
func (db *HashDB) bucketPage(bucket uint32) (uint32, error) {
	l := log2(bucket + 1)
	if l >= uint32(len(db.spares)) {
		return 0, db.errf(-1, "bucket %d out of range", bucket)
	}
	p := uint64(bucket) + uint64(db.spares[l])
	if p == 0 || p >= uint64(db.npages) {
		return 0, db.errf(-1, "bucket %d on page %d, not a bucket page (last page %d)", bucket, p, db.npages-1)
	}
	return uint32(p), nil
}

// page is one page, its header decoded.
type page struct {
	no       uint32
	b        []byte
	next     uint32
	entries  int
	hfOffset int
	typ      byte
}

// readPage reads page pgno. A page whose header says page 0 (never
// written: a hole in the file) is an empty hash page, as libdb's
// __ham_pgin makes it.
func (db *HashDB) readPage(pgno uint32) (*page, error) {
	if pgno >= db.npages {
		return nil, db.errf(int64(pgno), "beyond the end of the file (%d pages)", db.npages)
	}
	b := make([]byte, db.psize)
	if _, err := db.r.ReadAt(b, int64(pgno)*int64(db.psize)); err != nil {
		return nil, fmt.Errorf("%s: read page %d: %w", db.path, pgno, err)
	}
	bo := db.bo
	p := &page{no: pgno, b: b, next: bo.Uint32(b[16:]), entries: int(bo.Uint16(b[20:])),
		hfOffset: int(bo.Uint16(b[22:])), typ: b[25]}
	if hdr := bo.Uint32(b[8:]); hdr != pgno {
		if hdr == 0 && p.typ != pHashMeta {
			return &page{no: pgno, b: b, typ: pHash, hfOffset: int(db.psize)}, nil
		}
		return nil, db.errf(int64(pgno), "header says page %d", hdr)
	}
	if sizeofPage+2*p.entries > int(db.psize) {
		return nil, db.errf(int64(pgno), "%d entries do not fit", p.entries)
	}
	return p, nil
}

// inp is the offset of item i (P_INP), checked to lie in the page.
func (db *HashDB) inp(p *page, i int) (int, error) {
	off := int(db.bo.Uint16(p.b[sizeofPage+2*i:]))
	if off < sizeofPage+2*p.entries || off >= int(db.psize) {
		return 0, db.errf(int64(p.no), "item %d at offset %d, outside the page", i, off)
	}
	return off, nil
}

// errStop ends an Each walk early without error.
var errStop = errors.New("stop")
