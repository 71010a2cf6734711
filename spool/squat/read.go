package squat

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Layout constants. cyrus: imap/squat_internal.h SquatDiskHeader,
// SQUAT_SAFETY_ZONE (3.6.1)
const (
	headerText = "SQUAT 1\n"
	headerSize = 64
	safetyZone = 16
	// WordSize is SQUAT_WORD_SIZE: the index records 4-byte words.
	WordSize = 4
)

// Word is one 4-byte SQUAT word.
type Word [WordSize]byte

// Doc is one entry of the doc list.
type Doc struct {
	ID     int    // position in the doc list, from 0
	Name   string // e.g. "m42" or "validity.1234"
	Length int64  // bytes of text indexed for the document
}

// Index is a parsed, validated cyrus.squat.
type Index struct {
	file      string
	data      []byte
	dataEnd   int // start of the safety zone
	docs      []Doc
	listed    int // docs[:listed] are what Cyrus lists (see listedDocs)
	wordList  int // root of the trie
	trieStart int // first byte after the doc-ID list
	valid     [32]byte
	pairs     int              // (word, document) pairs in the trie, counted by validation
	words     int              // words in the trie, counted by validation
	kinds     []uint8          // keepDoc of each document
	tails     map[int]listTail // the last entry of long lists, by position
	// canonical: every document list is written as the builder writes
	// it, so that an update can copy the lists as they are.
	canonical bool
}

// ReadFile reads and validates the SQUAT index at path.
func ReadFile(path string) (*Index, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("squat: read index: %w", err)
	}
	return Parse(path, data)
}

// Parse validates data as a SQUAT index; name is used in errors. The
// Index keeps data, which the caller must not modify afterwards.
func Parse(name string, data []byte) (*Index, error) {
	ix := &Index{file: name, data: data, dataEnd: len(data) - safetyZone, canonical: true, tails: map[int]listTail{}}
	if err := ix.parseHeader(); err != nil {
		return nil, err
	}
	if err := ix.parseDocs(); err != nil {
		return nil, err
	}
	ix.kinds = make([]uint8, len(ix.docs))
	for i, d := range ix.docs {
		ix.kinds[i] = keepDoc(d.Name)
	}
	if err := ix.validateTrie(); err != nil {
		return nil, err
	}
	return ix, nil
}

// parseHeader checks the header as squat_search_open does, and also that
// the doc list starts right after the header.
// cyrus: imap/squat.c squat_search_open (3.6.1)
func (ix *Index) parseHeader() error {
	if ix.dataEnd < headerSize {
		return ix.corrupt(0, "file is %d bytes, shorter than header and safety zone (%d)", len(ix.data), headerSize+safetyZone)
	}
	d := ix.data
	if string(d[:8]) != headerText {
		return ix.corrupt(0, "bad magic %q", d[:8])
	}
	if i := bytes.IndexFunc(d[ix.dataEnd:], func(r rune) bool { return r != 0 }); i >= 0 {
		return ix.corrupt(ix.dataEnd+i, "safety zone (last %d bytes) is not all zero", safetyZone)
	}
	off := func(at int, what string) (int, error) {
		v := int64(binary.BigEndian.Uint64(d[at:]))
		if v < headerSize || v >= int64(ix.dataEnd) {
			return 0, ix.corrupt(at, "%s %d outside data [%d, %d)", what, v, headerSize, ix.dataEnd)
		}
		return int(v), nil
	}
	docList, err := off(8, "doc_list_offset")
	if err != nil {
		return err
	}
	if docList != headerSize {
		return ix.corrupt(8, "doc_list_offset is %d, not %d", docList, headerSize)
	}
	docIDList, err := off(16, "doc_ID_list_offset")
	if err != nil {
		return err
	}
	if ix.wordList, err = off(24, "word_list_offset"); err != nil {
		return err
	}
	ix.trieStart = docIDList // until parseDocs checks the doc-ID list
	copy(ix.valid[:], d[32:64])
	return nil
}

// parseDocs reads the doc list (name NUL, I length; then a 0 byte) and
// checks the doc-ID list after it points at each record in turn and ends
// with a zero int32. cyrus: imap/squat.c squat_search_list_docs (3.6.1)
func (ix *Index) parseDocs() error {
	d := ix.data
	docIDList := ix.trieStart
	pos := headerSize
	// Sized by the doc-ID list (which the checks below verify), and the
	// names cut from one string: few allocations for many documents.
	n := ix.countDocIDs()
	offsets := make([]int, 0, n)
	ix.docs = make([]Doc, 0, n)
	names := string(d[headerSize:min(docIDList, ix.dataEnd)])
	ix.listed = -1
	defer func() {
		if ix.listed < 0 {
			ix.listed = len(ix.docs)
		}
	}()
	for {
		if pos >= ix.dataEnd {
			return ix.corrupt(pos, "doc list runs into the safety zone")
		}
		// A 0 byte is the list's terminator when the doc-ID list follows
		// it, else the empty name Cyrus gives a message's first part when
		// it has no From/To/Cc/Bcc/Subject (the part letter is NUL).
		if d[pos] == 0 && pos+1 == docIDList {
			break
		}
		if d[pos] == 0 && ix.listed < 0 {
			ix.listed = len(ix.docs)
		}
		nul := bytes.IndexByte(d[pos:ix.dataEnd], 0)
		if nul < 0 {
			return ix.corrupt(pos, "document name not terminated")
		}
		var name string
		if pos+nul <= headerSize+len(names) {
			name = names[pos-headerSize : pos-headerSize+nul]
		} else {
			name = string(d[pos : pos+nul]) // past the doc-ID list: rejected below
		}
		length, next, ok := decodeI(d, pos+nul+1, ix.dataEnd)
		if !ok {
			return ix.corrupt(pos+nul+1, "bad length for document %q", name)
		}
		offsets = append(offsets, pos-headerSize)
		ix.docs = append(ix.docs, Doc{ID: len(ix.docs), Name: name, Length: length})
		pos = next
	}
	if docIDList != pos+1 {
		return ix.corrupt(16, "doc_ID_list_offset is %d, doc list ends at %d", docIDList, pos+1)
	}
	end := docIDList + 4*(len(offsets)+1)
	if end > ix.dataEnd || end < docIDList {
		return ix.corrupt(docIDList, "doc-ID list of %d entries runs past the data", len(offsets))
	}
	for i, want := range offsets {
		at := docIDList + 4*i
		if got := int(binary.BigEndian.Uint32(d[at:])); got != want {
			return ix.corrupt(at, "doc-ID list entry %d is %d, document record is at %d", i, got, want)
		}
	}
	if binary.BigEndian.Uint32(d[end-4:]) != 0 {
		return ix.corrupt(end-4, "doc-ID list not terminated by zero")
	}
	ix.trieStart = end
	return nil
}

// countDocIDs guesses the number of documents from the doc-ID list: its
// entries up to the first zero after the first (entry 0 is 0), at most
// what the doc list's size allows (2 bytes a record).
func (ix *Index) countDocIDs() int {
	d, at := ix.data, ix.trieStart+4
	limit := (ix.trieStart-headerSize)/2 + 1
	n := 1
	for ; n < limit && at+4 <= ix.dataEnd && binary.BigEndian.Uint32(d[at:]) != 0; at += 4 {
		n++
	}
	return n
}

// Docs returns the doc list in doc-ID order, every record of the file.
func (ix *Index) Docs() []Doc { return append([]Doc(nil), ix.docs...) }

// listedDocs are the documents Cyrus's squat_search_list_docs reports:
// those before the first empty name, where its walk stops. Only these
// count as indexed and only these are copied by an incremental update;
// searches still reach every document through the doc-ID list.
// cyrus: imap/squat.c squat_search_list_docs (3.6.1)
func (ix *Index) listedDocs() []Doc { return ix.docs[:ix.listed] }

// ValidChars is the header's bitmap of bytes allowed in searches.
func (ix *Index) ValidChars() [32]byte { return ix.valid }

// File is the name the index was read from.
func (ix *Index) File() string { return ix.file }

// Validity is the UIDVALIDITY recorded by the last "validity.<n>" document,
// as doc_check reads it (strtoul). ok is false if there is none or it does
// not fit 32 bits. cyrus: imap/search_squat.c doc_check (3.6.1)
func (ix *Index) Validity() (v uint32, ok bool) {
	n, found := ix.validity()
	if !found || n > 0xffffffff {
		return 0, false
	}
	return uint32(n), true
}

func (ix *Index) validity() (uint64, bool) {
	var n uint64
	found := false
	for _, d := range ix.listedDocs() {
		if strings.HasPrefix(d.Name, "validity.") {
			n, found = strtoul(d.Name[len("validity."):]), true
		}
	}
	return n, found
}

// Current reports whether squatter -i would update this index
// incrementally for a mailbox with this UIDVALIDITY: its validity document
// matches and every other document name starts with a part letter.
// Otherwise Cyrus logs "forcing full update" and re-indexes every message
// (though the old documents stay in the new file, see Update).
// cyrus: imap/search_squat.c begin_mailbox, doc_check (3.6.1)
func (ix *Index) Current(uidvalidity uint32) bool {
	n, _ := ix.validity()
	if n != uint64(uidvalidity) {
		return false
	}
	for _, k := range ix.kinds[:ix.listed] {
		if k == docInvalid {
			return false
		}
	}
	return true
}

// InvalidNames returns the names doc_check logs as "squat: invalid
// document name" (those that make Current false).
func (ix *Index) InvalidNames() []string {
	var bad []string
	for i, d := range ix.listedDocs() {
		if ix.kinds[i] == docInvalid {
			bad = append(bad, d.Name)
		}
	}
	return bad
}

// IndexedUIDs returns, ascending and without duplicates, the UIDs of the
// documents named part letter + UID > 0: the messages squatter -i treats as
// already indexed. cyrus: imap/search_squat.c doc_check (3.6.1)
func (ix *Index) IndexedUIDs() []uint32 {
	uids := make([]uint32, 0, ix.listed)
	for i, d := range ix.listedDocs() {
		if ix.kinds[i] != docMessage {
			continue
		}
		// bv_set takes an unsigned int: the UID is truncated to 32 bits.
		if uid := uint32(strtoul(d.Name[1:])); uid != 0 {
			uids = append(uids, uid)
		}
	}
	slices.Sort(uids)
	return slices.Compact(uids)
}

// How doc_check classifies a document name.
const (
	docDropped  = iota // part letter, UID 0: left out of the new index
	docValidity        // "validity.<n>"
	docMessage         // part letter + UID > 0
	docInvalid         // anything else: kept, but forces a full update
)

func keepDoc(name string) uint8 {
	switch {
	case strings.HasPrefix(name, "validity."):
		return docValidity
	case name == "" || strings.IndexByte("tfcbsmh", name[0]) < 0:
		return docInvalid
	case strtoul(name[1:]) > 0:
		return docMessage
	}
	return docDropped
}

// strtoul is C's strtoul(s, NULL, 10) on an LP64 system: leading white
// space, an optional sign, decimal digits; overflow gives the maximum.
func strtoul(s string) uint64 {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\v\f\r", s[i]) >= 0 {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var n uint64
	over := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if n > (^uint64(0)-d)/10 {
			over = true
		}
		n = n*10 + d
	}
	if over {
		return ^uint64(0)
	}
	if neg {
		return -n
	}
	return n
}
