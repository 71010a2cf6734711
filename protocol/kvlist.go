package protocol

import (
	"encoding/hex"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

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

// result returns the first error.
func (r *kvReader) result() error { return r.err }

// str reads a string. NIL reads as "": Cyrus prints a NULL string as NIL
// and its string getter takes NIL for a NULL string.
//
// cyrus: imap/dlist.c dlist_toatom (3.6.1)
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
// as its unsigned image.
//
// cyrus: imap/dlist.c dlist_setdate, dlist_print (3.6.1)
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

// strings reads a list of strings (names, features), failing at key. The
// result is non-nil.
func (r *kvReader) strings(key string, v dlist.Value) []string {
	items, err := v.AsList()
	r.fail(key, err)
	return r.strItems(key, items, make([]string, len(items)))
}

// strItems converts list elements to strings into out.
func (r *kvReader) strItems(key string, items []dlist.Value, out []string) []string {
	for i, it := range items {
		s, err := it.AsString()
		r.fail(key, err)
		out[i] = s
	}
	return out
}

// flags reads a list of flags (FLAGS, USERFLAGS). Each must print raw and
// read back as itself, since Cyrus prints flags unquoted.
func (r *kvReader) flags(kv dlist.KV, ar *arena) []string {
	items := r.list(kv)
	out := r.strItems(kv.Key, items, ar.flagSlots(len(items)))
	for _, f := range out {
		if !flagOK(f) {
			r.fail(kv.Key, &dlist.TypeError{Want: "flag", Got: dlist.KindString, Text: f, Reason: "not an atom"})
		}
	}
	return out
}

// guids reads a list of GUIDs, failing at key.
func (r *kvReader) guids(key string, v dlist.Value) []guid.GUID {
	items, err := v.AsList()
	r.fail(key, err)
	out := make([]guid.GUID, len(items))
	for i, it := range items {
		g, err := it.AsGUID()
		r.fail(key, err)
		out[i] = g
	}
	return out
}

// u32s reads a list of 32-bit numbers (UIDs).
func (r *kvReader) u32s(kv dlist.KV) []uint32 {
	items := r.list(kv)
	out := make([]uint32, len(items))
	for i, it := range items {
		n, err := it.AsUint32()
		r.fail(kv.Key, err)
		out[i] = n
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

// kvWriter builds a kvlist in order, putting Extras back after the key
// they followed.
type kvWriter struct {
	kvs   []dlist.KV
	extra []Extra
	done  []bool
}

// start places the Extras that came first.
func (w *kvWriter) start() {
	if len(w.extra) > 0 {
		w.done = make([]bool, len(w.extra))
		w.flush("")
	}
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

// dateValue returns a DATE value (unsigned image of a time_t).
func dateValue(t int64) dlist.Value { return dlist.Uint64(uint64(t)) }

// guidValue returns the 40 lower-case hex digits of g with one allocation.
func guidValue(g *guid.GUID) dlist.Value {
	var b [2 * guid.Size]byte
	hex.Encode(b[:], g[:])
	return dlist.String(string(b[:]))
}

// strValues returns a list of string values.
func strValues(ss []string) dlist.Value {
	items := make([]dlist.Value, len(ss))
	for i, s := range ss {
		items[i] = dlist.String(s)
	}
	return dlist.List(items...)
}

// flagValues returns a list of flags, printed raw.
func flagValues(fs []string, ar *encArena) dlist.Value {
	items := ar.val(len(fs))
	for i, f := range fs {
		items[i] = dlist.Flag(f)
	}
	return dlist.List(items...)
}

// guidValues returns a list of GUIDs.
func guidValues(gs []guid.GUID) dlist.Value {
	items := make([]dlist.Value, len(gs))
	for i := range gs {
		items[i] = guidValue(&gs[i])
	}
	return dlist.List(items...)
}

// u32Values returns a list of numbers.
func u32Values(ns []uint32) dlist.Value {
	items := make([]dlist.Value, len(ns))
	for i, n := range ns {
		items[i] = dlist.Uint32(n)
	}
	return dlist.List(items...)
}

// arena holds backing storage shared by the items of one list (the records
// of a RECORD list), so that parsing 10,000 records does not allocate
// 20,000 small slices. A nil arena allocates each slice.
type arena struct {
	flags  []string
	annots []ListAnnotation
}

func (a *arena) flagSlots(n int) []string {
	if a == nil {
		return make([]string, n)
	}
	return take(&a.flags, n)
}

func (a *arena) annotSlots(n int) []ListAnnotation {
	if a == nil {
		return make([]ListAnnotation, n)
	}
	return take(&a.annots, n)
}

// encArena holds backing storage shared by the encoded items of one list.
// A nil encArena allocates each slice.
type encArena struct {
	kvs  []dlist.KV
	vals []dlist.Value
}

// kv returns an empty slice with room for n pairs.
func (a *encArena) kv(n int) []dlist.KV {
	if a == nil {
		return make([]dlist.KV, 0, n)
	}
	return take(&a.kvs, n)[:0]
}

// val returns a slice of n values.
func (a *encArena) val(n int) []dlist.Value {
	if a == nil {
		return make([]dlist.Value, n)
	}
	return take(&a.vals, n)
}

// take returns the next n elements of *pool, or a new slice if the pool
// lacks room. The result is never nil.
func take[E any](pool *[]E, n int) []E {
	l := len(*pool)
	if *pool == nil || cap(*pool)-l < n {
		return make([]E, n)
	}
	*pool = (*pool)[:l+n]
	return (*pool)[l : l+n : l+n]
}
