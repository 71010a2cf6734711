package dlist

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"
)

// TypeError reports a value that does not have the type a getter asked for.
type TypeError struct {
	Key    string // the kvlist key, "" for the As* methods
	Want   string // "string", "uint32", "uint64", "date", "hex64", "guid", "list", "kvlist", "file"
	Got    Kind   // the kind found
	Text   string // the text found, for strings (truncated to 64 bytes)
	Reason string // why a string did not convert, e.g. "out of range"
}

// Error implements error.
func (e *TypeError) Error() string {
	var s string
	if e.Key != "" {
		s = fmt.Sprintf("dlist: key %q: want %s, got %s", e.Key, e.Want, e.Got)
	} else {
		s = fmt.Sprintf("dlist: want %s, got %s", e.Want, e.Got)
	}
	if e.Got == KindString || e.Got == KindFlag {
		s += fmt.Sprintf(" %q", e.Text)
	}
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// MissingKeyError reports a key that a kvlist getter did not find.
type MissingKeyError struct {
	Key string
}

// Error implements error.
func (e *MissingKeyError) Error() string {
	return fmt.Sprintf("dlist: missing key %q", e.Key)
}

func typeErr(v Value, want, reason string) *TypeError {
	e := &TypeError{Want: want, Got: v.kind, Reason: reason}
	if v.kind == KindString || v.kind == KindFlag {
		e.Text = v.s
		if len(e.Text) > 64 {
			e.Text = e.Text[:64] + "..."
		}
	}
	return e
}

// AsString returns the text of a string or flag (cyrus: dlist_toatom also
// accepts FLAG). Unlike Cyrus, which returns a NULL string for NIL, NIL is a
// *TypeError here: check IsNil first where NIL is meaningful.
func (v Value) AsString() (string, error) {
	if v.kind == KindString || v.kind == KindFlag {
		return v.s, nil
	}
	return "", typeErr(v, "string", "")
}

// AsUint64 parses a string of decimal digits (at least one, no sign, no
// spaces) as an unsigned 64-bit number (cyrus: dlist_tonum64).
func (v Value) AsUint64() (uint64, error) {
	if v.kind != KindString {
		return 0, typeErr(v, "uint64", "")
	}
	n, err := parseDecimal(v.s)
	if err != "" {
		return 0, typeErr(v, "uint64", err)
	}
	return n, nil
}

// AsUint32 is AsUint64 restricted to 32 bits. Cyrus silently truncates
// larger values (dlist_tonum32); this returns a *TypeError instead.
func (v Value) AsUint32() (uint32, error) {
	if v.kind != KindString {
		return 0, typeErr(v, "uint32", "")
	}
	n, err := parseDecimal(v.s)
	if err == "" && n > math.MaxUint32 {
		err = "out of range"
	}
	if err != "" {
		return 0, typeErr(v, "uint32", err)
	}
	return uint32(n), nil
}

// AsDate returns a number of seconds since the Unix epoch as a time (UTC).
// Numbers ≥ 2^63 are taken as the unsigned image of a negative time_t.
func (v Value) AsDate() (time.Time, error) {
	if v.kind != KindString {
		return time.Time{}, typeErr(v, "date", "")
	}
	n, err := parseDecimal(v.s)
	if err != "" {
		return time.Time{}, typeErr(v, "date", err)
	}
	return time.Unix(int64(n), 0).UTC(), nil
}

// AsHex64 parses 1 to 16 hex digits of either case (cyrus: dlist_tohex64).
func (v Value) AsHex64() (uint64, error) {
	if v.kind != KindString {
		return 0, typeErr(v, "hex64", "")
	}
	if len(v.s) == 0 || len(v.s) > 16 {
		return 0, typeErr(v, "hex64", "not 1-16 hex digits")
	}
	n, err := strconv.ParseUint(v.s, 16, 64)
	if err != nil || v.s[0] == '+' || v.s[0] == '-' {
		return 0, typeErr(v, "hex64", "not hex")
	}
	return n, nil
}

// AsGUID decodes exactly 40 hex digits of either case (cyrus: dlist_toguid).
func (v Value) AsGUID() ([20]byte, error) {
	var sum [20]byte
	if v.kind != KindString {
		return sum, typeErr(v, "guid", "")
	}
	if !decodeGUID(&sum, v.s) {
		return sum, typeErr(v, "guid", "not 40 hex digits")
	}
	return sum, nil
}

// AsList returns the elements of a list. NIL yields an empty list, as in
// Cyrus' dlist_getlist.
func (v Value) AsList() ([]Value, error) {
	switch v.kind {
	case KindList:
		return v.list, nil
	case KindNil:
		return nil, nil
	}
	return nil, typeErr(v, "list", "")
}

// AsKVList returns v itself if it is a kvlist, for use with Get and the
// Get* methods; otherwise a *TypeError.
func (v Value) AsKVList() (Value, error) {
	if v.kind == KindKVList {
		return v, nil
	}
	return Value{}, typeErr(v, "kvlist", "")
}

// AsFile returns the description of a file literal.
func (v Value) AsFile() (*File, error) {
	if v.kind == KindFile {
		return v.file, nil
	}
	return nil, typeErr(v, "file", "")
}

// lookup finds key or returns a *MissingKeyError (or a *TypeError if v is
// not a kvlist).
func (v Value) lookup(key string) (Value, error) {
	if v.kind != KindKVList {
		return Value{}, typeErr(v, "kvlist", "")
	}
	c, ok := v.Get(key)
	if !ok {
		return Value{}, &MissingKeyError{Key: key}
	}
	return c, nil
}

// keyed adds key to a *TypeError.
func keyed(key string, err error) error {
	if te, ok := err.(*TypeError); ok {
		te.Key = key
	}
	return err
}

// GetString returns the string at key of the kvlist v.
func (v Value) GetString(key string) (string, error) {
	c, err := v.lookup(key)
	if err != nil {
		return "", err
	}
	s, err := c.AsString()
	return s, keyed(key, err)
}

// GetUint64 returns the 64-bit number at key of the kvlist v.
func (v Value) GetUint64(key string) (uint64, error) {
	c, err := v.lookup(key)
	if err != nil {
		return 0, err
	}
	n, err := c.AsUint64()
	return n, keyed(key, err)
}

// GetUint32 returns the 32-bit number at key of the kvlist v.
func (v Value) GetUint32(key string) (uint32, error) {
	c, err := v.lookup(key)
	if err != nil {
		return 0, err
	}
	n, err := c.AsUint32()
	return n, keyed(key, err)
}

// GetDate returns the date at key of the kvlist v.
func (v Value) GetDate(key string) (time.Time, error) {
	c, err := v.lookup(key)
	if err != nil {
		return time.Time{}, err
	}
	t, err := c.AsDate()
	return t, keyed(key, err)
}

// GetHex64 returns the hex number at key of the kvlist v.
func (v Value) GetHex64(key string) (uint64, error) {
	c, err := v.lookup(key)
	if err != nil {
		return 0, err
	}
	n, err := c.AsHex64()
	return n, keyed(key, err)
}

// GetGUID returns the GUID at key of the kvlist v.
func (v Value) GetGUID(key string) ([20]byte, error) {
	c, err := v.lookup(key)
	if err != nil {
		return [20]byte{}, err
	}
	g, err := c.AsGUID()
	return g, keyed(key, err)
}

// GetList returns the list at key of the kvlist v (NIL yields an empty
// list).
func (v Value) GetList(key string) ([]Value, error) {
	c, err := v.lookup(key)
	if err != nil {
		return nil, err
	}
	l, err := c.AsList()
	return l, keyed(key, err)
}

// GetKVList returns the kvlist at key of the kvlist v.
func (v Value) GetKVList(key string) (Value, error) {
	c, err := v.lookup(key)
	if err != nil {
		return Value{}, err
	}
	kv, err := c.AsKVList()
	return kv, keyed(key, err)
}

// parseDecimal parses 1*DIGIT into a uint64; it returns a reason on failure.
func parseDecimal(s string) (uint64, string) {
	if s == "" {
		return 0, "empty"
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, "not a decimal number"
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, "out of range"
		}
		n = n*10 + d
	}
	return n, ""
}

// decodeGUID decodes exactly 40 hex digits of either case into sum.
func decodeGUID(sum *[20]byte, s string) bool {
	if len(s) != 40 {
		return false
	}
	_, err := hex.Decode(sum[:], []byte(s))
	return err == nil
}
