package dlist

import (
	"encoding/hex"
	"io"
	"strconv"
	"time"
)

// Kind is the type of a [Value].
type Kind uint8

// The kinds of value. Cyrus' NUM, DATE, HEX, GUID and BUF types are all
// strings on the wire and therefore KindString here.
// cyrus: enum dlist_t in imap/dlist.h (3.6.1).
const (
	KindNil    Kind = iota // NIL (also the zero Value)
	KindString             // atom, quoted string or literal
	KindFlag               // \Seen style flag, printed raw
	KindList               // ( … )
	KindKVList             // %( key value … )
	KindFile               // %{partition guid size} + octets
)

// String returns a lower-case name of the kind, as used in error messages.
func (k Kind) String() string {
	switch k {
	case KindNil:
		return "nil"
	case KindString:
		return "string"
	case KindFlag:
		return "flag"
	case KindList:
		return "list"
	case KindKVList:
		return "kvlist"
	case KindFile:
		return "file"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Form records how a decoded string was written on the wire. The encoder
// ignores it (it always chooses the form the way Cyrus does); it is there so
// that a server can tell a synchronising {n} literal from a {n+} one.
type Form uint8

// The wire forms of a decoded value.
const (
	FormNone        Form = iota // built in memory, or not a string
	FormAtom                    // bare atom
	FormQuoted                  // "quoted"
	FormLiteral                 // {n} synchronising literal
	FormLiteralPlus             // {n+} non-synchronising literal
)

// Value is one dlist value. The zero Value is NIL. Values are built with
// the constructors of this file or by a [Decoder]; lists and kvlists share
// their backing slices when copied.
type Value struct {
	kind Kind
	form Form
	s    string  // KindString, KindFlag: the text
	list []Value // KindList
	kvs  []KV    // KindKVList, in wire order
	file *File   // KindFile
}

// KV is one key/value pair of a kvlist.
type KV struct {
	Key   string
	Value Value
}

// File describes a file literal %{Partition GUID Size}.
type File struct {
	Partition string
	// GUID is the message GUID, the hex SHA-1 of the content. The decoder
	// stores it in lower case; the encoder prints it in lower case.
	GUID string
	Size int64
	// Body, if set, is where the encoder reads the Size content bytes
	// from. The decoder never sets it (the content went to the FileFunc).
	Body io.Reader
}

// Nil returns the NIL value (the same as Value{}).
func Nil() Value { return Value{} }

// String returns a string value. Any bytes are allowed, including NUL; the
// encoder picks atom, quoted string or literal.
func String(s string) Value { return Value{kind: KindString, s: s} }

// Bytes returns a string value holding a copy of b (Cyrus' BUF/map type).
func Bytes(b []byte) Value { return Value{kind: KindString, s: string(b)} }

// Flag returns a flag value such as `\Seen` or `$Label1`. Flags are printed
// raw (cyrus: DL_FLAG in dlist_print, imap/dlist.c 3.6.1), so the name must
// be a valid atom; the encoder refuses names that would not read back.
func Flag(name string) Value { return Value{kind: KindFlag, s: name} }

// Uint64 returns the decimal form of n, as Cyrus prints NUM values (%llu).
func Uint64(n uint64) Value { return String(strconv.FormatUint(n, 10)) }

// Uint32 returns the decimal form of n.
func Uint32(n uint32) Value { return Uint64(uint64(n)) }

// Date returns t as seconds since the Unix epoch, printed as an unsigned
// 64-bit decimal like Cyrus' DATE type (a negative time wraps around).
func Date(t time.Time) Value { return Uint64(uint64(t.Unix())) }

// Hex64 returns n as exactly 16 lower-case hex digits (Cyrus' HEX type,
// used for the thrid pseudo-annotation).
func Hex64(n uint64) Value {
	var b [16]byte
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return String(string(b[:]))
}

// GUID returns the 40 lower-case hex digit form of a message GUID.
func GUID(sum [20]byte) Value { return String(hex.EncodeToString(sum[:])) }

// List returns a list of the given values.
func List(items ...Value) Value { return Value{kind: KindList, list: items} }

// KVList returns a kvlist of the given pairs, in order.
func KVList(pairs ...KV) Value { return Value{kind: KindKVList, kvs: pairs} }

// FileLiteral returns a file literal value whose content the encoder will
// read from body (which may be nil if the Encoder has a FileSource).
func FileLiteral(partition, guid string, size int64, body io.Reader) Value {
	return Value{kind: KindFile, file: &File{Partition: partition, GUID: guid, Size: size, Body: body}}
}

// Kind returns the kind of v.
func (v Value) Kind() Kind { return v.kind }

// Form returns how v was written on the wire, for decoded strings.
func (v Value) Form() Form { return v.form }

// IsNil reports whether v is NIL.
func (v Value) IsNil() bool { return v.kind == KindNil }

// Len returns the number of elements of a list or pairs of a kvlist, else 0.
func (v Value) Len() int {
	switch v.kind {
	case KindList:
		return len(v.list)
	case KindKVList:
		return len(v.kvs)
	}
	return 0
}

// Items returns the elements of a list (nil for any other kind). The slice
// is shared with v.
func (v Value) Items() []Value {
	if v.kind != KindList {
		return nil
	}
	return v.list
}

// Pairs returns the pairs of a kvlist in wire order (nil for any other
// kind). The slice is shared with v.
func (v Value) Pairs() []KV {
	if v.kind != KindKVList {
		return nil
	}
	return v.kvs
}

// File returns the description of a file literal, or nil.
func (v Value) File() *File {
	if v.kind != KindFile {
		return nil
	}
	return v.file
}

// Text returns the text of a string or flag, or "" for other kinds.
func (v Value) Text() string {
	if v.kind == KindString || v.kind == KindFlag {
		return v.s
	}
	return ""
}

// Get returns the value of the first pair named key in a kvlist (Cyrus'
// dlist_getchild: exact, case-sensitive match, first wins). It reports false
// if v is not a kvlist or has no such key.
func (v Value) Get(key string) (Value, bool) {
	if v.kind != KindKVList {
		return Value{}, false
	}
	for i := range v.kvs {
		if v.kvs[i].Key == key {
			return v.kvs[i].Value, true
		}
	}
	return Value{}, false
}

// Has reports whether the kvlist v has a pair named key.
func (v Value) Has(key string) bool {
	_, ok := v.Get(key)
	return ok
}

// Keys returns the keys of a kvlist in wire order.
func (v Value) Keys() []string {
	if v.kind != KindKVList {
		return nil
	}
	keys := make([]string, len(v.kvs))
	for i := range v.kvs {
		keys[i] = v.kvs[i].Key
	}
	return keys
}

// Append adds a pair at the end of the kvlist v (which becomes an empty
// kvlist first if it is NIL). Like Cyrus' dlist_set*, it does not look for
// an existing pair of that name.
func (v *Value) Append(key string, val Value) {
	if v.kind == KindNil {
		v.kind = KindKVList
	}
	if v.kind != KindKVList {
		panic("dlist: Append on a " + v.kind.String())
	}
	v.kvs = append(v.kvs, KV{Key: key, Value: val})
}

// Set replaces the value of the first pair named key in the kvlist v, or
// appends the pair (cyrus: dlist_update* in imap/dlist.c 3.6.1).
func (v *Value) Set(key string, val Value) {
	if v.kind == KindKVList {
		for i := range v.kvs {
			if v.kvs[i].Key == key {
				v.kvs[i].Value = val
				return
			}
		}
	}
	v.Append(key, val)
}

// Push adds val at the end of the list v (which becomes an empty list first
// if it is NIL).
func (v *Value) Push(val Value) {
	if v.kind == KindNil {
		v.kind = KindList
	}
	if v.kind != KindList {
		panic("dlist: Push on a " + v.kind.String())
	}
	v.list = append(v.list, val)
}

// Equal reports whether a and b are the same value: same kind, same text,
// same elements and pairs in the same order, same file description. The
// wire form and file bodies are ignored.
func Equal(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case KindString, KindFlag:
		return a.s == b.s
	case KindList:
		if len(a.list) != len(b.list) {
			return false
		}
		for i := range a.list {
			if !Equal(a.list[i], b.list[i]) {
				return false
			}
		}
	case KindKVList:
		if len(a.kvs) != len(b.kvs) {
			return false
		}
		for i := range a.kvs {
			if a.kvs[i].Key != b.kvs[i].Key || !Equal(a.kvs[i].Value, b.kvs[i].Value) {
				return false
			}
		}
	case KindFile:
		fa, fb := a.file, b.file
		return fa.Partition == fb.Partition && fa.GUID == fb.GUID && fa.Size == fb.Size
	}
	return true
}

// String returns v in the server-side wire form, for logs and debugging.
// A file literal is shown as its header only; a value that cannot be
// encoded is shown with the error.
func (v Value) String() string {
	b, err := appendValue(nil, v, false, func(b []byte, f *File) ([]byte, error) {
		b = append(b, "%{"...)
		b = AppendAString(b, f.Partition, false)
		b = append(b, ' ')
		b = AppendAString(b, f.GUID, false)
		b = append(b, ' ')
		b = strconv.AppendInt(b, f.Size, 10)
		return append(b, "}+<content>"...), nil
	})
	if err != nil {
		return string(b) + "<" + err.Error() + ">"
	}
	return string(b)
}
