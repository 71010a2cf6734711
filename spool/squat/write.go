package squat

import (
	"bufio"
	"encoding/binary"
	"io"
	"runtime"
	"sync"
)

// WriteTo writes the index. The Builder can be written again but not
// added to afterwards without the earlier words staying in.
// cyrus: imap/squat_build.c index_close_internal, write_trie_word_data,
// dump_word_table_offsets, dump_doc_list_present_bits, dump_doc_list_docs (3.6.1)
func (b *Builder) WriteTo(w io.Writer) (int64, error) {
	// Doc list, then a 0 byte, then the doc-ID list: the offset of each
	// record from the doc list's start, then a zero int32.
	size := 1 + 4*(len(b.docs)+1)
	for _, d := range b.docs {
		size += len(d.name) + 1 + lenI(uint64(d.length))
	}
	docList := make([]byte, 0, size)
	offsets := make([]uint32, len(b.docs))
	for i, d := range b.docs {
		offsets[i] = uint32(len(docList))
		docList = append(docList, d.name...)
		docList = append(docList, 0)
		docList = appendI(docList, uint64(d.length))
	}
	docList = append(docList, 0)
	docIDList := headerSize + int64(len(docList))
	for _, o := range offsets {
		docList = binary.BigEndian.AppendUint32(docList, o)
	}
	docList = binary.BigEndian.AppendUint32(docList, 0)

	// The sub-trie of each first byte is laid out on its own (its
	// offsets are all relative to itself), several at once; then they
	// follow each other in byte order and the root points at them.
	subs := b.subtries()
	var roots [256]int64 // absolute offset of each first byte's sub-trie
	at := headerSize + int64(len(docList))
	var parts [][]byte
	for c := range 256 {
		if subs[c].buf != nil {
			roots[c] = at + subs[c].top
			at += int64(len(subs[c].buf))
			parts = append(parts, subs[c].buf)
		}
	}
	t := trieWriter{base: at}
	wordList := t.pos()
	t.table(wordList, roots[:])
	parts = append(parts, t.buf)

	hdr := make([]byte, headerSize)
	copy(hdr, headerText)
	binary.BigEndian.PutUint64(hdr[8:], headerSize)
	binary.BigEndian.PutUint64(hdr[16:], uint64(docIDList))
	binary.BigEndian.PutUint64(hdr[24:], uint64(wordList))
	for i := 32; i < 64; i++ {
		hdr[i] = 0xff // squatter sets no SQUAT_OPTION_VALID_CHARS
	}
	bw := bufio.NewWriterSize(w, 128*1024)
	var n int64
	for _, part := range append(append([][]byte{hdr, docList}, parts...), make([]byte, safetyZone)) {
		m, err := bw.Write(part)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}

// subtrie is one first byte's sub-trie, laid out from offset 0, and the
// offset of its top table.
type subtrie struct {
	buf []byte
	top int64
}

// subtries sorts the pairs of each first byte and lays out its sub-trie,
// on up to GOMAXPROCS goroutines (first bytes are independent).
func (b *Builder) subtries() *[256]subtrie {
	var subs [256]subtrie
	next := make(chan int, 256)
	for c := range 256 {
		next <- c
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 8) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Base 1: an offset of 0 would read as "no child" in table.
			t := trieWriter{base: 1, old: b.old}
			var words []trieWord
			for c := range next {
				if words = b.trieWords(c, words[:0]); len(words) > 0 {
					// Room for the copied lists, a few bytes per new
					// pair and per word: the buffer rarely grows.
					t.buf = make([]byte, 0, b.oldListBytes[c]+2*len(b.pairs[c])+3*len(words)+512)
					top := t.subtrie(words)
					subs[c] = subtrie{t.buf, top - 1}
				}
			}
		}()
	}
	wg.Wait()
	return &subs
}

// trieWord is one word of a sub-trie, bytes 2-4, with its documents:
// an old index's list (if list > 0) and the IDs of pairs after them.
type trieWord struct {
	key   uint32
	list  int
	end   int
	pairs []uint64
}

// trieWords merges, in byte order, the words of first byte c copied from
// an old index and those of the pairs.
func (b *Builder) trieWords(c int, words []trieWord) []trieWord {
	olds := b.oldWords[c]
	pairs := b.sortedPairs(c)
	for len(olds) > 0 || len(pairs) > 0 {
		var w trieWord
		switch {
		case len(pairs) == 0 || (len(olds) > 0 && olds[0].key < uint32(pairs[0]>>32)):
			w = trieWord{key: olds[0].key, list: olds[0].list, end: olds[0].end}
			olds = olds[1:]
		case len(olds) > 0 && olds[0].key == uint32(pairs[0]>>32):
			w = trieWord{key: olds[0].key, list: olds[0].list, end: olds[0].end}
			olds = olds[1:]
			fallthrough
		default:
			n := run(pairs, 32)
			w.key, w.pairs = uint32(pairs[0]>>32), pairs[:n]
			pairs = pairs[n:]
		}
		words = append(words, w)
	}
	return words
}

// trieWriter lays out tries post-order: children first, then the table
// pointing back at them.
type trieWriter struct {
	base int64 // file offset of buf[0]
	buf  []byte
	body []byte // scratch for one document list
	old  *Index // the index trieWord.list points into
}

func (t *trieWriter) pos() int64 { return t.base + int64(len(t.buf)) }

// subtrie writes the trie of one first byte from its words in byte order
// and returns the offset of its top table.
func (t *trieWriter) subtrie(words []trieWord) int64 {
	var level2 [256]int64
	for len(words) > 0 {
		b2 := byte(words[0].key >> 16)
		n := wordRun(words, 16)
		var level3 [256]int64
		for w := words[:n]; len(w) > 0; {
			b3 := byte(w[0].key >> 8)
			m := wordRun(w, 8)
			level3[b3] = t.leaf(w[:m])
			w = w[m:]
		}
		level2[b2] = t.pos()
		t.table(level2[b2], level3[:])
		words = words[n:]
	}
	top := t.pos()
	t.table(top, level2[:])
	return top
}

// wordRun is how many leading words share the key bytes above shift.
func wordRun(words []trieWord, shift uint) int {
	k := words[0].key >> shift
	n := 1
	for n < len(words) && words[n].key>>shift == k {
		n++
	}
	return n
}

// run is how many leading pairs share the word bytes above shift.
func run(pairs []uint64, shift uint) int {
	k := pairs[0] >> shift
	n := 1
	for n < len(pairs) && pairs[n]>>shift == k {
		n++
	}
	return n
}

// leaf writes the presence table of the fourth bytes, then each word's
// document list, and returns the leaf's offset.
func (t *trieWriter) leaf(words []trieWord) int64 {
	at := t.pos()
	var present [256]bool
	for _, w := range words {
		present[byte(w.key)] = true
	}
	t.presence(present[:], int(byte(words[0].key)), int(byte(words[len(words)-1].key)))
	for _, w := range words {
		switch {
		case w.list == 0:
			t.docs(w.pairs)
		case len(w.pairs) == 0:
			t.buf = append(t.buf, t.old.data[w.list:w.end]...)
		default:
			t.appendList(t.old, w.list, w.pairs)
		}
	}
	return at
}

// table writes a branch table at offset at: presence, then the back
// offset of each child. An empty table is the two bytes 0 0.
func (t *trieWriter) table(at int64, children []int64) {
	var present [256]bool
	first, last := 256, -1
	for c, off := range children {
		if off != 0 {
			present[c] = true
			first, last = min(first, c), max(last, c)
		}
	}
	if last < 0 {
		t.buf = append(t.buf, 0, 0)
		return
	}
	t.presence(present[:], first, last)
	for _, off := range children {
		if off != 0 {
			t.buf = appendI(t.buf, uint64(at-off))
		}
	}
}

// presence writes a single byte for one child >= 0x20 (below that it
// would read as a start byte), else start/8, count-1 and a bitmap.
func (t *trieWriter) presence(present []bool, first, last int) {
	if first == last && first >= 32 {
		t.buf = append(t.buf, byte(first))
		return
	}
	start, count := first>>3, last>>3-first>>3+1
	t.buf = append(t.buf, byte(start), byte(count-1))
	bm := len(t.buf)
	t.buf = append(t.buf, make([]byte, count)...)
	for c := first; c <= last; c++ {
		if present[c] {
			t.buf[bm+c>>3-start] |= 1 << (c & 7)
		}
	}
}

// docs writes one word's document list: a single ID as I(id<<1|1), else
// I(bytes<<1) and runs of consecutive IDs, each I(delta<<1|1) for one ID
// or I(length<<1) I(delta), delta counted from the previous ID (from 0).
func (t *trieWriter) docs(pairs []uint64) {
	if len(pairs) == 1 {
		t.buf = appendI(t.buf, uint64(uint32(pairs[0]))<<1|1)
		return
	}
	e := runEncoder{body: t.body[:0]}
	for _, p := range pairs {
		e.add(uint64(uint32(p)))
	}
	e.flush()
	t.buf = appendI(t.buf, uint64(len(e.body))<<1)
	t.buf = append(t.buf, e.body...)
	t.body = e.body
}
