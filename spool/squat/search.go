package squat

// Search returns the documents containing every 4-byte word of s, as
// squat_search_execute does: a superset of those containing s itself
// (Cyrus re-checks candidates against the messages). s is in the search
// normal form the index was built from.
// cyrus: imap/squat.c squat_search_execute (3.6.1)
func (ix *Index) Search(s []byte) ([]Doc, error) {
	if len(s) < WordSize {
		return nil, ErrSearchTooShort
	}
	for _, c := range s {
		if !has(&ix.valid, int(c)) {
			return nil, ErrSearchInvalidChar
		}
	}
	var result []int
	for i := 0; i+WordSize <= len(s); i++ {
		ids := ix.WordDocs(Word(s[i : i+WordSize]))
		if i == 0 {
			result = ids
		} else {
			result = intersect(result, ids)
		}
		if len(result) == 0 {
			return nil, nil
		}
	}
	docs := make([]Doc, len(result))
	for i, id := range result {
		docs[i] = ix.docs[id]
	}
	return docs, nil
}

// intersect keeps the elements of a (ascending) that are also in b.
func intersect(a, b []int) []int {
	out := a[:0]
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j < len(b) && b[j] == x {
			out = append(out, x)
		}
	}
	return out
}
