package searchtext

import "strconv"

// Doc is one SQUAT document: its name and its text in search form.
type Doc struct {
	Name string
	Text []byte
}

// wordSize is SQUAT's word length: a document needs this many bytes.
//
// cyrus: imap/squat.h SQUAT_WORD_SIZE (3.6.1)
const wordSize = 4

// receiver gathers documents as Cyrus's SQUAT text receiver does: a part
// class it knows names the next document; one it does not leaves the
// previous name in place; a document is opened only once its text
// reaches wordSize bytes, and text short of that is dropped at its end.
//
// Cyrus 3.10's (dropClassless) forgets the name at each part's end, and
// drops text while it has none: a class it does not know gets nothing.
//
// cyrus: imap/search_squat.c begin_part, append_text, end_part (3.6.1, 3.10.2)
type receiver struct {
	uid           uint32
	dropClassless bool
	name          string
	open          bool
	pending       []byte
	docs          []Doc
}

// begin starts a part of class c ('f', 't', 'c', 'b', 's', 'h', 'm'; 0
// for a class SQUAT does not index).
func (r *receiver) begin(c byte) {
	if c == 0 {
		return
	}
	// Cyrus prints the UID with %d.
	r.name = string(c) + strconv.Itoa(int(int32(r.uid)))
	r.open = false
	r.pending = r.pending[:0]
}

// append adds text to the part's document; text is the caller's to give
// away (the document may keep it).
func (r *receiver) append(text []byte) {
	if r.dropClassless && r.name == "" {
		return
	}
	if !r.open {
		if len(text)+len(r.pending) < wordSize {
			r.pending = append(r.pending, text...)
			return
		}
		if len(r.pending) == 0 {
			// The document keeps text: every caller hands over a slice
			// of its own, and a body part's may be megabytes.
			r.docs = append(r.docs, Doc{Name: r.name, Text: text})
			r.open = true
			return
		}
		r.docs = append(r.docs, Doc{Name: r.name, Text: append([]byte(nil), r.pending...)})
		r.open = true
		r.pending = r.pending[:0]
	}
	d := &r.docs[len(r.docs)-1]
	d.Text = append(d.Text, text...)
}

func (r *receiver) end() {
	r.open = false
	r.pending = r.pending[:0]
	if r.dropClassless {
		r.name = ""
	}
}

// stuff indexes one whole part; an empty one is skipped.
//
// cyrus: imap/index.c stuff_part (3.6.1)
func (r *receiver) stuff(c byte, text []byte) {
	if len(text) == 0 {
		return
	}
	r.begin(c)
	r.append(text)
	r.end()
}
