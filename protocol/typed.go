package protocol

import (
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// Body is a typed command argument or reply item: the key that names it on
// the wire (MAILBOX, USER, RESERVE, …) and its dlist value.
type Body interface {
	// Key is the item key, e.g. "MAILBOX".
	Key() string
	// Value is the dlist value, with kvlist keys in Cyrus's order.
	Value() dlist.Value
}

// Request is a typed GET, APPLY or RESTORE command.
type Request interface {
	Body
	// Verb is "GET", "APPLY" or "RESTORE".
	Verb() string
}

// Extra is a kvlist pair that this package does not know (a key of a newer
// Cyrus, protocol.md §6). Parsers keep such pairs and the encoders put them
// back after the known key they followed, so that a value re-encodes as it
// came.
type Extra struct {
	// After is the known key the pair followed on the wire ("" if it came
	// first). An Extra whose After key is not emitted goes at the end.
	After string
	dlist.KV
}

// FieldError reports a reply item or command argument that lacks a key or
// has one of the wrong type. It names the item and the key.
type FieldError struct {
	// Item is the item or command key, e.g. "MAILBOX" or "RECORD".
	Item string
	// Key is the kvlist key ("" when the item itself has the wrong kind).
	Key string
	// Err is a *dlist.TypeError or *dlist.MissingKeyError.
	Err error
}

// Error implements error.
func (e *FieldError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("protocol: %s: %v", e.Item, e.Err)
	}
	return fmt.Sprintf("protocol: %s: key %s: %v", e.Item, e.Key, e.Err)
}

// Unwrap returns the underlying dlist error.
func (e *FieldError) Unwrap() error { return e.Err }

// kvReader walks the pairs of one kvlist, converting values and keeping the
// first error (named by item and key), the unknown pairs and the keys seen.
type kvReader struct {
	item  string
	err   error
	last  string
	seen  uint64
	extra []Extra
}

// begin checks that v is a kvlist.
func (r *kvReader) begin(item string, v dlist.Value) bool {
	r.item = item
	if v.Kind() != dlist.KindKVList {
		_, err := v.AsKVList()
		r.err = &FieldError{Item: item, Err: err}
		return false
	}
	return true
}

// first marks key number bit as seen and reports whether this is its first
// occurrence (Cyrus uses the first of duplicate keys: dlist_getchild). A
// duplicate is kept as an Extra.
func (r *kvReader) first(bit uint, kv dlist.KV) bool {
	if r.seen&(1<<bit) != 0 {
		r.keep(kv)
		return false
	}
	r.seen |= 1 << bit
	r.last = kv.Key
	return true
}

// keep records an unknown pair.
func (r *kvReader) keep(kv dlist.KV) {
	r.extra = append(r.extra, Extra{After: r.last, KV: kv})
}

func (r *kvReader) fail(key string, err error) {
	if err != nil && r.err == nil {
		r.err = &FieldError{Item: r.item, Key: key, Err: err}
	}
}

// require fails unless every key in keys (with its bit) was seen.
func (r *kvReader) require(keys []string, bits ...uint) {
	for i, b := range bits {
		if r.seen&(1<<b) == 0 {
			r.fail(keys[i], &dlist.MissingKeyError{Key: keys[i]})
		}
	}
}

// str reads a string. NIL reads as "" (Cyrus prints a NULL string as
// NIL, and its getters accept NIL as a NULL string: protocol.md §2.5).
func (r *kvReader) str(kv dlist.KV) string {
	if kv.Value.IsNil() {
		return ""
	}
	s, err := kv.Value.AsString()
	r.fail(kv.Key, err)
	return s
}

func (r *kvReader) u32(kv dlist.KV) uint32 {
	n, err := kv.Value.AsUint32()
	r.fail(kv.Key, err)
	return n
}

func (r *kvReader) u64(kv dlist.KV) uint64 {
	n, err := kv.Value.AsUint64()
	r.fail(kv.Key, err)
	return n
}

// date reads a DATE: unsigned decimal seconds, a negative time_t being sent
// as its unsigned image (protocol.md §2.6).
func (r *kvReader) date(kv dlist.KV) int64 { return int64(r.u64(kv)) }

func (r *kvReader) guid(kv dlist.KV) [20]byte {
	g, err := kv.Value.AsGUID()
	r.fail(kv.Key, err)
	return g
}

func (r *kvReader) list(kv dlist.KV) []dlist.Value {
	l, err := kv.Value.AsList()
	r.fail(kv.Key, err)
	return l
}

// strList reads a list of strings (names, features).
func (r *kvReader) strList(kv dlist.KV) []string {
	return strItems(r, kv.Key, r.list(kv))
}

// strItems converts list elements to strings, failing at key.
func strItems(r *kvReader, key string, items []dlist.Value) []string {
	out := make([]string, len(items))
	for i, it := range items {
		s, err := it.AsString()
		r.fail(key, err)
		out[i] = s
	}
	return out
}

// result returns the first error.
func (r *kvReader) result() error { return r.err }

// kvWriter builds a kvlist in order, putting Extras back after the key
// they followed.
type kvWriter struct {
	kvs   []dlist.KV
	extra []Extra
	done  []bool
}

func newKVWriter(n int, extra []Extra) *kvWriter {
	return newKVWriterBuf(make([]dlist.KV, 0, n+len(extra)), extra)
}

// newKVWriterBuf is newKVWriter appending to buf.
func newKVWriterBuf(buf []dlist.KV, extra []Extra) *kvWriter {
	w := &kvWriter{kvs: buf, extra: extra}
	if len(extra) > 0 {
		w.done = make([]bool, len(extra))
		w.flush("")
	}
	return w
}

func (w *kvWriter) add(key string, v dlist.Value) {
	w.kvs = append(w.kvs, dlist.KV{Key: key, Value: v})
	if len(w.extra) > 0 {
		w.flush(key)
	}
}

func (w *kvWriter) flush(after string) {
	for i, e := range w.extra {
		if !w.done[i] && e.After == after {
			w.done[i] = true
			w.kvs = append(w.kvs, e.KV)
		}
	}
}

// value ends the kvlist: Extras not yet placed go at the end.
func (w *kvWriter) value() dlist.Value {
	for i, e := range w.extra {
		if !w.done[i] {
			w.kvs = append(w.kvs, e.KV)
		}
	}
	return dlist.KVList(w.kvs...)
}

// date returns a DATE value (unsigned image of a time_t).
func date(t int64) dlist.Value { return dlist.Uint64(uint64(t)) }

// strValues returns a list of string values.
func strValues(ss []string) dlist.Value {
	items := make([]dlist.Value, len(ss))
	for i, s := range ss {
		items[i] = dlist.String(s)
	}
	return dlist.List(items...)
}

// parseString reads a plain string argument (GET USER fred).
func parseString(item string, v dlist.Value) (string, error) {
	s, err := v.AsString()
	if err != nil {
		return "", &FieldError{Item: item, Err: err}
	}
	return s, nil
}

// parseStringList reads a list of strings (GET MAILBOXES (a b)).
func parseStringList(item string, v dlist.Value) ([]string, error) {
	items, err := v.AsList()
	if err != nil {
		return nil, &FieldError{Item: item, Err: err}
	}
	r := kvReader{item: item}
	out := strItems(&r, "", items)
	return out, r.result()
}

// parseStrKV reads a kvlist of string keys, all required, into vals (in
// the order of keys).
func parseStrKV(item string, v dlist.Value, keys []string, vals ...*string) ([]Extra, error) {
	r := kvReader{}
	if !r.begin(item, v) {
		return nil, r.result()
	}
	for _, kv := range v.Pairs() {
		i := 0
		for i < len(keys) && keys[i] != kv.Key {
			i++
		}
		if i == len(keys) {
			r.keep(kv)
			continue
		}
		if r.first(uint(i), kv) {
			*vals[i] = r.str(kv)
		}
	}
	for i, k := range keys {
		r.require([]string{k}, uint(i))
	}
	return r.extra, r.result()
}

// strKV encodes a kvlist of string keys.
func strKV(extra []Extra, keys []string, vals ...string) dlist.Value {
	w := newKVWriter(len(keys), extra)
	for i, k := range keys {
		w.add(k, dlist.String(vals[i]))
	}
	return w.value()
}

// localKey returns key, prefixed with LOCAL_ if local.
func localKey(local bool, key string) string {
	if local {
		return "LOCAL_" + key
	}
	return key
}

// flagList reads a list of flags (FLAGS, USERFLAGS). Each must print raw
// and read back as itself, since Cyrus prints flags unquoted.
func (r *kvReader) flagList(kv dlist.KV, ar *arena) []string {
	items := r.list(kv)
	var out []string
	if ar != nil && cap(ar.flags)-len(ar.flags) >= len(items) {
		n := len(ar.flags)
		ar.flags = ar.flags[:n+len(items)]
		out = ar.flags[n : n+len(items) : n+len(items)]
		for i, it := range items {
			s, err := it.AsString()
			r.fail(kv.Key, err)
			out[i] = s
		}
	} else {
		out = strItems(r, kv.Key, items)
	}
	for _, f := range out {
		if !flagOK(f) {
			r.fail(kv.Key, &dlist.TypeError{Want: "flag", Got: dlist.KindString, Text: f, Reason: "not an atom"})
		}
	}
	return out
}

// flagOK reports whether a flag printed raw reads back as the same flag: a
// non-empty atom (no NUL, whitespace, parentheses or DQUOTE) that does not
// start a literal or kvlist and is not NIL.
func flagOK(s string) bool {
	if s == "" || s == "NIL" || s[0] == '{' || s[0] == '%' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0, ' ', '\t', '\n', '\v', '\f', '\r', '(', ')', '"':
			return false
		}
	}
	return true
}
