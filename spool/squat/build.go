package squat

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Document is one SQUAT source document: a message part in search normal
// form, named part letter + UID ("m42") as search_squat.c names them.
type Document struct {
	Name string
	Text []byte
}

// Builder accumulates documents and writes a SQUAT index. Doc IDs are
// given in the order documents are added.
type Builder struct {
	docs []docRecord
	// pairs[b] holds (word bytes 2-4 << 32 | doc ID) for every word
	// starting with byte b: 8 bytes per distinct word per document, what
	// Cyrus keeps in memory for one first byte while writing its trie.
	pairs [256][]uint64
	seen  wordSet // the current document's words
	// sorted[b] is how many leading pairs[b] are sorted and distinct.
	sorted [256]int
	// An update that copies the old index's document lists: old, and
	// oldWords[b] its words starting with byte b in byte order, each with
	// the position of its list in old (see NewUpdate).
	old      *Index
	oldWords [256][]oldWord
	// oldListBytes[b] is the size of the lists of oldWords[b].
	oldListBytes [256]int
}

// oldWord is a word of an old index whose document list is copied: word
// bytes 2-4 and where its list is in the old file.
type oldWord struct {
	key       uint32
	list, end int
}

type docRecord struct {
	name   string
	length int64
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder { return &Builder{} }

// AddWords adds a document with its name, its text length and the set of
// its words (duplicates are ignored). It is the level Cyrus's own file
// can be rebuilt from. cyrus: imap/squat_build.c squat_index_open_document,
// squat_index_close_document (3.6.1)
func (b *Builder) AddWords(name string, length int64, words []Word) error {
	id, err := b.addDoc(name, length)
	if err != nil {
		return err
	}
	for _, w := range words {
		b.pairs[w[0]] = append(b.pairs[w[0]], uint64(w[1])<<48|uint64(w[2])<<40|uint64(w[3])<<32|id)
	}
	return nil
}

// addDoc checks a document and gives it the next doc ID.
func (b *Builder) addDoc(name string, length int64) (uint64, error) {
	// An empty name is Cyrus's own (a part letter NUL): written as it is.
	if strings.IndexByte(name, 0) >= 0 {
		return 0, fmt.Errorf("squat: document name %q contains NUL", name)
	}
	if length < 0 {
		return 0, fmt.Errorf("squat: document %q: negative length %d", name, length)
	}
	if len(b.docs) >= 1<<31-1 {
		return 0, fmt.Errorf("squat: document %q: too many documents", name)
	}
	id := uint64(len(b.docs))
	b.docs = append(b.docs, docRecord{name, length})
	return id, nil
}

// AddText adds a document whose words are all 4-byte substrings of text,
// whatever its length (the validity document is empty). Cyrus's squatter
// declares every byte valid, so no word is dropped.
// cyrus: imap/squat_build.c squat_index_append_document (3.6.1)
func (b *Builder) AddText(name string, text []byte) error {
	id, err := b.addDoc(name, int64(len(text)))
	if err != nil || len(text) < WordSize {
		return err
	}
	// Each distinct word once: the pairs of a word and this document are
	// then added once, in the order the words first appear (the order
	// does not matter: pairs are sorted before they are written).
	b.seen.reset(len(text))
	w := uint32(text[0])<<16 | uint32(text[1])<<8 | uint32(text[2])
	for _, c := range text[WordSize-1:] {
		w = w<<8 | uint32(c)
		if b.seen.add(w) {
			b.pairs[w>>24] = append(b.pairs[w>>24], uint64(w&0xffffff)<<32|id)
		}
	}
	return nil
}

// AddDocument adds d unless its text is shorter than a word: search_squat.c
// opens a document only once 4 bytes of text have arrived, so shorter
// parts leave no trace. cyrus: imap/search_squat.c append_text (3.6.1)
func (b *Builder) AddDocument(d Document) error {
	if len(d.Text) < WordSize {
		return nil
	}
	return b.AddText(d.Name, d.Text)
}

// WordFinder finds the distinct words of texts, reusing its memory from
// one text to the next; the zero value is ready. One per goroutine.
type WordFinder struct {
	seen wordSet
}

// Words returns the distinct 4-byte substrings of text in the order they
// first appear: with AddWords, what AddText adds.
func (f *WordFinder) Words(text []byte) []Word {
	if len(text) < WordSize {
		return nil
	}
	f.seen.reset(len(text))
	var words []Word
	w := uint32(text[0])<<16 | uint32(text[1])<<8 | uint32(text[2])
	for _, c := range text[WordSize-1:] {
		w = w<<8 | uint32(c)
		if f.seen.add(w) {
			words = append(words, Word{byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w)})
		}
	}
	return words
}

// wordSet is the set of words seen in one document: open addressing on
// the word, each slot tagged with the document's generation so that
// starting the next document clears nothing.
type wordSet struct {
	slots []uint64 // generation << 32 | word
	gen   uint64
	n     int
	shift uint
}

// reset empties the set for a document of size bytes.
func (s *wordSet) reset(size int) {
	s.gen++
	s.n = 0
	if s.slots == nil || s.gen == 1<<32 {
		// first use, or generations exhausted: a clean table
		s.gen = 1
		s.grow(min(size, 1<<12))
	}
}

func (s *wordSet) grow(want int) {
	size := 1 << 10
	for size < 2*want {
		size <<= 1
	}
	old := s.slots
	s.slots = make([]uint64, size)
	s.shift = uint(64 - bitsLen(size-1))
	s.n = 0
	for _, v := range old {
		if v>>32 == s.gen {
			s.add(uint32(v))
		}
	}
}

func bitsLen(x int) int {
	n := 0
	for ; x > 0; x >>= 1 {
		n++
	}
	return n
}

// add adds w and reports whether it was new.
func (s *wordSet) add(w uint32) bool {
	mask := len(s.slots) - 1
	v := s.gen<<32 | uint64(w)
	for i := int((uint64(w) * 0x9e3779b97f4a7c15) >> s.shift); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case v:
			return false
		default:
			if s.slots[i]>>32 == s.gen {
				continue
			}
			s.slots[i] = v
			s.n++
			if 2*s.n > len(s.slots) {
				s.grow(len(s.slots))
			}
			return true
		}
	}
}

// Build writes a full index as squatter without -i does: the document
// "validity.<uidvalidity>" first, then docs in order.
// cyrus: imap/search_squat.c begin_mailbox (3.6.1)
func Build(w io.Writer, uidvalidity uint32, docs []Document) error {
	b := NewBuild(uidvalidity)
	for _, d := range docs {
		if err := b.AddDocument(d); err != nil {
			return err
		}
	}
	_, err := b.WriteTo(w)
	return err
}

// NewBuild returns a Builder started as a full build starts: with the
// document "validity.<uidvalidity>".
// cyrus: imap/search_squat.c begin_mailbox (3.6.1)
func NewBuild(uidvalidity uint32) *Builder {
	b := NewBuilder()
	// Cannot fail: the name is valid.
	_ = b.AddText(fmt.Sprintf("validity.%d", uidvalidity), nil)
	return b
}

// Update writes the index squatter -i makes from old plus docs (the
// messages not in old.IndexedUIDs, or all messages if !old.Current).
// cyrus: imap/search_squat.c begin_mailbox (3.6.1)
func Update(w io.Writer, old *Index, uidvalidity uint32, docs []Document) error {
	b := NewUpdate(old, uidvalidity)
	for _, d := range docs {
		if err := b.AddDocument(d); err != nil {
			return err
		}
	}
	_, err := b.WriteTo(w)
	return err
}

// NewUpdate returns a Builder started as Cyrus's incremental update starts
// from old: old documents copied in order through doc_check (part letter
// with UID 0 dropped, all else kept verbatim, so IDs mostly stay), and
// their words copied through squat_scan. If !old.Current(uidvalidity),
// Cyrus "forces a full update" but has already copied the old documents:
// it then appends a new validity document, and so does NewUpdate.
// cyrus: imap/squat_build.c squat_index_add_existing, copy_docIDs,
// add_word_callback, doc_ID_map_lookup; imap/search_squat.c doc_check (3.6.1)
func NewUpdate(old *Index, uidvalidity uint32) *Builder {
	return newUpdate(old, uidvalidity, old.keepsIDs())
}

// keepsIDs reports whether every old document keeps its ID in an update
// and every document list is written as the builder writes it: then an
// old word's list, with the new documents' IDs (all greater) appended,
// is the list Cyrus writes, and is copied instead of decoded.
func (ix *Index) keepsIDs() bool {
	if !ix.canonical || ix.listed != len(ix.docs) {
		return false
	}
	return !slices.Contains(ix.kinds, docDropped)
}

// newUpdate is NewUpdate, copying the old lists if copyLists (which
// requires old.keepsIDs()), else decoding every (word, document) pair.
func newUpdate(old *Index, uidvalidity uint32, copyLists bool) *Builder {
	b := NewBuilder()
	b.docs = make([]docRecord, 0, len(old.docs)+len(old.docs)/8+16)
	if copyLists {
		for _, d := range old.docs {
			b.docs = append(b.docs, docRecord{d.Name, d.Length})
		}
		b.copyWords(old)
	} else {
		newID := make([]int, len(old.docs))
		for i := range newID {
			newID[i] = -1 // past the listed documents: absent from the map
		}
		for i, d := range old.listedDocs() {
			if old.kinds[i] != docDropped {
				newID[i] = len(b.docs)
				b.docs = append(b.docs, docRecord{d.Name, d.Length})
			}
		}
		b.decodeWords(old, newID)
	}
	if !old.Current(uidvalidity) {
		// Cannot fail: the name is valid.
		_ = b.AddText(fmt.Sprintf("validity.%d", uidvalidity), nil)
	}
	return b
}

// decodeWords adds every (word, document) pair of old through the ID map.
// doc_ID_map_lookup returns 0 for "absent", so old doc 0 and any doc
// whose new ID is 0 lose their words.
func (b *Builder) decodeWords(old *Index, newID []int) {
	// The walk goes first byte after first byte: all the pairs go into
	// one slice (sized by the count validation took), cut per first byte.
	all := make([]uint64, 0, old.pairs)
	first, from := -1, 0
	cut := func() {
		if first >= 0 {
			b.pairs[first] = all[from:len(all):len(all)]
		}
	}
	old.walk(true, func(w Word, list int) (int, bool) {
		if int(w[0]) != first {
			cut()
			first, from = int(w[0]), len(all)
		}
		key := uint64(w[1])<<48 | uint64(w[2])<<40 | uint64(w[3])<<32
		end, _ := old.docList(list, func(id int) {
			if id >= 1 && newID[id] > 0 {
				all = append(all, key|uint64(newID[id]))
			}
		})
		return end, true
	})
	cut()
	// squat_scan walks the trie in byte order, and a word's documents
	// keep their order under the new IDs: the copied pairs are sorted.
	for c := range b.pairs {
		b.sorted[c] = len(b.pairs[c])
	}
}

// copyWords records where each word's list is in old, IDs unchanged. A
// list that starts with doc 0 loses it (as in decodeWords): its pairs
// are decoded instead.
func (b *Builder) copyWords(old *Index) {
	b.old = old
	// One slice for all the words, cut per first byte as decodeWords does.
	all := make([]oldWord, 0, old.words)
	first, from := -1, 0
	cut := func() {
		if first >= 0 {
			b.oldWords[first] = all[from:len(all):len(all)]
		}
	}
	old.walk(true, func(w Word, list int) (int, bool) {
		if int(w[0]) != first {
			cut()
			first, from = int(w[0]), len(all)
		}
		key := uint32(w[1])<<16 | uint32(w[2])<<8 | uint32(w[3])
		end, zero := old.listEnd(list)
		if !zero {
			all = append(all, oldWord{key, list, end})
			b.oldListBytes[w[0]] += end - list
			return end, true
		}
		_, _ = old.docList(list, func(id int) {
			if id >= 1 {
				b.pairs[w[0]] = append(b.pairs[w[0]], uint64(key)<<32|uint64(id))
			}
		})
		return end, true
	})
	cut()
}

// sortedPairs sorts and de-duplicates the pairs of one first byte. Those
// copied from an old index come first and already sorted (sorted[c] of
// them): only the ones added since are sorted, then merged in, so an
// incremental update does not sort the whole index again.
func (b *Builder) sortedPairs(c int) []uint64 {
	p := b.pairs[c]
	old, added := p[:b.sorted[c]], p[b.sorted[c]:]
	switch {
	case !slices.IsSorted(old):
		// Not reached with pairs from squat_scan's walk; kept so that the
		// file never depends on it.
		slices.Sort(p)
	case len(added) > 0:
		slices.Sort(added)
		if len(old) > 0 && added[0] < old[len(old)-1] {
			p = mergePairs(old, added)
		}
	}
	p = slices.Compact(p)
	b.pairs[c], b.sorted[c] = p, len(p)
	return p
}

// mergePairs merges two sorted lists into a new one.
func mergePairs(a, b []uint64) []uint64 {
	out := make([]uint64, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if b[0] < a[0] {
			out = append(out, b[0])
			b = b[1:]
		} else {
			out = append(out, a[0])
			a = a[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// Docs returns the names of the documents added so far, in doc-ID order.
func (b *Builder) Docs() []string {
	names := make([]string, len(b.docs))
	for i, d := range b.docs {
		names[i] = d.name
	}
	return names
}
