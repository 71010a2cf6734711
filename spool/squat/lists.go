package squat

// Document lists at the level of their encoding: validating one without
// visiting each ID, telling whether it is written as Cyrus's builder
// writes it, and appending IDs to an encoded list. An incremental update
// copies the old index's lists as they are when that gives Cyrus's bytes.
// cyrus: imap/squat_build.c write_trie_word_data (3.6.1)

// checkList validates the document list at pos as docList does (same
// acceptance, same errors) but in time linear in its encoded entries, not
// its IDs. It adds the list's IDs to ix.pairs and clears ix.canonical if
// the list is not written as the builder writes it (see canonicalList).
func (ix *Index) checkList(pos int) (int, error) {
	d, ndocs := ix.data, int64(len(ix.docs))
	v, p, ok := decodeI(d, pos, ix.dataEnd)
	if !ok {
		return pos, ix.corrupt(pos, "bad document list header")
	}
	if d[pos] == 0x80 {
		ix.canonical = false // a leading zero group
	}
	if v&1 != 0 {
		if v>>1 >= ndocs {
			return pos, ix.corrupt(pos, "doc ID %d out of range (%d documents)", v>>1, ndocs)
		}
		ix.pairs++
		return p, nil
	}
	size := v >> 1
	if size == 0 || size > int64(ix.dataEnd-p) {
		return pos, ix.corrupt(pos, "document list size %d invalid", size)
	}
	end := p + int(size)
	last, first, ids := int64(0), true, int64(0)
	bad := func(id int64, at int) error {
		return ix.corrupt(at, "doc ID %d out of order or range (%d documents)", id, ndocs)
	}
	var tail listTail // the last entry
	for p < end {
		at := p
		// Most entries are one byte: decoded here, the rest by decodeI.
		var e int64
		if c := d[p]; c < 0x80 {
			e, p = int64(c), p+1
		} else {
			if c == 0x80 {
				ix.canonical = false // a leading zero group
			}
			var ok bool
			if e, p, ok = decodeI(d, p, end); !ok {
				return pos, ix.corrupt(at, "bad document list entry")
			}
		}
		count, delta := int64(1), e>>1
		if e&1 == 0 {
			count = e >> 1
			var q int
			var ok bool
			if p < end && d[p] < 0x80 {
				delta, q, ok = int64(d[p]), p+1, true
			} else {
				if p < end && d[p] == 0x80 {
					ix.canonical = false
				}
				delta, q, ok = decodeI(d, p, end)
			}
			if !ok || count < 1 || count > ndocs {
				return pos, ix.corrupt(at, "bad document run")
			}
			p = q
			if count == 1 {
				ix.canonical = false // a run of one
			}
		}
		// delta < ndocs keeps last+delta from overflowing.
		if delta >= ndocs || last+delta >= ndocs || (!first && delta == 0) {
			return pos, bad(last+delta, at)
		}
		id := last + delta
		if id+count > ndocs {
			return pos, bad(ndocs, at)
		}
		if !first && delta == 1 {
			ix.canonical = false // continues the previous run
		}
		tail = listTail{at, uint64(last), uint64(id), uint64(count)}
		first, last, ids = false, id+count-1, ids+count
	}
	if size >= tailMin {
		ix.tails[pos] = tail
	}
	if ids == 1 {
		ix.canonical = false // one ID has the short form
	}
	ix.pairs += int(ids)
	return end, nil
}

// tailMin is the size from which a list's last entry is remembered by
// validation, for appendList: the long lists of frequent words, which new
// documents mostly touch, are then not decoded again.
const tailMin = 256

// listTail is where a document list's last entry starts, the ID before it
// (0 for the first), and its IDs: start and count.
type listTail struct {
	at             int
	prev, start, n uint64
}

// listEnd returns the end of the (validated) document list at pos and
// whether its first ID is 0.
func (ix *Index) listEnd(pos int) (end int, zero bool) {
	v, p, _ := decodeI(ix.data, pos, ix.dataEnd)
	if v&1 != 0 {
		return p, v>>1 == 0
	}
	end = p + int(v>>1)
	e, q, _ := decodeI(ix.data, p, end)
	if e&1 != 0 {
		return end, e>>1 == 0
	}
	delta, _, _ := decodeI(ix.data, q, end)
	return end, delta == 0
}

// runEncoder writes the body of a document list: runs of consecutive
// IDs, each I(length<<1) I(delta), or I(delta<<1|1) for a lone ID, delta
// counted from the previous entry's last ID (from 0).
type runEncoder struct {
	body     []byte
	last     uint64 // last ID of the entries written
	start, n uint64 // the open run
}

func (e *runEncoder) add(id uint64) {
	if e.n > 0 && id == e.start+e.n {
		e.n++
		return
	}
	e.flush()
	e.start, e.n = id, 1
}

func (e *runEncoder) flush() {
	switch {
	case e.n > 1:
		e.body = appendI(e.body, e.n<<1)
		e.body = appendI(e.body, e.start-e.last)
	case e.n == 1:
		e.body = appendI(e.body, (e.start-e.last)<<1|1)
	default:
		return
	}
	e.last = e.start + e.n - 1
	e.n = 0
}

// appendList writes the old document list list (canonical, validated)
// followed by the IDs of pairs, all greater than its own: the entries
// before its last are kept as they are, the last one is encoded again
// with the new IDs since they may continue its run.
func (t *trieWriter) appendList(ix *Index, list int, pairs []uint64) {
	d := ix.data
	e := runEncoder{body: t.body[:0]}
	v, p, _ := decodeI(d, list, ix.dataEnd)
	if v&1 != 0 {
		e.start, e.n = uint64(v>>1), 1
	} else {
		body, end := p, p+int(v>>1)
		tail, ok := ix.tails[list]
		for ; !ok && p < end; ok = p >= end {
			at := p
			x, q, _ := decodeI(d, p, end)
			count, delta := uint64(1), uint64(x>>1)
			if x&1 == 0 {
				count = uint64(x >> 1)
				y, r, _ := decodeI(d, q, end)
				delta, q = uint64(y), r
			}
			last := tail.start + tail.n - 1
			if tail.n == 0 {
				last = 0
			}
			tail = listTail{at, last, last + delta, count}
			p = q
		}
		e.body = append(e.body, d[body:tail.at]...)
		e.last, e.start, e.n = tail.prev, tail.start, tail.n
	}
	for _, pr := range pairs {
		e.add(uint64(uint32(pr)))
	}
	e.flush()
	t.buf = appendI(t.buf, uint64(len(e.body))<<1)
	t.buf = append(t.buf, e.body...)
	t.body = e.body
}
