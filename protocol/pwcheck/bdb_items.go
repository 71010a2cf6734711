package pwcheck

import (
	"bytes"
)

// Hash page items (db_page.h): H_KEYDATA, H_DUPLICATE, H_OFFPAGE, H_OFFDUP.
const (
	hKeyData   = 1
	hDuplicate = 2
	hOffPage   = 3
	hOffDup    = 4
)

// Btree items of off-page duplicate trees.
const (
	bKeyData  = 1
	bOverflow = 3
	bDelete   = 0x80
)

// hashItem returns item i of a hash page: its type byte and the bytes
// after it, its length being the distance to the previous item
// (LEN_HITEM).
func (db *HashDB) hashItem(p *page, i int) (byte, []byte, error) {
	off, err := db.inp(p, i)
	if err != nil {
		return 0, nil, err
	}
	end := int(db.psize)
	if i > 0 {
		if end, err = db.inp(p, i-1); err != nil {
			return 0, nil, err
		}
	}
	if end <= off {
		return 0, nil, db.errf(int64(p.no), "item %d has length %d", i, end-off)
	}
	return p.b[off], p.b[off+1 : end], nil
}

// hashPage reads a page of a bucket's chain and checks it is one.
func (db *HashDB) hashPage(pgno uint32) (*page, error) {
	p, err := db.readPage(pgno)
	if err != nil {
		return nil, err
	}
	if p.typ != pHash && p.typ != pHashUnsorted {
		return nil, db.errf(int64(pgno), "type %d in a hash bucket chain", p.typ)
	}
	if p.entries%2 != 0 {
		return nil, db.errf(int64(pgno), "odd number of items (%d) on a hash page", p.entries)
	}
	return p, nil
}

// key decodes item i as a key.
func (db *HashDB) key(p *page, i int) ([]byte, error) {
	typ, b, err := db.hashItem(p, i)
	if err != nil {
		return nil, err
	}
	switch typ {
	case hKeyData:
		return b, nil
	case hOffPage:
		return db.offPage(p, i, b)
	}
	return nil, db.errf(int64(p.no), "key item %d has type %d", i, typ)
}

// data decodes item i as a value: one value, or several for duplicates.
func (db *HashDB) data(p *page, i int) ([][]byte, error) {
	typ, b, err := db.hashItem(p, i)
	if err != nil {
		return nil, err
	}
	switch typ {
	case hKeyData:
		return [][]byte{b}, nil
	case hOffPage:
		v, err := db.offPage(p, i, b)
		return [][]byte{v}, err
	case hDuplicate:
		if !db.dups {
			break
		}
		return db.onPageDups(p, i, b)
	case hOffDup:
		if !db.dups {
			break
		}
		if len(b) < 7 {
			return nil, db.errf(int64(p.no), "item %d: short off-page duplicate reference", i)
		}
		return db.offDups(db.bo.Uint32(b[3:]))
	}
	return nil, db.errf(int64(p.no), "data item %d has type %d", i, typ)
}

// offPage follows an H_OFFPAGE item (3 unused bytes, pgno, tlen).
func (db *HashDB) offPage(p *page, i int, b []byte) ([]byte, error) {
	if len(b) < 11 {
		return nil, db.errf(int64(p.no), "item %d: short overflow reference", i)
	}
	return db.overflow(db.bo.Uint32(b[3:]), db.bo.Uint32(b[7:]))
}

// overflow reads a big item of tlen bytes from its chain of overflow
// pages; like libdb's __db_goff it stops once it has tlen bytes.
func (db *HashDB) overflow(pgno, tlen uint32) ([]byte, error) {
	if uint64(tlen) > uint64(db.npages)*uint64(db.psize) {
		return nil, db.errf(int64(pgno), "overflow item of %d bytes is larger than the file", tlen)
	}
	out := make([]byte, 0, tlen)
	for n := uint32(0); uint32(len(out)) < tlen; n++ {
		if pgno == 0 || n >= db.npages {
			return nil, db.errf(int64(pgno), "overflow chain ends after %d of %d bytes", len(out), tlen)
		}
		p, err := db.readPage(pgno)
		if err != nil {
			return nil, err
		}
		if p.typ != pOverflow {
			return nil, db.errf(int64(pgno), "type %d in an overflow chain", p.typ)
		}
		l := p.hfOffset // OV_LEN
		if sizeofPage+l > int(db.psize) {
			return nil, db.errf(int64(pgno), "overflow length %d does not fit", l)
		}
		l = min(l, int(tlen)-len(out))
		out = append(out, p.b[sizeofPage:sizeofPage+l]...)
		pgno = p.next
	}
	return out, nil
}

// onPageDups splits an H_DUPLICATE item: len, bytes, len, repeated.
func (db *HashDB) onPageDups(p *page, i int, b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, db.errf(int64(p.no), "item %d: truncated duplicate", i)
		}
		n := int(db.bo.Uint16(b))
		if 2+n+2 > len(b) || int(db.bo.Uint16(b[2+n:])) != n {
			return nil, db.errf(int64(p.no), "item %d: bad duplicate length %d", i, n)
		}
		out = append(out, b[2:2+n])
		b = b[4+n:]
	}
	if len(out) == 0 {
		return nil, db.errf(int64(p.no), "item %d: empty duplicate set", i)
	}
	return out, nil
}

// offDups reads an off-page duplicate tree (btree for sorted, recno for
// unsorted duplicates): down the leftmost branch, then along the leaves.
func (db *HashDB) offDups(pgno uint32) ([][]byte, error) {
	var out [][]byte
	visited := make(map[uint32]bool)
	for {
		if visited[pgno] {
			return nil, db.errf(int64(pgno), "loop in a duplicate tree")
		}
		visited[pgno] = true
		p, err := db.readPage(pgno)
		if err != nil {
			return nil, err
		}
		switch p.typ {
		case pIBtree, pIRecno:
			if p.entries == 0 {
				return nil, db.errf(int64(pgno), "empty internal page")
			}
			off, err := db.inp(p, 0)
			if err != nil {
				return nil, err
			}
			at := 0 // RINTERNAL: pgno first
			if p.typ == pIBtree {
				at = 4 // BINTERNAL: len, type, unused, pgno
			}
			if off+at+4 > len(p.b) {
				return nil, db.errf(int64(pgno), "truncated internal item")
			}
			pgno = db.bo.Uint32(p.b[off+at:])
			continue
		case pLDup, pLRecno:
		default:
			return nil, db.errf(int64(pgno), "type %d in a duplicate tree", p.typ)
		}
		for {
			vals, err := db.leafItems(p)
			if err != nil {
				return nil, err
			}
			out = append(out, vals...)
			if p.next == 0 {
				return out, nil
			}
			if visited[p.next] {
				return nil, db.errf(int64(p.next), "loop in a duplicate tree")
			}
			visited[p.next] = true
			if p, err = db.readPage(p.next); err != nil {
				return nil, err
			}
			if p.typ != pLDup && p.typ != pLRecno {
				return nil, db.errf(int64(p.no), "type %d among duplicate leaves", p.typ)
			}
		}
	}
}

// leafItems returns the live items of a duplicate leaf page.
func (db *HashDB) leafItems(p *page) ([][]byte, error) {
	var out [][]byte
	for i := 0; i < p.entries; i++ {
		off, err := db.inp(p, i)
		if err != nil {
			return nil, err
		}
		if off+3 > len(p.b) {
			return nil, db.errf(int64(p.no), "truncated item %d", i)
		}
		typ := p.b[off+2]
		if typ&bDelete != 0 {
			continue
		}
		switch typ {
		case bKeyData:
			n := int(db.bo.Uint16(p.b[off:]))
			if off+3+n > len(p.b) {
				return nil, db.errf(int64(p.no), "item %d of %d bytes does not fit", i, n)
			}
			out = append(out, p.b[off+3:off+3+n])
		case bOverflow:
			if off+12 > len(p.b) {
				return nil, db.errf(int64(p.no), "truncated overflow item %d", i)
			}
			v, err := db.overflow(db.bo.Uint32(p.b[off+4:]), db.bo.Uint32(p.b[off+8:]))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		default:
			return nil, db.errf(int64(p.no), "item %d has type %d", i, typ)
		}
	}
	return out, nil
}

// Get returns the value stored under key (the first one if there are
// duplicates), found as libdb finds it: in the bucket the key hashes to.
func (db *HashDB) Get(key []byte) ([]byte, bool, error) {
	h := hashFunc5(key)
	bucket := h & db.highMask
	if bucket > db.maxBucket {
		bucket &= db.lowMask
	}
	pgno, err := db.bucketPage(bucket)
	if err != nil {
		return nil, false, err
	}
	var found []byte
	err = db.chain(pgno, map[uint32]bool{}, func(p *page, i int) error {
		k, err := db.key(p, i)
		if err != nil || !bytes.Equal(k, key) {
			return err
		}
		vals, err := db.data(p, i+1)
		if err != nil {
			return err
		}
		found = vals[0]
		return errStop
	})
	if err == errStop {
		return found, true, nil
	}
	return nil, false, err
}

// Each calls fn for every key and value in cursor order (bucket by
// bucket, page by page, item by item; duplicates one by one), the order
// of sasldblistusers2. The slices are only valid during the call.
func (db *HashDB) Each(fn func(key, value []byte) error) error {
	visited := make(map[uint32]bool)
	for b := uint32(0); b <= db.maxBucket; b++ {
		pgno, err := db.bucketPage(b)
		if err != nil {
			return err
		}
		err = db.chain(pgno, visited, func(p *page, i int) error {
			k, err := db.key(p, i)
			if err != nil {
				return err
			}
			vals, err := db.data(p, i+1)
			if err != nil {
				return err
			}
			for _, v := range vals {
				if err := fn(k, v); err != nil {
					return err
				}
			}
			return nil
		})
		if err == errStop {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// chain calls fn with the index of every key item along the page chain
// starting at pgno. visited catches loops and pages shared by chains.
func (db *HashDB) chain(pgno uint32, visited map[uint32]bool, fn func(p *page, i int) error) error {
	for pgno != 0 {
		if visited[pgno] {
			return db.errf(int64(pgno), "page reached twice in the hash chains")
		}
		visited[pgno] = true
		p, err := db.hashPage(pgno)
		if err != nil {
			return err
		}
		for i := 0; i < p.entries; i += 2 {
			if err := fn(p, i); err != nil {
				return err
			}
		}
		pgno = p.next
	}
	return nil
}
