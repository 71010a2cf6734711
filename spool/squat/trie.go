package squat

import "iter"

// The trie has one level per word byte. A node is a presence table — one
// byte >= 0x20 naming the only child, or start-byte/8, count-1 and a
// bitmap — followed, on the first three levels, by one I back-offset per
// child (node position minus child position) and, on the last level, by
// one document list per child.
// cyrus: imap/squat.c lookup_word_docs, squat_scan_recurse (3.6.1)

// presence decodes the presence table at pos. Bitmap bytes may be read
// up to the end of the file: Cyrus relies on the safety zone the same way.
func (ix *Index) presence(pos int) (set [32]byte, n, after int, ok bool) {
	d := ix.data
	if pos < 0 || pos+1 >= len(d) {
		return set, 0, pos, false
	}
	if p := d[pos]; p&0xe0 != 0 {
		set[p>>3] = 1 << (p & 7)
		return set, 1, pos + 1, true
	}
	start, count := int(d[pos]), int(d[pos+1])+1
	if start+count > 32 || pos+2+count > len(d) {
		return set, 0, pos, false
	}
	for i, b := range d[pos+2 : pos+2+count] {
		set[start+i] = b
		for ; b != 0; b &= b - 1 {
			n++
		}
	}
	return set, n, pos + 2 + count, true
}

func has(set *[32]byte, c int) bool { return set[c>>3]&(1<<(c&7)) != 0 }

// docList decodes the document list at pos, calling fn (if not nil) for
// each doc ID, and returns the position after it. It accepts only what
// Cyrus writes: a non-empty, strictly increasing list of IDs < ndocs.
// cyrus: imap/squat.c set_to_docs_containing_word, squat_scan_leaf (3.6.1)
func (ix *Index) docList(pos int, fn func(id int)) (int, error) {
	d, ndocs := ix.data, int64(len(ix.docs))
	v, p, ok := decodeI(d, pos, ix.dataEnd)
	if !ok {
		return pos, ix.corrupt(pos, "bad document list header")
	}
	if v&1 != 0 {
		if v>>1 >= ndocs {
			return pos, ix.corrupt(pos, "doc ID %d out of range (%d documents)", v>>1, ndocs)
		}
		if fn != nil {
			fn(int(v >> 1))
		}
		return p, nil
	}
	size := v >> 1
	if size == 0 || size > int64(ix.dataEnd-p) {
		return pos, ix.corrupt(pos, "document list size %d invalid", size)
	}
	end := p + int(size)
	last, first := int64(0), true
	emit := func(id int64, at int) error {
		if id >= ndocs || (!first && id <= last) || id < 0 {
			return ix.corrupt(at, "doc ID %d out of order or range (%d documents)", id, ndocs)
		}
		first, last = false, id
		if fn != nil {
			fn(int(id))
		}
		return nil
	}
	for p < end {
		at := p
		e, q, ok := decodeI(d, p, end)
		if !ok {
			return pos, ix.corrupt(at, "bad document list entry")
		}
		p = q
		if e&1 != 0 {
			if err := emit(last+e>>1, at); err != nil {
				return pos, err
			}
			continue
		}
		count := e >> 1
		delta, q, ok := decodeI(d, p, end)
		if !ok || count < 1 || count > ndocs {
			return pos, ix.corrupt(at, "bad document run")
		}
		p = q
		id := last + delta
		for k := int64(0); k < count; k++ {
			if err := emit(id+k, at); err != nil {
				return pos, err
			}
		}
	}
	return end, nil
}

// validateTrie walks the whole trie and requires the layout Cyrus's
// builder produces: every subtree written contiguously, children before
// their parent, from the end of the doc-ID list up to the safety zone.
// That bounds the walk to one visit per node.
func (ix *Index) validateTrie() error {
	d := ix.data
	if ix.wordList == ix.trieStart && ix.wordList+2 == ix.dataEnd && d[ix.wordList] == 0 && d[ix.wordList+1] == 0 {
		return nil // no words: the root is the two-byte empty table
	}
	end, err := ix.validateNode(ix.wordList, 0, ix.trieStart)
	if err != nil {
		return err
	}
	if end != ix.dataEnd {
		return ix.corrupt(end, "trie root ends at %d, safety zone starts at %d", end, ix.dataEnd)
	}
	return nil
}

// validateNode checks the subtree whose node is at pos and which must
// start at cursor; it returns the end of the node.
func (ix *Index) validateNode(pos, level, cursor int) (int, error) {
	set, n, p, ok := ix.presence(pos)
	if !ok || n == 0 || p > ix.dataEnd {
		return 0, ix.corrupt(pos, "bad presence table at trie level %d", level+1)
	}
	if level == WordSize-1 {
		if pos != cursor {
			return 0, ix.corrupt(pos, "trie leaf at %d, expected at %d", pos, cursor)
		}
		ix.words += n
		for i := 0; i < n; i++ {
			var err error
			if p, err = ix.checkList(p); err != nil {
				return 0, err
			}
		}
		return p, nil
	}
	for c := 0; c < 256; c++ {
		if !has(&set, c) {
			continue
		}
		off, q, ok := decodeI(ix.data, p, ix.dataEnd)
		if !ok || off <= 0 || off > int64(pos-ix.trieStart) {
			return 0, ix.corrupt(p, "bad trie offset for byte %#02x at level %d", c, level+1)
		}
		p = q
		var err error
		if cursor, err = ix.validateNode(pos-int(off), level+1, cursor); err != nil {
			return 0, err
		}
	}
	if pos != cursor {
		return 0, ix.corrupt(pos, "trie node at %d, expected at %d", pos, cursor)
	}
	return p, nil
}

// walk visits every word in byte order with the position of its document
// list. With scanQuirk it skips, like squat_scan and squat_find_branch,
// any node whose first two bytes are zero (meant for empty tables left by
// old squatters, it also hides tables that cover only bytes 0-7).
// fn decodes the list (so that it is read once) and returns where it ends,
// and whether to go on.
// cyrus: imap/squat.c squat_scan_recurse, squat_find_branch (3.6.1)
func (ix *Index) walk(scanQuirk bool, fn func(w Word, list int) (end int, more bool)) {
	var w Word
	ix.walkNode(ix.wordList, 0, &w, scanQuirk, fn)
}

func (ix *Index) walkNode(pos, level int, w *Word, scanQuirk bool, fn func(Word, int) (int, bool)) bool {
	d := ix.data
	if scanQuirk && d[pos] == 0 && d[pos+1] == 0 {
		return true
	}
	set, _, p, ok := ix.presence(pos)
	if !ok {
		return true
	}
	for c := 0; c < 256; c++ {
		if !has(&set, c) {
			continue
		}
		w[level] = byte(c)
		if level == WordSize-1 {
			end, more := fn(*w, p)
			if !more {
				return false
			}
			p = end
			continue
		}
		var off int64
		off, p, _ = decodeI(d, p, ix.dataEnd)
		if !ix.walkNode(pos-int(off), level+1, w, scanQuirk, fn) {
			return false
		}
	}
	return true
}

// Words yields every word in the index in byte order with the IDs of the
// documents containing it, ascending.
func (ix *Index) Words() iter.Seq2[Word, []int] {
	return func(yield func(Word, []int) bool) {
		ix.walk(false, func(w Word, list int) (int, bool) {
			var ids []int
			end, _ := ix.docList(list, func(id int) { ids = append(ids, id) })
			return end, yield(w, ids)
		})
	}
}

func (ix *Index) listIDs(list int) []int {
	var ids []int
	_, _ = ix.docList(list, func(id int) { ids = append(ids, id) })
	return ids
}

// lookup finds the document list of w, as lookup_word_docs does.
func (ix *Index) lookup(w Word) (list int, found bool) {
	pos := ix.wordList
	for level := 0; level < WordSize; level++ {
		set, _, p, ok := ix.presence(pos)
		c := int(w[level])
		if !ok || !has(&set, c) {
			return 0, false
		}
		skip := 0
		for b := 0; b < c; b++ {
			if has(&set, b) {
				skip++
			}
		}
		if level == WordSize-1 {
			for ; skip > 0; skip-- {
				p, _ = ix.docList(p, nil)
			}
			return p, true
		}
		var off int64
		for ; skip >= 0; skip-- {
			off, p, _ = decodeI(ix.data, p, ix.dataEnd)
		}
		pos -= int(off)
	}
	return 0, false
}

// WordDocs returns the IDs of the documents containing w, ascending.
func (ix *Index) WordDocs(w Word) []int {
	list, ok := ix.lookup(w)
	if !ok {
		return nil
	}
	return ix.listIDs(list)
}
