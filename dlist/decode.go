package dlist

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// LiteralPolicy selects which literal forms a Decoder accepts.
type LiteralPolicy uint8

// The literal policies. A Cyrus client sends only {n+}; a Cyrus server
// sends {n} since 3.6.5 and 3.8.3, while older csync servers (3.6.0–3.6.4,
// 3.8.0–3.8.2) mark their output as a client's and send {n+}.
//
// cyrus: lib/prot.c prot_printliteral; imap/sync_server.c service_main,
// imap/backend.c backend_connect prot_setisclient (3.6.1, 3.6.5)
const (
	// AcceptAllLiterals accepts both {n} and {n+} (the default, and what a
	// Go client should use).
	AcceptAllLiterals LiteralPolicy = iota
	// RejectSyncLiterals refuses {n}; a server may use it, since no Cyrus
	// client sends {n} and Cyrus servers cannot handle it.
	RejectSyncLiterals
	// RejectNonSyncLiterals refuses {n+}, as a new-dialect Cyrus client
	// does with server responses.
	RejectNonSyncLiterals
)

// FileFunc receives the content of one file literal. r yields exactly size
// bytes; while they are read their SHA-1 is computed, and at the end r
// returns a *GUIDMismatchError instead of io.EOF if it differs from guid.
// Whatever the function leaves unread is drained by the decoder. guid is in
// lower case. An error from the function aborts the decode (after draining).
type FileFunc func(partition, guid string, size int64, r io.Reader) error

// DecodeOptions configures a Decoder. The zero value is usable: default
// limits, both literal forms, file literals refused.
type DecodeOptions struct {
	Limits   Limits
	Literals LiteralPolicy
	// File receives file literals. If nil, a file literal is an error
	// (ErrNoFileFunc); its content is skipped, not buffered.
	File FileFunc
}

// Decoder reads dlist values from a bufio.Reader. It reads only what the
// grammar needs, so the reader can be shared with a protocol layer that
// reads command words and status lines itself. A Decoder is not safe for
// concurrent use.
type Decoder struct {
	r      *bufio.Reader
	lim    Limits
	policy LiteralPolicy
	file   FileFunc

	off      int64 // bytes consumed from r
	used     int64 // charged against lim.MaxTotal for the current value
	depth    int64
	nSync    int // {n} literals in the current value
	nNonSync int // {n+} literals in the current value
	scratch  []byte
	vstack   []Value // pending list elements, all levels
	kvstack  []KV    // pending kvlist pairs, all levels
}

// NewDecoder returns a Decoder reading from r. opts may be nil.
func NewDecoder(r *bufio.Reader, opts *DecodeOptions) *Decoder {
	d := &Decoder{r: r}
	if opts != nil {
		d.lim = opts.Limits
		d.policy = opts.Literals
		d.file = opts.File
	}
	d.lim = d.lim.resolve()
	return d
}

// Offset returns the number of bytes the Decoder has consumed.
func (d *Decoder) Offset() int64 { return d.off }

// LiteralCounts returns how many {n} and {n+} literals the last
// ReadValue or ReadItem call read (file literals excluded). Each decoded
// string also records its form (Value.Form).
func (d *Decoder) LiteralCounts() (sync, nonSync int) { return d.nSync, d.nNonSync }

func (d *Decoder) reset() {
	d.used, d.depth, d.nSync, d.nNonSync = 0, 0, 0, 0
	clear(d.vstack)
	clear(d.kvstack)
	d.vstack, d.kvstack = d.vstack[:0], d.kvstack[:0]
}

// start returns io.EOF if the input ends before a new value starts.
func (d *Decoder) start() error {
	d.reset()
	if _, err := d.r.Peek(1); err != nil {
		return err
	}
	return nil
}

// ReadValue reads one value: value = nil / flag / astring / list / kvlist /
// file-literal. It returns io.EOF if the input ends before the value
// starts.
func (d *Decoder) ReadValue() (Value, error) {
	if err := d.start(); err != nil {
		return Value{}, err
	}
	return d.value()
}

// ReadItem reads item = key SP value, the argument of every sync command
// (APPLY MAILBOX %(…)) and data line (* MAILBOX %(…)). The key is an
// astring. Cyrus skips any whitespace between key and value, even line
// breaks; ReadItem accepts SP and HT only, so that a missing value fails
// instead of blocking on the next line. It returns io.EOF if the input
// ends before the key starts.
func (d *Decoder) ReadItem() (key string, v Value, err error) {
	if err := d.start(); err != nil {
		return "", Value{}, err
	}
	if key, err = d.astring("item key"); err != nil {
		return "", Value{}, err
	}
	for {
		c, err := d.peek("item")
		if err != nil {
			return "", Value{}, err
		}
		if c != ' ' && c != '\t' {
			if c == '\r' || c == '\n' {
				return "", Value{}, d.syntax("item", "missing value after key", nil)
			}
			break
		}
		if _, err := d.next("item"); err != nil {
			return "", Value{}, err
		}
	}
	v, err = d.value()
	return key, v, err
}

// ReadLineEnd reads the end of a command or data line: an optional CR, then
// LF (cyrus: sync_parseline in imap/sync_support.c 3.6.1). Anything else is
// a *SyntaxError; the offending byte is left unread.
func (d *Decoder) ReadLineEnd() error {
	c, err := d.peek("line end")
	if err != nil {
		return err
	}
	if c == '\r' {
		d.discard(1)
	}
	return d.expect("line end", '\n')
}

// value dispatches on the first byte, as dlist_parse does:
// "(" list, "%(" kvlist, "%{" file literal, "{" literal, "\" flag, else
// nastring (atom, quoted string or NIL). cyrus: dlist_parse, imap/dlist.c.
func (d *Decoder) value() (Value, error) {
	c, err := d.peek("value")
	if err != nil {
		return Value{}, err
	}
	if err := d.charge(NodeCost); err != nil {
		return Value{}, err
	}
	var (
		s    string
		kind = KindString
		form = FormAtom
	)
	switch c {
	case '(':
		return d.list()
	case '%':
		return d.percent()
	case '{':
		s, form, err = d.literal("literal", true)
	case '\\':
		kind = KindFlag
		s, err = d.atom("flag")
	case '"':
		form = FormQuoted
		s, err = d.quoted("quoted string")
	default:
		s, err = d.atom("atom")
		if err == nil && s == "NIL" {
			return Value{form: FormAtom}, nil
		}
	}
	if err != nil {
		return Value{}, err
	}
	return Value{kind: kind, form: form, s: s}, nil
}

// list = "(" [value *(SP value)] ")". Like Cyrus, any run of whitespace
// (or none) separates elements.
func (d *Decoder) list() (Value, error) {
	if _, err := d.next("list"); err != nil { // "("
		return Value{}, err
	}
	if err := d.enter(); err != nil {
		return Value{}, err
	}
	// Elements are collected on a stack shared by all nesting levels and
	// copied into an exactly sized slice at the end: one allocation per
	// list instead of one per doubling.
	base := len(d.vstack)
	for {
		c, err := d.skipSpace("list")
		if err != nil {
			return Value{}, err
		}
		if c == ')' {
			d.discard(1)
			break
		}
		if int64(len(d.vstack)-base) >= d.lim.MaxListItems {
			return Value{}, d.limit(LimitListItems)
		}
		v, err := d.value()
		if err != nil {
			return Value{}, err
		}
		d.vstack = append(d.vstack, v)
	}
	d.depth--
	var items []Value
	if n := len(d.vstack) - base; n > 0 {
		items = make([]Value, n)
		copy(items, d.vstack[base:])
		clear(d.vstack[base:])
		d.vstack = d.vstack[:base]
	}
	return Value{kind: KindList, list: items}, nil
}

// percent handles the two "%" types; any other byte after "%" is an error.
func (d *Decoder) percent() (Value, error) {
	b, err := d.r.Peek(2)
	if len(b) < 2 {
		return Value{}, d.readErr("value", err)
	}
	switch b[1] {
	case '(':
		return d.kvlist()
	case '{':
		return d.fileLiteral()
	}
	d.discard(1)
	return Value{}, d.syntax("value", "unknown %-type "+quoteByte(b[1]), nil)
}

// kvlist = "%(" [key SP value *(SP key SP value)] ")". Keys are astrings;
// whitespace between key and value and between pairs is skipped as in a
// list.
func (d *Decoder) kvlist() (Value, error) {
	d.discard(2) // "%("
	if err := d.enter(); err != nil {
		return Value{}, err
	}
	base := len(d.kvstack)
	for {
		c, err := d.skipSpace("kvlist")
		if err != nil {
			return Value{}, err
		}
		if c == ')' {
			d.discard(1)
			break
		}
		if int64(len(d.kvstack)-base) >= d.lim.MaxListItems {
			return Value{}, d.limit(LimitListItems)
		}
		key, err := d.astring("kvlist key")
		if err != nil {
			return Value{}, err
		}
		if _, err := d.skipSpace("kvlist value"); err != nil {
			return Value{}, err
		}
		v, err := d.value()
		if err != nil {
			return Value{}, err
		}
		d.kvstack = append(d.kvstack, KV{Key: key, Value: v})
	}
	d.depth--
	var kvs []KV
	if n := len(d.kvstack) - base; n > 0 {
		kvs = make([]KV, n)
		copy(kvs, d.kvstack[base:])
		clear(d.kvstack[base:])
		d.kvstack = d.kvstack[:base]
	}
	return Value{kind: KindKVList, kvs: kvs}, nil
}

// astring = atom / quoted / literal, without NIL and without NUL bytes
// (cyrus: getastring in imap/imapparse.c). Used for keys and for the
// partition and GUID of a file literal.
func (d *Decoder) astring(prod string) (string, error) {
	c, err := d.peek(prod)
	if err != nil {
		return "", err
	}
	switch c {
	case '"':
		return d.quoted(prod)
	case '{':
		s, _, err := d.literal(prod, false)
		return s, err
	}
	return d.atom(prod)
}

// enter accounts for one more level of nesting.
func (d *Decoder) enter() error {
	d.depth++
	if d.depth > d.lim.MaxDepth {
		return d.limit(LimitDepth)
	}
	return nil
}

// syntax builds a *SyntaxError at the current offset.
func (d *Decoder) syntax(prod, msg string, err error) error {
	return &SyntaxError{Offset: d.off, Production: prod, Msg: msg, Err: err}
}

// limit builds a *LimitError at the current offset.
func (d *Decoder) limit(l Limit) error {
	var max int64
	switch l {
	case LimitAtom:
		max = d.lim.MaxAtom
	case LimitQuoted:
		max = d.lim.MaxQuoted
	case LimitLiteral:
		max = d.lim.MaxLiteral
	case LimitFileSize:
		max = d.lim.MaxFileSize
	case LimitDepth:
		max = d.lim.MaxDepth
	case LimitListItems:
		max = d.lim.MaxListItems
	case LimitTotal:
		max = d.lim.MaxTotal
	}
	return &LimitError{Limit: l, Max: max, Offset: d.off}
}

// readErr turns a read error inside a production into an error: io.EOF
// becomes a *SyntaxError wrapping io.ErrUnexpectedEOF, other errors are
// wrapped with the production.
func (d *Decoder) readErr(prod string, err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return d.syntax(prod, "unexpected end of input", io.ErrUnexpectedEOF)
	}
	return &readError{prod: prod, err: err}
}

// readError wraps an I/O error of the underlying reader.
type readError struct {
	prod string
	err  error
}

// Error implements error.
func (e *readError) Error() string { return "dlist: reading " + e.prod + ": " + e.err.Error() }

// Unwrap returns the I/O error.
func (e *readError) Unwrap() error { return e.err }

// quoteByte renders a byte for an error message.
func quoteByte(c byte) string {
	switch c {
	case '\r':
		return "CR"
	case '\n':
		return "LF"
	case ' ':
		return "SP"
	}
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	const hexd = "0123456789abcdef"
	return "0x" + string([]byte{hexd[c>>4], hexd[c&0xf]})
}

// lower returns s in lower case without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// Unmarshal decodes data, which must hold exactly one value and nothing
// else (cyrus: dlist_parsemap, used for mailboxes.db values, requires the
// whole buffer to be consumed). lim may be nil for the defaults. File
// literals are refused.
func Unmarshal(data []byte, lim *Limits) (Value, error) {
	opts := &DecodeOptions{}
	if lim != nil {
		opts.Limits = *lim
	}
	d := NewDecoder(bufio.NewReaderSize(bytes.NewReader(data), 4096), opts)
	v, err := d.ReadValue()
	if err != nil {
		if err == io.EOF {
			return Value{}, d.syntax("value", "empty input", io.ErrUnexpectedEOF)
		}
		return Value{}, err
	}
	if d.off != int64(len(data)) {
		return Value{}, d.syntax("value", "trailing bytes after value", nil)
	}
	return v, nil
}
