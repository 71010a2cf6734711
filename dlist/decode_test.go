package dlist

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

func sha1hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func s(v string) Value { return String(v) }

// TestDecodeProductions decodes one example per production and edge case
// and checks the value; then re-encodes it and checks the canonical form.
func TestDecodeProductions(t *testing.T) {
	tests := []struct {
		name, in string
		want     Value
		form     Form
		canon    string // expected server-side re-encoding; "" = same as in
	}{
		{"nil", "NIL", Nil(), FormAtom, ""},
		{"quoted NIL is a string", `"NIL"`, s("NIL"), FormQuoted, ""},
		{"literal NIL is a string", "{3}\r\nNIL", s("NIL"), FormLiteral, `"NIL"`},
		{"literal+ ", "{3+}\r\nabc", s("abc"), FormLiteralPlus, "abc"},
		{"nil lower case is an atom", "nil", s("nil"), FormAtom, ""},
		{"NILS is an atom", "NILS", s("NILS"), FormAtom, ""},
		{"atom", "user.cassandane.#sieve", s("user.cassandane.#sieve"), FormAtom, ""},
		{"atom with 0x1f", "user\x1falice\x1fSent", s("user\x1falice\x1fSent"), FormAtom, ""},
		{"atom with specials", "a{b%c*d\\e", s("a{b%c*d\\e"), FormAtom, "{9}\r\na{b%c*d\\e"},
		{"number", "1795446242", s("1795446242"), FormAtom, ""},
		{"64-bit number", "18446744073709551615", s("18446744073709551615"), FormAtom, ""},
		{"empty string", `""`, s(""), FormQuoted, ""},
		{"quoted with tab", "\"cassandane\tlrswipkxtecdan\t\"", s("cassandane\tlrswipkxtecdan\t"), FormQuoted, ""},
		{"quoted escapes", `"a\"b\\c\d"`, s(`a"b\cd`), FormQuoted, "{6}\r\na\"b\\cd"},
		{"quoted space", `"a b"`, s("a b"), FormQuoted, ""},
		{"8-bit atom", "caf\xc3\xa9", s("caf\xc3\xa9"), FormAtom, "{5}\r\ncaf\xc3\xa9"},
		{"8-bit quoted", "\"caf\xc3\xa9 x\"", s("caf\xc3\xa9 x"), FormQuoted, "{7}\r\ncaf\xc3\xa9 x"},
		{"literal with CRLF inside", "{4}\r\na\r\nb", s("a\r\nb"), FormLiteral, ""},
		{"literal with NUL", "{3}\r\na\x00b", s("a\x00b"), FormLiteral, ""},
		{"empty literal", "{0}\r\n", s(""), FormLiteral, `""`},
		{"flag", `\Seen`, Flag(`\Seen`), FormAtom, ""},
		{"bare backslash flag", `\`, Flag(`\`), FormAtom, ""},
		{"empty list", "()", List(), FormNone, ""},
		{"empty kvlist", "%()", KVList(), FormNone, ""},
		{"flags list", `(\Seen $Label1)`, List(Flag(`\Seen`), s("$Label1")), FormNone, ""},
		{"nested lists", "((a) () (b (c)))", List(List(s("a")), List(), List(s("b"), List(s("c")))), FormNone, ""},
		{"lenient separators", "( a\t\r\n b(c)\"d\")", List(s("a"), s("b"), List(s("c")), s("d")), FormNone, "(a b (c) d)"},
		{"kvlist", "%(UID 1 FLAGS () GUID NIL)", KVList(KV{"UID", s("1")}, KV{"FLAGS", List()}, KV{"GUID", Nil()}), FormNone, ""},
		{"kvlist key forms", "%(\"a b\" 1 {1}\r\nk 2 NIL 3)", KVList(KV{"a b", s("1")}, KV{"k", s("2")}, KV{"NIL", s("3")}), FormNone, "%(\"a b\" 1 k 2 \"NIL\" 3)"},
		{"kvlist key glued to list", "%(KEY(x))", KVList(KV{"KEY", List(s("x"))}), FormNone, "%(KEY (x))"},
		{"nested kvlists", "%(A %(B %(C 1 D ())) E (%(F \"\")))",
			KVList(KV{"A", KVList(KV{"B", KVList(KV{"C", s("1")}, KV{"D", List()})})}, KV{"E", List(KVList(KV{"F", s("")}))}), FormNone, ""},
		{"duplicate and unknown keys kept in order", "%(Z 1 A 2 Z 3 X-NEW (y))",
			KVList(KV{"Z", s("1")}, KV{"A", s("2")}, KV{"Z", s("3")}, KV{"X-NEW", List(s("y"))}), FormNone, ""},
		{"mailboxes.db I record", "%(T e N user\x1falice\x1fSent2 P default V 1795445368 C 1 F 3 M 1795445687 A %(alice lrswipkxtecdan) H (%(N user\x1falice\x1fSent M 1795445687 V 1795445368 C 1 F 3 T ed)))",
			KVList(KV{"T", s("e")}, KV{"N", s("user\x1falice\x1fSent2")}, KV{"P", s("default")}, KV{"V", s("1795445368")},
				KV{"C", s("1")}, KV{"F", s("3")}, KV{"M", s("1795445687")}, KV{"A", KVList(KV{"alice", s("lrswipkxtecdan")})},
				KV{"H", List(KVList(KV{"N", s("user\x1falice\x1fSent")}, KV{"M", s("1795445687")}, KV{"V", s("1795445368")},
					KV{"C", s("1")}, KV{"F", s("3")}, KV{"T", s("ed")}))}), FormNone, ""},
		{"quota file", "%(S (2693 100000) M (6 1000) AS (59) NF (4) MODSEQ 15)",
			KVList(KV{"S", List(s("2693"), s("100000"))}, KV{"M", List(s("6"), s("1000"))}, KV{"AS", List(s("59"))},
				KV{"NF", List(s("4"))}, KV{"MODSEQ", s("15")}), FormNone, ""},
		{"cyrus.header with NIL flag slot", "%(T e N user.dave I gqqmdttpcufeqgdyewxeyt7x A %(dave lrswipkxtecdan) U (Work NIL Home))",
			KVList(KV{"T", s("e")}, KV{"N", s("user.dave")}, KV{"I", s("gqqmdttpcufeqgdyewxeyt7x")},
				KV{"A", KVList(KV{"dave", s("lrswipkxtecdan")})}, KV{"U", List(s("Work"), Nil(), s("Home"))}), FormNone, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Unmarshal([]byte(tc.in), nil)
			if err != nil {
				t.Fatalf("Unmarshal(%q): %v", tc.in, err)
			}
			if !Equal(v, tc.want) {
				t.Fatalf("Unmarshal(%q) = %#v, want %#v", tc.in, v, tc.want)
			}
			if v.Form() != tc.form {
				t.Errorf("form = %d, want %d", v.Form(), tc.form)
			}
			out, err := Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			canon := tc.canon
			if canon == "" {
				canon = tc.in
			}
			if string(out) != canon {
				t.Errorf("Marshal = %q, want %q", out, canon)
			}
		})
	}
}

// TestDecodeErrors checks that malformed input yields a *SyntaxError.
func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, in, msg string }{
		{"empty input", "", "empty input"},
		{"unterminated list", "(a b", "unexpected end"},
		{"unterminated kvlist", "%(A 1", "unexpected end"},
		{"unknown percent type", "%x", "unknown %-type"},
		{"percent at end", "%", "unexpected end"},
		{"key without value", "%(A)", "expected atom"},
		{"kvlist key is a list", "%((a) 1)", "expected atom"},
		{"unterminated quoted", `"abc`, "unexpected end"},
		{"CR in quoted", "\"a\rb\"", "CR or LF"},
		{"LF in quoted", "\"a\nb\"", "CR or LF"},
		{"NUL in quoted", "\"a\x00b\"", "NUL"},
		{"escaped NUL in quoted", "\"a\\\x00b\"", "NUL"},
		{"NUL in atom", "a\x00b", "NUL"},
		{"NUL starts atom", "\x00", "NUL"},
		{"NUL in literal key", "%({3}\r\na\x00b 1)", "NUL"},
		{"literal needs CRLF", "{3}\nabc", "expected CR, got LF"},
		{"literal needs }", "{3+x\r\nabc", "expected '}'"},
		{"literal without digits", "{}\r\n", "expected digits"},
		{"short literal", "{5}\r\nab", "unexpected end"},
		{"trailing bytes", "a b", "trailing"},
		{"trailing paren", "(a))", "trailing"},
		{"close paren", ")", "expected atom"},
		{"space", " a", "expected atom"},
		{"file literal bad guid", "%{default 1234 3}\r\nabc", "not 40 hex"},
		{"file literal two spaces", "%{default  " + sha1hex("abc") + " 3}\r\nabc", "expected atom"},
		{"file literal no LF", "%{default " + sha1hex("abc") + " 3}\rabc", "expected LF, got 'a'"},
		{"file literal size", "%{default " + sha1hex("abc") + " x}\r\nabc", "expected digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(bufio.NewReader(strings.NewReader(tc.in)), &DecodeOptions{
				File: func(p, g string, n int64, r io.Reader) error { return nil },
			})
			_, err := d.ReadValue()
			if err == nil {
				err = d.ReadLineEnd()
				if err != nil && strings.Contains(tc.msg, "trailing") {
					return // the Decoder leaves trailing bytes to the caller
				}
			}
			if tc.in == "" {
				if err != io.EOF {
					t.Fatalf("ReadValue on empty input: %v, want io.EOF", err)
				}
				_, err = Unmarshal(nil, nil)
			}
			if strings.Contains(tc.msg, "trailing") {
				_, err = Unmarshal([]byte(tc.in), nil)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: error %v (%T), want *SyntaxError", tc.in, err, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%q: error %q does not mention %q", tc.in, err, tc.msg)
			}
		})
	}
}

func TestReadItem(t *testing.T) {
	d := NewDecoder(bufio.NewReader(strings.NewReader(
		"MAILBOX %(A 1)\r\nMISSING  (x y)\nUNMAILBOX \"odd name\"\r\nLSUB\r\nX a b\r\n")), nil)
	key, v, err := d.ReadItem()
	if err != nil || key != "MAILBOX" || !Equal(v, KVList(KV{"A", s("1")})) {
		t.Fatalf("item 1: %q %#v %v", key, v, err)
	}
	if err := d.ReadLineEnd(); err != nil {
		t.Fatal(err)
	}
	key, v, err = d.ReadItem()
	if err != nil || key != "MISSING" || !Equal(v, List(s("x"), s("y"))) {
		t.Fatalf("item 2: %q %#v %v", key, v, err)
	}
	if err := d.ReadLineEnd(); err != nil { // bare LF accepted
		t.Fatal(err)
	}
	key, v, err = d.ReadItem()
	if err != nil || key != "UNMAILBOX" || !Equal(v, s("odd name")) {
		t.Fatalf("item 3: %q %#v %v", key, v, err)
	}
	if err := d.ReadLineEnd(); err != nil {
		t.Fatal(err)
	}
	if _, _, err = d.ReadItem(); err == nil || !strings.Contains(err.Error(), "missing value") {
		t.Fatalf("item without value: %v", err)
	}
	d.r.ReadString('\n')
	if _, _, err = d.ReadItem(); err != nil {
		t.Fatal(err)
	}
	if err := d.ReadLineEnd(); err == nil {
		t.Fatal("second value on the line accepted")
	}
	d.r.ReadString('\n')
	if _, _, err = d.ReadItem(); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

func TestLiteralPolicy(t *testing.T) {
	for _, tc := range []struct {
		policy  LiteralPolicy
		in      string
		wantErr error
	}{
		{AcceptAllLiterals, "({1}\r\na {1+}\r\nb)", nil},
		{RejectSyncLiterals, "({1+}\r\na)", nil},
		{RejectSyncLiterals, "({1}\r\na)", ErrSyncLiteral},
		{RejectNonSyncLiterals, "({1}\r\na)", nil},
		{RejectNonSyncLiterals, "({1+}\r\na)", ErrNonSyncLiteral},
	} {
		d := NewDecoder(bufio.NewReader(strings.NewReader(tc.in)), &DecodeOptions{Literals: tc.policy})
		_, err := d.ReadValue()
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("policy %d, %q: %v, want %v", tc.policy, tc.in, err, tc.wantErr)
		}
	}
	d := NewDecoder(bufio.NewReader(strings.NewReader("({1}\r\na {1+}\r\nb {2+}\r\ncd \"e\")")), nil)
	v, err := d.ReadValue()
	if err != nil {
		t.Fatal(err)
	}
	if sy, ns := d.LiteralCounts(); sy != 1 || ns != 2 {
		t.Errorf("LiteralCounts = %d, %d; want 1, 2", sy, ns)
	}
	forms := []Form{FormLiteral, FormLiteralPlus, FormLiteralPlus, FormQuoted}
	for i, it := range v.Items() {
		if it.Form() != forms[i] {
			t.Errorf("item %d form %d, want %d", i, it.Form(), forms[i])
		}
	}
}

func TestLimits(t *testing.T) {
	lim := Limits{MaxAtom: 40, MaxQuoted: 10, MaxLiteral: 10, MaxFileSize: 10, MaxDepth: 3, MaxListItems: 3, MaxTotal: 4096}
	guid := sha1hex("0123456789a")
	tests := []struct {
		name, in string
		want     Limit // 0 = no error
	}{
		{"atom at limit", strings.Repeat("a", 40), 0},
		{"atom over limit", strings.Repeat("a", 41), LimitAtom},
		{"flag over limit", `\` + strings.Repeat("a", 40), LimitAtom},
		{"key over limit", "%(" + strings.Repeat("a", 41) + " 1)", LimitAtom},
		{"quoted at limit", `"0123456789"`, 0},
		{"quoted over limit", `"0123456789a"`, LimitQuoted},
		{"quoted escape over limit", `"012345678\9a"`, LimitQuoted},
		{"literal at limit", "{10}\r\n0123456789", 0},
		{"literal over limit", "{11}\r\n0123456789a", LimitLiteral},
		{"huge literal", "{99999999999999999999999999}\r\n", LimitLiteral},
		{"depth at limit", "(((a)))", 0},
		{"depth over limit", "((((a))))", LimitDepth},
		{"kvlist depth", "%(a %(b %(c %(d 1))))", LimitDepth},
		{"items at limit", "(a b c)", 0},
		{"items over limit", "(a b c d)", LimitListItems},
		{"pairs over limit", "%(a 1 b 2 c 3 d 4)", LimitListItems},
		{"file at limit", "%{p " + sha1hex("0123456789") + " 10}\r\n0123456789", 0},
		{"file over limit", "%{p " + guid + " 11}\r\n0123456789a", LimitFileSize},
		{"huge file", "%{p " + guid + " 99999999999999999999999}\r\n", LimitFileSize},
		{"total", "(" + strings.Repeat("((a b) (c)) ", 1) + strings.Repeat("a", 5000) + ")", LimitAtom},
		{"total nodes", "(" + strings.Repeat("(a b c) ", 3) + ")", 0},
		{"whitespace counts", "(a" + strings.Repeat(" ", 5000) + ")", LimitTotal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(bufio.NewReader(strings.NewReader(tc.in)), &DecodeOptions{
				Limits: lim,
				File: func(p, g string, n int64, r io.Reader) error {
					_, err := io.Copy(io.Discard, r)
					return err
				},
			})
			_, err := d.ReadValue()
			var le *LimitError
			switch {
			case tc.want == 0 && err != nil:
				t.Fatalf("%q: %v", tc.in, err)
			case tc.want != 0 && !errors.As(err, &le):
				t.Fatalf("%q: %v, want *LimitError %s", tc.in, err, tc.want)
			case tc.want != 0 && le.Limit != tc.want:
				t.Fatalf("%q: %v, want %s", tc.in, err, tc.want)
			case tc.want != 0 && !strings.Contains(err.Error(), tc.want.String()):
				t.Errorf("message %q does not name %s", err, tc.want)
			}
		})
	}
	// MaxTotal counts nodes too: 1000 empty lists are 2000 bytes but
	// 1000*NodeCost of memory.
	_, err := Unmarshal([]byte("("+strings.Repeat("()", 1000)+")"), &Limits{MaxTotal: 50000})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != LimitTotal {
		t.Errorf("node cost not charged: %v", err)
	}
	// Defaults are those of Cyrus 3.6 for words and quoted strings.
	if d := DefaultLimits(); d.MaxAtom != 131072 || d.MaxQuoted != 131072 || d.MaxFileSize != 1<<32-1 {
		t.Errorf("DefaultLimits = %+v", d)
	}
	if _, err := Unmarshal([]byte(strings.Repeat("a", 200000)), &Limits{MaxAtom: -1}); err != nil {
		t.Errorf("negative limit should mean unlimited: %v", err)
	}
}

type failingReader struct {
	data string
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestReadErrors checks that I/O errors of the underlying reader come back
// wrapped (errors.Is works) and not disguised as syntax errors.
func TestReadErrors(t *testing.T) {
	boom := errors.New("connection reset")
	for _, in := range []string{"%(A (b", "\"abc", "{5}\r\nab", "abc", "%{p " + sha1hex("abc") + " 3}\r\na"} {
		d := NewDecoder(bufio.NewReader(&failingReader{data: in, err: boom}), &DecodeOptions{
			File: func(p, g string, n int64, r io.Reader) error { _, err := io.ReadAll(r); return err },
		})
		_, err := d.ReadValue()
		var se *SyntaxError
		if !errors.Is(err, boom) || errors.As(err, &se) || !strings.Contains(err.Error(), "connection reset") {
			t.Errorf("%q: %v", in, err)
		}
	}
	// Messages of the error types name what matters.
	for _, err := range []error{
		&GUIDMismatchError{Partition: "default", GUID: "aa", Got: "bb"},
		&TypeError{Key: "UID", Want: "uint32", Got: KindList},
		&LimitError{Limit: LimitDepth, Max: 3, Offset: 7},
		&MissingKeyError{Key: "GUID"},
	} {
		if msg := err.Error(); !strings.HasPrefix(msg, "dlist: ") {
			t.Errorf("%T message %q", err, msg)
		}
	}
}

// TestAnnouncedSizesDoNotAllocate checks that a peer announcing a huge
// literal, file literal or list does not make the decoder allocate for it
// before the bytes actually arrive.
func TestAnnouncedSizesDoNotAllocate(t *testing.T) {
	for _, in := range []string{
		"{60000000}\r\nabc",
		"{60000000+}\r\nabc",
		"%{default " + sha1hex("x") + " 4000000000}\r\nabc",
		"(" + strings.Repeat("(", 60) + "a",
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d := NewDecoder(bufio.NewReader(strings.NewReader(in)), &DecodeOptions{
			File: func(p, g string, n int64, r io.Reader) error { _, err := io.Copy(io.Discard, r); return err },
		})
		if _, err := d.ReadValue(); err == nil {
			t.Fatalf("%.30q: no error", in)
		}
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > 2<<20 {
			t.Errorf("%.30q: allocated %d bytes", in, got)
		}
	}
}
