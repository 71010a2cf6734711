package protocol

import (
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// A table declares one kvlist item: its keys in the order Cyrus emits
// them, and for each its kind, whether it is required, when it is sent and
// the Go field it binds to. parseInto and encode read and write every
// kvlist item from its table, so the rules of the wire live here once:
// the first of duplicate keys wins (the others are kept as Extra), unknown
// keys are kept as Extra and put back after the known key they followed,
// and errors are *FieldError naming the item and the key.
//
// cyrus: imap/dlist.c dlist_getchild (3.6.1)
type table[T any] struct {
	// item names the item in errors ("RECORD").
	item string
	// extra binds the item's Extra.
	extra  func(*T) *[]Extra
	fields []field[T]
	// required has bit i set if fields[i] is required.
	required uint64
	// Hooks for lists of T nested in another item: listArena gives the
	// parse arena the elements of one list share, listEncArena the encode
	// arena, alloc takes the elements from a parse arena.
	listArena    func(t *table[T], items []dlist.Value) *arena
	listEncArena func(t *table[T], xs []T) *encArena
	alloc        func(ar *arena, n int) []T
}

// kind is how a key's value is read and written.
type kind uint8

const (
	kindString    kind = iota // a string; NIL reads as "" (dlist_toatom)
	kindNilString             // a string whose NIL is remembered (cond.markNil) and sent again
	kindUint32                // a number of 32 bits
	kindUint64                // a number of 64 bits
	kindDate                  // a time_t, sent as its unsigned image (dlist_setdate)
	kindGUID                  // 40 hex digits
	kindBool                  // a number, 1 for true
	kindBytes                 // a binary-safe string
	kindFlags                 // a list of flags, printed raw
	kindStrings               // a list of strings
	kindGUIDs                 // a list of GUIDs
	kindUint32s               // a list of 32-bit numbers
	kindItems                 // a list of kvlist items, each by its own table
)

// send says when encode sends a key.
type send uint8

const (
	sendAlways  send = iota
	sendNonZero      // when the field is not its zero value ("", 0, nil)
	sendPresent      // when the key's cond says so (Mailbox.Present, …)
)

// field is one key of a table.
type field[T any] struct {
	key  string
	kind kind
	req  bool
	send send
	cond cond[T]
	// to binds the Go field: the accessor of the key's kind is set (for
	// kindItems, list reads and writes it).
	to   accessors[T]
	list *nestedList[T]
}

// accessors return the Go field a key binds, one per Go type.
type accessors[T any] struct {
	str   func(*T) *string
	u32   func(*T) *uint32
	u64   func(*T) *uint64
	i64   func(*T) *int64
	guid  func(*T) *guid.GUID
	bool  func(*T) *bool
	bytes func(*T) *[]byte
	strs  func(*T) *[]string
	guids func(*T) *[]guid.GUID
	u32s  func(*T) *[]uint32
}

// cond ties an optional key to the item's record of which keys are on the
// wire: has tells encode to send the key, mark records that parse met it.
// isNil and markNil do the same for a key that came (is sent) as NIL.
type cond[T any] struct {
	has     func(*T) bool
	mark    func(*T)
	isNil   func(*T) bool
	markNil func(*T)
}

// nestedList reads and writes a list of items of another table. (read
// returns its error rather than taking the kvReader, which would then
// escape to the heap for every item parsed.)
type nestedList[T any] struct {
	read  func(x *T, v dlist.Value, ar *arena) error
	write func(x *T, ar *encArena) dlist.Value
	isNil func(x *T) bool
}

// The keys of each kind: the key's name and the accessor of the Go field
// it binds.

func keyOf[T any](key string, k kind, to accessors[T]) field[T] {
	return field[T]{key: key, kind: k, to: to}
}

func strKey[T any](key string, a func(*T) *string) field[T] {
	return keyOf(key, kindString, accessors[T]{str: a})
}
func nilStrKey[T any](key string, a func(*T) *string) field[T] {
	return keyOf(key, kindNilString, accessors[T]{str: a})
}
func u32Key[T any](key string, a func(*T) *uint32) field[T] {
	return keyOf(key, kindUint32, accessors[T]{u32: a})
}
func u64Key[T any](key string, a func(*T) *uint64) field[T] {
	return keyOf(key, kindUint64, accessors[T]{u64: a})
}
func dateKey[T any](key string, a func(*T) *int64) field[T] {
	return keyOf(key, kindDate, accessors[T]{i64: a})
}
func guidKey[T any](key string, a func(*T) *guid.GUID) field[T] {
	return keyOf(key, kindGUID, accessors[T]{guid: a})
}
func boolKey[T any](key string, a func(*T) *bool) field[T] {
	return keyOf(key, kindBool, accessors[T]{bool: a})
}
func bytesKey[T any](key string, a func(*T) *[]byte) field[T] {
	return keyOf(key, kindBytes, accessors[T]{bytes: a})
}
func flagsKey[T any](key string, a func(*T) *[]string) field[T] {
	return keyOf(key, kindFlags, accessors[T]{strs: a})
}
func strsKey[T any](key string, a func(*T) *[]string) field[T] {
	return keyOf(key, kindStrings, accessors[T]{strs: a})
}
func guidsKey[T any](key string, a func(*T) *[]guid.GUID) field[T] {
	return keyOf(key, kindGUIDs, accessors[T]{guids: a})
}
func u32sKey[T any](key string, a func(*T) *[]uint32) field[T] {
	return keyOf(key, kindUint32s, accessors[T]{u32s: a})
}

// itemsKey is a list of kvlist items of table et (ANNOTATIONS, RECORD).
func itemsKey[T, E any](key string, acc func(*T) *[]E, et *table[E]) field[T] {
	f := keyOf(key, kindItems, accessors[T]{})
	f.list = &nestedList[T]{
		read: func(x *T, v dlist.Value, ar *arena) error {
			var err error
			*acc(x), err = et.parseList(v, ar)
			return err
		},
		write: func(x *T, ar *encArena) dlist.Value { return et.encodeList(*acc(x), ar) },
		isNil: func(x *T) bool { return *acc(x) == nil },
	}
	return f
}

// required makes parsing fail without the key.
func (f field[T]) required() field[T] { f.req = true; return f }

// omitZero sends the key only when its field is not the zero value: a
// non-empty string, a non-nil slice (parsing "()" gives a non-nil one).
func (f field[T]) omitZero() field[T] { f.send = sendNonZero; return f }

// when sends the key only as c says, and makes parsing mark it in c.
func (f field[T]) when(c cond[T]) field[T] { f.send, f.cond = sendPresent, c; return f }

// bitCond is the presence of a key as bit k of the item's set (Sieve.Present).
func bitCond[T any, K ~uint8 | ~uint32](set func(*T) *K, k K) cond[T] {
	return cond[T]{
		has:  func(x *T) bool { return *set(x)&k != 0 },
		mark: func(x *T) { *set(x) |= k },
	}
}

// flagCond is the presence of a key as a bool of the item (Quota.HasModseq).
func flagCond[T any](p func(*T) *bool) cond[T] {
	return cond[T]{has: func(x *T) bool { return *p(x) }, mark: func(x *T) { *p(x) = true }}
}

// newTable declares item with its keys in emission order.
func newTable[T any](item string, extra func(*T) *[]Extra, fields ...field[T]) *table[T] {
	if len(fields) > 64 {
		panic(fmt.Sprintf("protocol: %s: more than 64 keys", item))
	}
	for _, f := range fields {
		if f.kind == kindNilString && (f.cond.isNil == nil || f.cond.markNil == nil) {
			panic(fmt.Sprintf("protocol: %s: NIL-able key %s without a record of NIL", item, f.key))
		}
	}
	t := &table[T]{item: item, extra: extra, fields: fields}
	t.setRequired()
	return t
}

func (t *table[T]) setRequired() {
	t.required = 0
	for i := range t.fields {
		if t.fields[i].req {
			t.required |= 1 << i
		}
	}
}

// withArenas makes lists of T share parse and encode arenas.
func (t *table[T]) withArenas(parse func(*table[T], []dlist.Value) *arena, enc func(*table[T], []T) *encArena) *table[T] {
	t.listArena, t.listEncArena = parse, enc
	return t
}

// allocFrom takes the elements of a list of T from the parse arena.
func (t *table[T]) allocFrom(alloc func(ar *arena, n int) []T) *table[T] {
	t.alloc = alloc
	return t
}

// requiring returns a copy of t that also requires keys (APPLY SEEN
// requires the USERID that a SEEN reply item lacks).
func (t *table[T]) requiring(keys ...string) *table[T] { return t.withRequired(true, keys) }

// relaxing returns a copy of t that does not require keys.
func (t *table[T]) relaxing(keys ...string) *table[T] { return t.withRequired(false, keys) }

func (t *table[T]) withRequired(req bool, keys []string) *table[T] {
	c := *t
	c.fields = append([]field[T](nil), t.fields...)
	for _, k := range keys {
		i := c.index(k, 0)
		if i < 0 {
			panic(fmt.Sprintf("protocol: %s has no key %s", t.item, k))
		}
		c.fields[i].req = req
	}
	c.setRequired()
	return &c
}

// index returns the position of key, trying hint first (keys mostly come
// in table order), or -1.
func (t *table[T]) index(key string, hint int) int {
	if hint < len(t.fields) && t.fields[hint].key == key {
		return hint
	}
	for i := range t.fields {
		if t.fields[i].key == key {
			return i
		}
	}
	return -1
}

// parse decodes kvlist v into a new T.
func parse[T any](t *table[T], v dlist.Value) (*T, error) {
	x := new(T)
	if err := t.parseInto(x, v, nil); err != nil {
		return nil, err
	}
	return x, nil
}

// parseInto decodes kvlist v into x, which may hold defaults. Elements of
// nested lists take their storage from ar when it has room.
func (t *table[T]) parseInto(x *T, v dlist.Value, ar *arena) error {
	r := kvReader{}
	if !r.begin(t.item, v) {
		return r.result()
	}
	next := 0
	for _, kv := range v.Pairs() {
		i := t.index(kv.Key, next)
		if i < 0 {
			r.keep(kv)
			continue
		}
		next = i + 1
		if r.first(uint(i), kv) {
			t.fields[i].read(x, &r, kv, ar)
		}
	}
	if missing := t.required &^ r.seen; missing != 0 {
		for i := range t.fields {
			if f := &t.fields[i]; missing&(1<<i) != 0 {
				r.fail(f.key, &dlist.MissingKeyError{Key: f.key})
			}
		}
	}
	*t.extra(x) = r.extra
	return r.result()
}

func (f *field[T]) read(x *T, r *kvReader, kv dlist.KV, ar *arena) {
	switch f.kind {
	case kindString:
		*f.to.str(x) = r.str(kv)
	case kindNilString:
		*f.to.str(x) = r.str(kv)
		if kv.Value.IsNil() {
			f.cond.markNil(x)
		}
	case kindUint32:
		*f.to.u32(x) = r.u32(kv)
	case kindUint64:
		*f.to.u64(x) = r.u64(kv)
	case kindDate:
		*f.to.i64(x) = r.date(kv)
	case kindGUID:
		*f.to.guid(x) = r.guid(kv)
	case kindBool:
		*f.to.bool(x) = r.u32(kv) != 0
	case kindBytes:
		*f.to.bytes(x) = []byte(r.str(kv))
	case kindFlags:
		*f.to.strs(x) = r.flags(kv, ar)
	case kindStrings:
		*f.to.strs(x) = r.strings(kv.Key, kv.Value)
	case kindGUIDs:
		*f.to.guids(x) = r.guids(kv.Key, kv.Value)
	case kindUint32s:
		*f.to.u32s(x) = r.u32s(kv)
	case kindItems:
		r.fail(kv.Key, f.list.read(x, kv.Value, ar))
	}
	if f.cond.mark != nil {
		f.cond.mark(x)
	}
}

// encode returns x as a kvlist in table order, its Extras put back.
// Lists of nested items take their storage from ar when it has room.
func (t *table[T]) encode(x *T, ar *encArena) dlist.Value {
	extra := *t.extra(x)
	w := kvWriter{kvs: ar.kv(len(t.fields) + len(extra)), extra: extra}
	w.start()
	for i := range t.fields {
		f := &t.fields[i]
		switch {
		case f.cond.isNil != nil && f.cond.isNil(x):
			w.add(f.key, dlist.Nil())
		case f.sent(x):
			w.add(f.key, f.value(x, ar))
		}
	}
	return w.value()
}

func (f *field[T]) sent(x *T) bool {
	switch f.send {
	case sendNonZero:
		return !f.zero(x)
	case sendPresent:
		return f.cond.has(x)
	}
	return true
}

func (f *field[T]) zero(x *T) bool {
	switch f.kind {
	case kindString, kindNilString:
		return *f.to.str(x) == ""
	case kindUint32:
		return *f.to.u32(x) == 0
	case kindUint64:
		return *f.to.u64(x) == 0
	case kindDate:
		return *f.to.i64(x) == 0
	case kindGUID:
		return f.to.guid(x).IsZero()
	case kindBool:
		return !*f.to.bool(x)
	case kindBytes:
		return *f.to.bytes(x) == nil
	case kindFlags, kindStrings:
		return *f.to.strs(x) == nil
	case kindGUIDs:
		return *f.to.guids(x) == nil
	case kindUint32s:
		return *f.to.u32s(x) == nil
	}
	return f.list.isNil(x)
}

func (f *field[T]) value(x *T, ar *encArena) dlist.Value {
	switch f.kind {
	case kindString, kindNilString:
		return dlist.String(*f.to.str(x))
	case kindUint32:
		return dlist.Uint32(*f.to.u32(x))
	case kindUint64:
		return dlist.Uint64(*f.to.u64(x))
	case kindDate:
		return dateValue(*f.to.i64(x))
	case kindGUID:
		return guidValue(f.to.guid(x))
	case kindBool:
		if *f.to.bool(x) {
			return dlist.Uint32(1)
		}
		return dlist.Uint32(0)
	case kindBytes:
		return dlist.Bytes(*f.to.bytes(x))
	case kindFlags:
		return flagValues(*f.to.strs(x), ar)
	case kindStrings:
		return strValues(*f.to.strs(x))
	case kindGUIDs:
		return guidValues(*f.to.guids(x))
	case kindUint32s:
		return u32Values(*f.to.u32s(x))
	}
	return f.list.write(x, ar)
}

// parseList reads a list of T items.
func (t *table[T]) parseList(v dlist.Value, ar *arena) ([]T, error) {
	items, err := v.AsList()
	if err != nil {
		return nil, err
	}
	if t.listArena != nil {
		ar = t.listArena(t, items)
	}
	var out []T
	if t.alloc != nil {
		out = t.alloc(ar, len(items))
	} else {
		out = make([]T, len(items))
	}
	for i, it := range items {
		if err := t.parseInto(&out[i], it, ar); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// encodeList writes a list of T items.
func (t *table[T]) encodeList(xs []T, ar *encArena) dlist.Value {
	if t.listEncArena != nil {
		ar = t.listEncArena(t, xs)
	}
	items := ar.val(len(xs))
	for i := range xs {
		items[i] = t.encode(&xs[i], ar)
	}
	return dlist.List(items...)
}
