package protocol

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// tItem has a key of every kind, to test the table engine apart from the
// wire items.
type tItem struct {
	Name  string
	Type  string
	N     uint32
	Big   uint64
	Date  int64
	G     guid.GUID
	On    bool
	Raw   []byte
	Flags []string
	Names []string
	GUIDs []guid.GUID
	UIDs  []uint32
	Opt   string
	Subs  []tSub
	Has   uint8
	Nils  uint8
	Extra []Extra
}

type tSub struct {
	K     string
	Extra []Extra
}

var tSubTable = newTable("SUB", func(s *tSub) *[]Extra { return &s.Extra },
	strKey("K", func(s *tSub) *string { return &s.K }).required(),
)

func tKey(bit uint8) cond[tItem] {
	c := bitCond(func(x *tItem) *uint8 { return &x.Has }, bit)
	c.isNil = func(x *tItem) bool { return x.Nils&bit != 0 }
	c.markNil = func(x *tItem) { x.Nils |= bit }
	return c
}

var tTable = newTable("ITEM", func(x *tItem) *[]Extra { return &x.Extra },
	strKey("NAME", func(x *tItem) *string { return &x.Name }).required(),
	nilStrKey("TYPE", func(x *tItem) *string { return &x.Type }).when(tKey(1)),
	u32Key("N", func(x *tItem) *uint32 { return &x.N }).required(),
	u64Key("BIG", func(x *tItem) *uint64 { return &x.Big }).when(tKey(2)),
	dateKey("DATE", func(x *tItem) *int64 { return &x.Date }).when(tKey(4)),
	guidKey("GUID", func(x *tItem) *guid.GUID { return &x.G }).omitZero(),
	boolKey("ON", func(x *tItem) *bool { return &x.On }).omitZero(),
	bytesKey("RAW", func(x *tItem) *[]byte { return &x.Raw }).omitZero(),
	flagsKey("FLAGS", func(x *tItem) *[]string { return &x.Flags }).omitZero(),
	strsKey("NAMES", func(x *tItem) *[]string { return &x.Names }).omitZero(),
	guidsKey("GUIDS", func(x *tItem) *[]guid.GUID { return &x.GUIDs }).omitZero(),
	u32sKey("UIDS", func(x *tItem) *[]uint32 { return &x.UIDs }).omitZero(),
	strKey("OPT", func(x *tItem) *string { return &x.Opt }).omitZero(),
	itemsKey("SUBS", func(x *tItem) *[]tSub { return &x.Subs }, tSubTable).omitZero(),
)

func tParse(t *testing.T, tb *table[tItem], text string) (*tItem, error) {
	t.Helper()
	v, err := dlist.Unmarshal([]byte(text), nil)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return parse(tb, v)
}

func tEncode(t *testing.T, x *tItem) string {
	t.Helper()
	b, err := dlist.Marshal(tTable.encode(x, nil))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTableKinds reads every kind and writes it back byte for byte.
func TestTableKinds(t *testing.T) {
	line := "%(NAME n TYPE NIL N 7 BIG 18446744073709551615 DATE 18446744073709551615 GUID " + testGUID1.String() +
		" ON 1 RAW {3}\r\na\x00b FLAGS (\\Seen $X) NAMES (a \"b c\") GUIDS (" + testGUID2.String() + ") UIDS (1 4294967295)" +
		" OPT o SUBS (%(K x) %(K y)))"
	x, err := tParse(t, tTable, line)
	if err != nil {
		t.Fatal(err)
	}
	want := &tItem{Name: "n", N: 7, Big: 1<<64 - 1, Date: -1, G: testGUID1, On: true, Raw: []byte("a\x00b"),
		Flags: []string{`\Seen`, "$X"}, Names: []string{"a", "b c"}, GUIDs: []guid.GUID{testGUID2},
		UIDs: []uint32{1, 1<<32 - 1}, Opt: "o", Subs: []tSub{{K: "x"}, {K: "y"}}, Has: 1 | 2 | 4, Nils: 1}
	if !reflect.DeepEqual(x, want) {
		t.Errorf("parsed\n got %+v\nwant %+v", x, want)
	}
	if got := tEncode(t, x); got != line {
		t.Errorf("re-encoded\n got %q\nwant %q", got, line)
	}
	// Zero values: omitZero keys and absent optional keys are not sent;
	// empty lists that came are (non-nil), NIL of a plain string is "".
	x, err = tParse(t, tTable, "%(NAME NIL N 0 FLAGS () SUBS ())")
	if err != nil {
		t.Fatal(err)
	}
	if x.Name != "" || x.Flags == nil || x.Subs == nil || x.Has != 0 {
		t.Errorf("zero values %+v", x)
	}
	if got := tEncode(t, x); got != `%(NAME "" N 0 FLAGS () SUBS ())` {
		t.Errorf("zero values re-encoded %q", got)
	}
}

// TestTableErrors checks that a missing required key and a value of the
// wrong kind give a *FieldError naming the item and the key.
func TestTableErrors(t *testing.T) {
	for _, c := range []struct {
		line, key string
		missing   bool
	}{
		{"%(N 1)", "NAME", true},
		{"%(NAME n)", "N", true},
		{"%(NAME n N 1 SUBS (%()))", "SUBS", true}, // inner K missing
		{"%(NAME (a) N 1)", "NAME", false},
		{"%(NAME n N x)", "N", false},
		{"%(NAME n N 4294967296)", "N", false},
		{"%(NAME n N 1 BIG -1)", "BIG", false},
		{"%(NAME n N 1 DATE ())", "DATE", false},
		{"%(NAME n N 1 GUID 12)", "GUID", false},
		{"%(NAME n N 1 ON x)", "ON", false},
		{"%(NAME n N 1 FLAGS a)", "FLAGS", false},
		{"%(NAME n N 1 FLAGS (\"a b\"))", "FLAGS", false},
		{"%(NAME n N 1 NAMES ((a)))", "NAMES", false},
		{"%(NAME n N 1 GUIDS (zz))", "GUIDS", false},
		{"%(NAME n N 1 UIDS (1 x))", "UIDS", false},
		{"%(NAME n N 1 SUBS (a))", "SUBS", false},
		{"%(NAME n N 1 SUBS (%(K (a))))", "SUBS", false},
	} {
		_, err := tParse(t, tTable, c.line)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Item != "ITEM" || fe.Key != c.key {
			t.Errorf("%s: error %v, want a FieldError for ITEM key %s", c.line, err, c.key)
			continue
		}
		var mk *dlist.MissingKeyError
		var te *dlist.TypeError
		switch {
		case c.missing && !errors.As(err, &mk):
			t.Errorf("%s: %v is not a missing key", c.line, err)
		case !c.missing && !errors.As(err, &te):
			t.Errorf("%s: %v is not a type error", c.line, err)
		}
	}
	if _, err := tParse(t, tTable, "(a b)"); err == nil || err.Error() != "protocol: ITEM: dlist: want kvlist, got list" {
		t.Errorf("not a kvlist: %v", err)
	}
	// The error inside a nested item names both.
	_, err := tParse(t, tTable, "%(NAME n N 1 SUBS (%(K a) %(L b)))")
	if err == nil || !strings.Contains(err.Error(), "ITEM: key SUBS: protocol: SUB: key K: dlist: missing key") {
		t.Errorf("nested: %v", err)
	}
}

// TestTableUnknownAndDuplicateKeys checks that unknown keys and
// duplicates are kept and put back after the known key they followed, and
// that the first of duplicate keys wins.
func TestTableUnknownAndDuplicateKeys(t *testing.T) {
	for _, c := range []struct {
		line  string
		extra string // After>KEY=value …
		out   string // "" = line
	}{
		{"%(A 1 NAME n N 1)", ">A=1", ""},
		{"%(NAME n A 1 B 2 N 1 C 3)", "NAME>A=1 NAME>B=2 N>C=3", ""},
		{"%(NAME first N 1 NAME second)", "N>NAME=second", ""},
		// After a key that is not sent again (OPT "" is omitted), an
		// Extra goes at the end.
		{"%(NAME n N 1 OPT \"\" X 1 BIG 2)", "OPT>X=1", "%(NAME n N 1 BIG 2 X 1)"},
		// Keys out of table order are sent in table order; an unknown key
		// stays after the known key it followed.
		{"%(N 1 X 1 NAME n)", "N>X=1", "%(NAME n N 1 X 1)"},
	} {
		x, err := tParse(t, tTable, c.line)
		if err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		var extra []string
		for _, e := range x.Extra {
			extra = append(extra, e.After+">"+e.Key+"="+e.Value.String())
		}
		if got := strings.Join(extra, " "); got != c.extra {
			t.Errorf("%s: extras %q, want %q", c.line, got, c.extra)
		}
		if x.Name != "first" && x.Name != "n" {
			t.Errorf("%s: NAME %q, want the first", c.line, x.Name)
		}
		want := c.out
		if want == "" {
			want = c.line
		}
		if got := tEncode(t, x); got != want {
			t.Errorf("%s: re-encoded %q, want %q", c.line, got, want)
		}
	}
}

// TestTableDerived checks requiring and relaxing, which copy the table.
func TestTableDerived(t *testing.T) {
	strict := tTable.requiring("OPT")
	loose := tTable.relaxing("NAME")
	if _, err := tParse(t, strict, "%(NAME n N 1)"); err == nil || !strings.Contains(err.Error(), "key OPT") {
		t.Errorf("requiring: %v", err)
	}
	if _, err := tParse(t, loose, "%(N 1)"); err != nil {
		t.Errorf("relaxing: %v", err)
	}
	if _, err := tParse(t, tTable, "%(N 1)"); err == nil {
		t.Errorf("relaxing changed the original table")
	}
}

// TestTableDeclarationChecks checks the declarations newTable refuses.
func TestTableDeclarationChecks(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	extra := func(s *tSub) *[]Extra { return &s.Extra }
	mustPanic("NIL-able without a record", func() {
		newTable("X", extra, nilStrKey("K", func(s *tSub) *string { return &s.K }))
	})
	mustPanic("65 keys", func() {
		fields := make([]field[tSub], 65)
		for i := range fields {
			fields[i] = strKey("K", func(s *tSub) *string { return &s.K })
		}
		newTable("X", extra, fields...)
	})
	mustPanic("unknown key", func() { tTable.requiring("NOPE") })
}

// TestQuotaVocabularies checks QUOTA's wire view: LIMIT then each
// resource key overriding, an RFC 9208 name preferred to the legacy one
// whichever comes first, RFC9208 set when one came.
func TestQuotaVocabularies(t *testing.T) {
	for _, c := range []struct {
		line   string
		limits [4]int64
		rfc    bool
	}{
		{"%(ROOT r)", [4]int64{-1, -1, -1, -1}, false},
		{"%(ROOT r LIMIT 4294967295)", [4]int64{-1, -1, -1, -1}, false},
		{"%(ROOT r LIMIT 5)", [4]int64{5, -1, -1, -1}, false},
		{"%(ROOT r LIMIT 5 STORAGE 6 MESSAGE 7)", [4]int64{6, 7, -1, -1}, false},
		{"%(ROOT r X-ANNOTATION-STORAGE 1 ANNOTATION-STORAGE 2 X-NUM-FOLDERS 3)", [4]int64{-1, -1, 2, 3}, true},
		{"%(ROOT r MAILBOX 4 X-NUM-FOLDERS 3 X-ANNOTATION-STORAGE 1)", [4]int64{-1, -1, 1, 4}, true},
	} {
		v, err := dlist.Unmarshal([]byte(c.line), nil)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParseQuota(v)
		if err != nil || q.Limits != c.limits || q.RFC9208 != c.rfc {
			t.Errorf("%s: %+v, %v; want limits %v, RFC9208 %v", c.line, q, err, c.limits, c.rfc)
		}
	}
}
