package dlist

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

const sampleMailbox = "%(UNIQUEID po2w8t230b06ew2rjg0udbqv MBOXNAME user.cassandane SYNC_CRC 1190893338 " +
	"LAST_UID 4 HIGHESTMODSEQ 18446744073709551615 RECENTTIME 1795446242 UIDVALIDITY 1795446243 " +
	"PARTITION default ACL \"cassandane\tlrswipkxtecdan\t\" OPTIONS P X-FUTURE (a b) " +
	"THRID 00000000000000ff BIG 4294967296 NEG -1 ANNOTATIONS NIL FLAG \\Seen " +
	"GUID 3C0625B47E50C23EF8862C2273D117B5850E826B RECORD (%(UID 1))" +
	" LAST_UID 99)"

func TestGetters(t *testing.T) {
	mb, err := Unmarshal([]byte(sampleMailbox), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := mb.GetString("MBOXNAME"); err != nil || s != "user.cassandane" {
		t.Errorf("GetString = %q, %v", s, err)
	}
	if n, err := mb.GetUint32("LAST_UID"); err != nil || n != 4 {
		t.Errorf("GetUint32(LAST_UID) = %d, %v (first match wins)", n, err)
	}
	if n, err := mb.GetUint64("HIGHESTMODSEQ"); err != nil || n != math.MaxUint64 {
		t.Errorf("GetUint64 = %d, %v", n, err)
	}
	if n, err := mb.GetUint64("BIG"); err != nil || n != 1<<32 {
		t.Errorf("GetUint64(BIG) = %d, %v", n, err)
	}
	if d, err := mb.GetDate("RECENTTIME"); err != nil || !d.Equal(time.Unix(1795446242, 0)) {
		t.Errorf("GetDate = %v, %v", d, err)
	}
	if h, err := mb.GetHex64("THRID"); err != nil || h != 0xff {
		t.Errorf("GetHex64 = %x, %v", h, err)
	}
	if g, err := mb.GetGUID("GUID"); err != nil || g[0] != 0x3c || g[19] != 0x6b {
		t.Errorf("GetGUID = %x, %v", g, err)
	}
	if l, err := mb.GetList("ANNOTATIONS"); err != nil || l != nil {
		t.Errorf("GetList(NIL) = %v, %v; want empty", l, err)
	}
	if s, err := mb.GetString("FLAG"); err != nil || s != `\Seen` {
		t.Errorf("GetString(flag) = %q, %v", s, err)
	}
	recs, err := mb.GetList("RECORD")
	if err != nil || len(recs) != 1 {
		t.Fatalf("GetList(RECORD) = %v, %v", recs, err)
	}
	if uid, err := recs[0].GetUint32("UID"); err != nil || uid != 1 {
		t.Errorf("record UID = %d, %v", uid, err)
	}
	if kv, err := mb.GetKVList("RECORD"); err == nil {
		t.Errorf("GetKVList on a list = %v", kv)
	}
	// Unknown keys are kept, in order.
	keys := mb.Keys()
	if keys[10] != "X-FUTURE" || keys[len(keys)-1] != "LAST_UID" {
		t.Errorf("Keys = %v", keys)
	}
	out, _ := Marshal(mb)
	if !strings.EqualFold(string(out), sampleMailbox) {
		t.Errorf("re-encoding = %q", out)
	}

	// Typed errors name the key.
	errTests := []struct {
		get    func() error
		key    string
		want   string
		reason string
	}{
		{func() error { _, err := mb.GetUint32("MBOXNAME"); return err }, "MBOXNAME", "uint32", "not a decimal"},
		{func() error { _, err := mb.GetUint32("BIG"); return err }, "BIG", "uint32", "out of range"},
		{func() error { _, err := mb.GetUint64("NEG"); return err }, "NEG", "uint64", "not a decimal"},
		{func() error { _, err := mb.GetUint64("X-FUTURE"); return err }, "X-FUTURE", "uint64", ""},
		{func() error { _, err := mb.GetString("ANNOTATIONS"); return err }, "ANNOTATIONS", "string", ""},
		{func() error { _, err := mb.GetGUID("UNIQUEID"); return err }, "UNIQUEID", "guid", "not 40 hex"},
		{func() error { _, err := mb.GetHex64("MBOXNAME"); return err }, "MBOXNAME", "hex64", "not hex"},
		{func() error { _, err := mb.GetList("OPTIONS"); return err }, "OPTIONS", "list", ""},
		{func() error { _, err := mb.GetUint64("FLAG"); return err }, "FLAG", "uint64", ""},
		{func() error { _, err := mb.GetDate("ACL"); return err }, "ACL", "date", ""},
	}
	for _, tc := range errTests {
		err := tc.get()
		var te *TypeError
		if !errors.As(err, &te) || te.Key != tc.key || te.Want != tc.want || !strings.Contains(te.Reason, tc.reason) {
			t.Errorf("%s: %v (%#v)", tc.key, err, err)
			continue
		}
		if !strings.Contains(err.Error(), `"`+tc.key+`"`) {
			t.Errorf("error %q does not name the key", err)
		}
	}
	var mk *MissingKeyError
	if _, err := mb.GetUint32("UIDNEXT"); !errors.As(err, &mk) || mk.Key != "UIDNEXT" {
		t.Errorf("missing key: %v", err)
	}
	if _, err := String("x").GetString("A"); err == nil {
		t.Error("GetString on a string accepted")
	}
	if _, err := Nil().AsString(); err == nil {
		t.Error("AsString(NIL) accepted")
	}
}

func TestBuilders(t *testing.T) {
	var kv Value
	kv.Append("A", s("1"))
	kv.Append("B", s("2"))
	kv.Set("A", s("3"))
	kv.Set("C", s("4"))
	kv.Append("A", s("5"))
	if got, _ := Marshal(kv); string(got) != "%(A 3 B 2 C 4 A 5)" {
		t.Errorf("kvlist = %s", got)
	}
	if v, ok := kv.Get("A"); !ok || v.Text() != "3" || !kv.Has("C") || kv.Has("Z") {
		t.Errorf("Get/Has wrong")
	}
	var l Value
	l.Push(s("x"))
	l.Push(Nil())
	if l.Len() != 2 || l.Items()[1].Kind() != KindNil || kv.Len() != 4 || len(kv.Pairs()) != 4 {
		t.Errorf("Len/Items/Pairs wrong")
	}
	if l.Pairs() != nil || kv.Items() != nil || l.File() != nil || l.Text() != "" || kv.Keys() == nil || l.Keys() != nil {
		t.Errorf("accessors on the wrong kind")
	}
	defer func() {
		if recover() == nil {
			t.Error("Push on a kvlist did not panic")
		}
	}()
	kv.Push(s("y"))
}

func TestKindStrings(t *testing.T) {
	got := []string{}
	for k := KindNil; k <= KindFile+1; k++ {
		got = append(got, k.String())
	}
	want := []string{"nil", "string", "flag", "list", "kvlist", "file", "kind(6)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Kind strings = %v", got)
	}
	for l := LimitAtom; l <= LimitTotal; l++ {
		if strings.HasPrefix(l.String(), "Limit(") {
			t.Errorf("limit %d has no name", l)
		}
	}
}

func TestEqual(t *testing.T) {
	a := List(s("x"), KVList(KV{"k", Nil()}), FileLiteral("p", "g", 1, nil))
	b := List(s("x"), KVList(KV{"k", Nil()}), FileLiteral("p", "g", 1, strings.NewReader("z")))
	if !Equal(a, b) {
		t.Error("equal values differ")
	}
	for _, c := range []Value{
		List(s("x")), List(s("y"), KVList(KV{"k", Nil()}), FileLiteral("p", "g", 1, nil)),
		List(s("x"), KVList(KV{"K", Nil()}), FileLiteral("p", "g", 1, nil)),
		List(s("x"), KVList(KV{"k", Nil()}), FileLiteral("p", "g", 2, nil)),
		List(Flag("x"), KVList(KV{"k", Nil()}), FileLiteral("p", "g", 1, nil)),
	} {
		if Equal(a, c) {
			t.Errorf("Equal(%v, %v)", a, c)
		}
	}
}

func TestValueString(t *testing.T) {
	v := List(s("a b"), Nil(), FileLiteral("default", "ab", 3, nil), Flag("bad flag"))
	want := `("a b" NIL`
	if got := v.String(); !strings.HasPrefix(got, want) || !strings.Contains(got, "ErrBadFlag") && !strings.Contains(got, "not a valid atom") {
		t.Errorf("String() = %q", got)
	}
	if got := FileLiteral("default", "ab", 3, nil).String(); got != "%{default ab 3}+<content>" {
		t.Errorf("file String() = %q", got)
	}
	if got := KVList(KV{"K", s("")}).String(); got != `%(K "")` {
		t.Errorf("kvlist String() = %q", got)
	}
}
