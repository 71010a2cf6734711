package dlist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// TestAStringRule checks the atom / quoted / literal choice of
// prot_printastring.
//
// cyrus: lib/prot.c prot_printastring, prot_printstring; lib/imparse.c
// imparse_isnatom (3.6.1)
func TestAStringRule(t *testing.T) {
	tests := []struct{ in, server, client string }{
		{"", `""`, `""`},
		{"NIL", `"NIL"`, `"NIL"`},
		{"abc", "abc", "abc"},
		{"user.cassandane.#sieve", "user.cassandane.#sieve", ""},
		{"/vendor/cmu/cyrus-imapd/savedate", "/vendor/cmu/cyrus-imapd/savedate", ""},
		{"$Label1", "$Label1", ""},
		{"a b", `"a b"`, ""},
		{"a\tb\t", "\"a\tb\t\"", ""},
		{"\x1f", "\x1f", ""},
		{"\x1e", "\"\x1e\"", ""},
		{"\x7f", "\"\x7f\"", ""},
		{"a*b", `"a*b"`, ""},
		{"a{b", `"a{b"`, ""},
		{"a(b)", `"a(b)"`, ""},
		{"a%b", "{3}\r\na%b", "{3+}\r\na%b"},
		{`\Sent`, "{5}\r\n\\Sent", "{5+}\r\n\\Sent"},
		{`a"b`, "{3}\r\na\"b", "{3+}\r\na\"b"},
		{"a\r\nb", "{4}\r\na\r\nb", "{4+}\r\na\r\nb"},
		{"a\x00b", "{3}\r\na\x00b", "{3+}\r\na\x00b"},
		{"caf\xc3\xa9", "{5}\r\ncaf\xc3\xa9", "{5+}\r\ncaf\xc3\xa9"},
		{strings.Repeat("a", 1023), strings.Repeat("a", 1023), ""},
		{strings.Repeat("a", 1024), "{1024}\r\n" + strings.Repeat("a", 1024), "{1024+}\r\n" + strings.Repeat("a", 1024)},
		{strings.Repeat("a ", 511) + "a", `"` + strings.Repeat("a ", 511) + `a"`, ""},
		{strings.Repeat("a ", 512), "{1024}\r\n" + strings.Repeat("a ", 512), "{1024+}\r\n" + strings.Repeat("a ", 512)},
	}
	for _, tc := range tests {
		if got := string(AppendAString(nil, tc.in, false)); got != tc.server {
			t.Errorf("server AppendAString(%.40q) = %.60q, want %.60q", tc.in, got, tc.server)
		}
		client := tc.client
		if client == "" {
			client = tc.server
		}
		if got := string(AppendAString(nil, tc.in, true)); got != client {
			t.Errorf("client AppendAString(%.40q) = %.60q, want %.60q", tc.in, got, client)
		}
		// Whatever the form, it reads back as the same string.
		v, err := Unmarshal([]byte(tc.server), nil)
		if err != nil || v.Kind() != KindString || v.Text() != tc.in {
			t.Errorf("Unmarshal(%.60q) = %#v, %v", tc.server, v, err)
		}
	}
}

func TestEncodeScalars(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{Nil(), "NIL"},
		{Value{}, "NIL"},
		{Flag(`\Seen`), `\Seen`},
		{Flag("$Label1"), "$Label1"},
		{Uint64(math.MaxUint64), "18446744073709551615"},
		{Uint32(math.MaxUint32), "4294967295"},
		{Uint64(0), "0"},
		{Hex64(0x1a), "000000000000001a"},
		{Hex64(math.MaxUint64), "ffffffffffffffff"},
		{GUID([20]byte{0xde, 0xad, 19: 0x01}), "dead000000000000000000000000000000000001"},
		{Date(time.Unix(1795446242, 0)), "1795446242"},
		{Date(time.Unix(-1, 0)), "18446744073709551615"},
		{Bytes([]byte("x y")), `"x y"`},
		{List(), "()"},
		{KVList(), "%()"},
		{List(s("a"), Nil(), List(), KVList(KV{"K", s("")})), `(a NIL () %(K ""))`},
		{KVList(KV{"NIL", Nil()}, KV{"", s("v")}, KV{"a b", Flag(`\Seen`)}), `%("NIL" NIL "" v "a b" \Seen)`},
	}
	for _, tc := range tests {
		got, err := Marshal(tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("Marshal(%#v) = %q, %v; want %q", tc.v, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "a b", "NIL", "{3}", "%x", "(a", `"x"`, "a\x00"} {
		if _, err := Marshal(List(Flag(bad))); !errors.Is(err, ErrBadFlag) {
			t.Errorf("Flag(%q): %v, want ErrBadFlag", bad, err)
		}
	}
	if _, err := Marshal(KVList(KV{"a\x00", Nil()})); !errors.Is(err, ErrBadKey) {
		t.Errorf("NUL in key: %v", err)
	}
	if err := NewEncoder(io.Discard, nil).EncodeItem("\x00", Nil()); !errors.Is(err, ErrBadKey) {
		t.Errorf("NUL in item key: %v", err)
	}
	if err := NewEncoder(io.Discard, nil).Encode(List(KVList(KV{"\x00", Nil()}))); !errors.Is(err, ErrBadKey) {
		t.Errorf("NUL in nested key: %v", err)
	}
	if err := NewEncoder(io.Discard, nil).WriteFileLiteral("p", "xyz", 0, nil); err == nil {
		t.Error("bad GUID accepted")
	}
	if err := NewEncoder(io.Discard, nil).WriteFileLiteral("p", sha1hex(""), -1, nil); err == nil {
		t.Error("negative size accepted")
	}
	if _, err := Marshal(List(FileLiteral("p", sha1hex(""), 0, strings.NewReader("")))); !errors.Is(err, ErrFileInAppend) {
		t.Errorf("Marshal of a file literal: %v", err)
	}
}

func TestEncoderFiles(t *testing.T) {
	msg := "Subject: x\r\n\r\nhi\r\n"
	guid := sha1hex(msg)
	files := map[string]string{guid: msg}
	src := func(part, g string, size int64) (io.Reader, error) {
		c, ok := files[g]
		if !ok {
			return nil, fmt.Errorf("gone: %w", ErrSkipFile)
		}
		return strings.NewReader(c), nil
	}
	v := List(
		FileLiteral("default", strings.ToUpper(guid), int64(len(msg)), nil),
		FileLiteral("default", sha1hex("missing"), 7, nil),
		FileLiteral("p2", guid, int64(len(msg)), strings.NewReader(msg)),
	)
	var buf bytes.Buffer
	enc := NewEncoder(&buf, &EncodeOptions{File: src, NonSyncLiterals: true, VerifyFiles: true})
	if err := enc.EncodeItem("MESSAGE", v); err != nil {
		t.Fatal(err)
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	n := itoa(len(msg))
	want := "MESSAGE (%{default " + guid + " " + n + "}\r\n" + msg + " NIL %{p2 " + guid + " " + n + "}\r\n" + msg + ")"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}

	// Short body: error after the header.
	enc = NewEncoder(io.Discard, nil)
	err := enc.Encode(FileLiteral("p", guid, 100, strings.NewReader(msg)))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short body: %v", err)
	}
	// Wrong content with VerifyFiles.
	enc = NewEncoder(io.Discard, &EncodeOptions{VerifyFiles: true})
	var me *GUIDMismatchError
	if err := enc.WriteFileLiteral("p", sha1hex("x"), int64(len(msg)), strings.NewReader(msg)); !errors.As(err, &me) {
		t.Errorf("VerifyFiles: %v", err)
	}
	// No Body and no FileSource.
	if err := NewEncoder(io.Discard, nil).Encode(FileLiteral("p", guid, 1, nil)); err == nil {
		t.Error("file literal without a source accepted")
	}
	// Only size bytes are copied from a longer body.
	buf.Reset()
	enc = NewEncoder(&buf, nil)
	if err := enc.WriteFileLiteral("p", sha1hex("ab"), 2, strings.NewReader("abcdef")); err != nil {
		t.Fatal(err)
	}
	enc.Flush()
	if buf.String() != "%{p "+sha1hex("ab")+" 2}\r\nab" {
		t.Errorf("got %q", buf.String())
	}
}

// TestRoundTripValues builds values in memory, encodes them both ways and
// decodes them back.
func TestRoundTripValues(t *testing.T) {
	var rec Value
	rec.Append("UID", Uint32(7))
	rec.Append("MODSEQ", Uint64(1<<40))
	// Cyrus builds "$Label1" as a FLAG, but it is read back as a string.
	rec.Append("FLAGS", List(Flag(`\Seen`), s("$Label1")))
	rec.Append("GUID", GUID([20]byte{1, 2, 3}))
	rec.Append("ANNOTATIONS", List(KVList(
		KV{"ENTRY", s("/comment")}, KV{"USERID", s("")}, KV{"MODSEQ", Uint64(4)},
		KV{"VALUE", s("multi\r\nline \x00 binary % value")})))
	rec.Append("X-UNKNOWN", KVList(KV{"deep", List(List(List(Nil())))}))
	for _, nonSync := range []bool{false, true} {
		b, err := AppendValue(nil, rec, nonSync)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Unmarshal(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !Equal(back, rec) {
			t.Errorf("nonSync=%v: %q did not round-trip", nonSync, b)
		}
		// Flags come back as flags only when they start with "\".
		fl, _ := back.GetList("FLAGS")
		if fl[0].Kind() != KindFlag || fl[1].Kind() != KindString {
			t.Errorf("flags came back as %v %v", fl[0].Kind(), fl[1].Kind())
		}
	}
}
