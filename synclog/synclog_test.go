package synclog

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		it   Item
		want string
	}{
		{User("fred"), "USER fred\n"},
		{Mailbox("user.fred.2nd level with spaces"), "MAILBOX \"user.fred.2nd level with spaces\"\n"},
		{Mailbox(`user.fred.a"b`), "MAILBOX \"user.fred.a\\\"b\"\n"},
		{Mailbox("user.fred.{x}"), "MAILBOX \"user.fred.\\{x\\}\"\n"},
		{Annotation(""), "ANNOTATION \"\"\n"},
		{Annotation(`a\b`), "ANNOTATION \"a\\\\b\"\n"},
		{Mailbox("user.fred.(x)\ty"), "MAILBOX \"user.fred.(x)\ty\"\n"},
		{Mailbox("user.fred.caf\xc3\xa9%*"), "MAILBOX user.fred.caf\xc3\xa9%*\n"},
		{Seen("fred", "4b7f2b5a-uid"), "SEEN fred 4b7f2b5a-uid\n"},
		{Sub("fred", "user.fred.a b"), "SUB fred \"user.fred.a b\"\n"},
		{Rename("user.a.x", "user.a.y z"), "RENAME user.a.x \"user.a.y z\"\nMAILBOX user.a.x\nMAILBOX \"user.a.y z\"\n"},
		{DoubleMailbox("user.a", "user.b"), "DOUBLEMAILBOX user.a user.b\n"},
	} {
		got, err := tc.it.Format()
		if err != nil || string(got) != tc.want {
			t.Errorf("%v: got %q, %v; want %q", tc.it, got, err, tc.want)
		}
	}
	if _, err := Mailbox("a\nb").Format(); !errors.Is(err, ErrLineBreak) {
		t.Errorf("LF: %v", err)
	}
	if _, err := Mailbox(strings.Repeat("a", 1023)).Format(); err != nil {
		t.Errorf("1023 bytes fit: %v", err)
	}
	if _, err := Mailbox(strings.Repeat("a", 1024)).Format(); !errors.Is(err, ErrWordTooLong) {
		t.Errorf("1024 bytes: %v", err)
	}
	if _, err := Mailbox(strings.Repeat(`\`, 512)).Format(); !errors.Is(err, ErrWordTooLong) {
		t.Errorf("escapes count: %v", err)
	}
}

func TestRaw(t *testing.T) {
	for in, want := range map[string]string{
		"MAILBOX x":      "MAILBOX x\n",
		"X\n":            "X\n",
		"a %x %% b":      "a x % b\n",
		"keep %s and %d": "keep %s and %d\n",
		"trailing %":     "trailing \n",
	} {
		if got := string(Raw(in)); got != want {
			t.Errorf("Raw(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Raw(strings.Repeat("r", 5000)); len(got) != 4097 || got[4096] != '\n' {
		t.Errorf("long raw line: %d bytes", len(got))
	}
}

func parseAll(t *testing.T, s string) ([]Item, []*Malformed) {
	t.Helper()
	var bad []*Malformed
	items, err := ReadAll(NewParser(strings.NewReader(s), "log"), func(m *Malformed) { bad = append(bad, m) })
	if err != nil {
		t.Fatal(err)
	}
	return items, bad
}

func TestParse(t *testing.T) {
	items, bad := parseAll(t, "USER fred\n"+
		"\n\r\n"+ // blank lines
		"mailbox \"user.fred.a b\"\r\n"+ // lower-case type, CRLF
		"SEEN fred {5}\r\nab\ncd\n"+ // a literal spanning lines
		"SUB fred \"user.fred.\\{x\\}\"\n"+
		"MAILBOX \"unterminated\n"+ // Cyrus drops the rest of the file here
		"USER \n"+ // missing argument
		"QUOTA a b c\n"+ // garbage at the end
		"(bad\n"+ // invalid input
		"USER\n"+ // no argument at all
		"ANNOTATION \"\"\n"+
		"DOUBLEMAILBOX user.a user.b\n"+
		"MAILBOX {3+}\r\nabc\n"+ // Cyrus cannot read a non-synchronising literal
		"USER torn") // no LF: a torn last line
	want := []string{"USER fred", "MAILBOX \"user.fred.a b\"", "SEEN fred ab\ncd", "SUB fred \"user.fred.\\{x\\}\"",
		"ANNOTATION \"\"", "DOUBLEMAILBOX user.a user.b"}
	var got []string
	for _, it := range items {
		got = append(got, it.String())
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("items:\n got  %q\n want %q", got, want)
	}
	wantBad := []int{9, 10, 11, 12, 13, 16, 17, 18}
	if len(bad) != len(wantBad) {
		t.Fatalf("malformed: %v", bad)
	}
	for i, m := range bad {
		if m.Line != wantBad[i] || m.File != "log" || m.Content == "" {
			t.Errorf("malformed %d: %+v, want line %d", i, m, wantBad[i])
		}
	}
}

// TestQuoteRoundTrip: whatever the writer writes, the reader reads back.
func TestQuoteRoundTrip(t *testing.T) {
	names := []string{"user.fred", "a b", `a"b`, `a\b`, "{}", "()", "\t", "", "caf\xc3\xa9", "x{3+}", "NIL"}
	var b strings.Builder
	for _, n := range names {
		line, err := Sub("u", n).Format()
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
	}
	items, bad := parseAll(t, b.String())
	if len(bad) != 0 || len(items) != len(names) {
		t.Fatalf("items %v bad %v", items, bad)
	}
	for i, it := range items {
		if it.Arg(1) != names[i] {
			t.Errorf("%q read back as %q", names[i], it.Arg(1))
		}
	}
}

func testConfig(t *testing.T, lines string) *conf.Config {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "imapd.conf")
	os.WriteFile(p, []byte("configdirectory: "+dir+"\n"+lines), 0o644)
	c, err := conf.Load(p, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWriterChannelsAndSuppression(t *testing.T) {
	c := testConfig(t, "sync_log: 1\nsync_log_channels: \"\" squatter backup\n")
	w := NewWriter(c, nil)
	ctx := context.Background()
	w.Log(ctx, User("a"))
	w.Suppress()
	w.Log(ctx, User("b")) // only squatter is unsuppressable by default
	w.LogChannel(ctx, "backup", Mailbox("user.c"))
	read := func(ch string) string {
		b, _ := os.ReadFile(LogPath(w.Dir, ch))
		return string(b)
	}
	if got := read(""); got != "USER a\n" {
		t.Errorf("default: %q", got)
	}
	if got := read("squatter"); got != "USER a\nUSER b\n" {
		t.Errorf("squatter: %q", got)
	}
	if got := read("backup"); got != "USER a\nMAILBOX user.c\n" {
		t.Errorf("backup: %q", got)
	}
	off := NewWriter(testConfig(t, "sync_log: 0\n"), nil)
	off.Log(ctx, User("x"))
	if _, err := os.Stat(LogPath(off.Dir, "")); !os.IsNotExist(err) {
		t.Error("sync_log off wrote a file")
	}
	off.LogChannel(ctx, "own", User("x")) // direct channel writes bypass the switch
	if _, err := os.Stat(LogPath(off.Dir, "own")); err != nil {
		t.Error("LogChannel must write whatever sync_log says")
	}
}

func TestReaderTakesLogAndKeepsWorkFile(t *testing.T) {
	c := testConfig(t, "sync_log: 1\n")
	w := NewWriter(c, nil)
	ctx := context.Background()
	w.Log(ctx, User("a"))
	r := NewChannelReader(w.Dir, "", nil)
	p, err := r.Begin()
	if err != nil {
		t.Fatal(err)
	}
	w.Log(ctx, User("b")) // goes to a new log, not to log-run
	items, _ := ReadAll(p, nil)
	if len(items) != 1 || items[0].Arg(0) != "a" {
		t.Fatalf("first run: %v", items)
	}
	r.Close() // a failed run: log-run stays
	p, err = r.Begin()
	if err != nil {
		t.Fatal(err)
	}
	items, _ = ReadAll(p, nil)
	if len(items) != 1 || items[0].Arg(0) != "a" {
		t.Fatalf("the leftover log-run must come first: %v", items)
	}
	if err := r.End(); err != nil {
		t.Fatal(err)
	}
	p, _ = r.Begin()
	items, _ = ReadAll(p, nil)
	if len(items) != 1 || items[0].Arg(0) != "b" {
		t.Fatalf("then the live log: %v", items)
	}
	r.End()
	if _, err := r.Begin(); !errors.Is(err, ErrNoLog) {
		t.Fatalf("nothing left: %v", err)
	}
	f := NewFileReader(filepath.Join(t.TempDir(), "missing"), nil)
	if _, err := f.Begin(); err == nil {
		t.Error("a missing named file is an error")
	}
}

func TestBatch(t *testing.T) {
	ns := conf.Namespace{Sep: '/', DefaultDomain: "internal", DeletedPrefix: "DELETED"}
	b := NewBatch(ns)
	in := "MAILBOX user.fred\nAPPEND user.fred\nMAILBOX user.fred.Sent\nMAILBOX shared.x\n" +
		"DOUBLEMAILBOX user.fred user.bob.x\nRENAME user.fred.a user.bob.a\n" +
		"SEEN fred uid1\nSEEN bob uid2\nSUB fred user.fred\nSUB carol user.carol\nUNSUB carol user.carol\n" +
		"META carol\nUSER bob\nUSER dave\nUNUSER dave\nMETA dave\nQUOTA user.fred\nQUOTA user.fred\n" +
		"ANNOTATION \"\"\nUNMAILBOX user.x\nACL user.fred\n"
	items, bad := parseAll(t, in)
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	var unknown []string
	for _, it := range items {
		var u *UnknownTypeError
		if err := b.Add(it); errors.As(err, &u) {
			unknown = append(unknown, u.Type)
		}
	}
	b.RemoveRedundant()
	check := func(name string, got []string, want string) {
		if strings.Join(got, ",") != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	check("unknown", unknown, "ACL")
	check("groups", b.Groups(), ",bob,fred")
	check("fred", b.Mailboxes["fred"], "user.fred,user.fred.Sent,user.bob.x,user.fred.a,user.bob.a")
	check("bob", b.Mailboxes["bob"], "user.fred.a,user.bob.a")
	check("shared", b.Mailboxes[""], "shared.x")
	check("users", b.Users, "bob")         // dave: UNUSER trumps USER
	check("unusers", b.Unusers, "dave")    //
	check("metas", b.Metas, "carol")       // dave's META removed by UNUSER
	check("quotas", b.Quotas, "user.fred") // de-duplicated
	var seen, subs []string
	for _, s := range b.Seen {
		seen = append(seen, s.UserID+":"+s.Name)
	}
	for _, s := range b.Subs {
		subs = append(subs, s.UserID+":"+s.Name)
	}
	check("seen", seen, "fred:uid1")        // bob's removed by USER bob
	check("subs", subs, "fred:user.fred")   // carol's removed by META carol
	check("annotations", b.Annotations, "") // the server item
}

// FuzzParse feeds arbitrary bytes to the sync log parser: no panic, every
// item has a type and one or two arguments, and each one formats to a line
// the parser reads back as the same item.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"USER fred\nMAILBOX \"user.fred.a b\"\n",
		"SEEN fred {5}\r\nab\ncd\r\n",
		"MAILBOX {3+}\r\nabc\n",
		"RENAME user.a user.b\nMAILBOX user.a\nMAILBOX user.b\n",
		"MAILBOX \"unterminated\nUSER x\n",
		"APPEND user.cassandane\nDOUBLEMAILBOX user.cassandane user.cassandane.Archive\nSUB cassandane user.cassandane.Archive\n",
		"QUOTA a b c\n(\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewParser(strings.NewReader(string(data)), "fuzz")
		p.MaxWord = 4096
		for i := 0; ; i++ {
			it, err := p.Next()
			if err == io.EOF {
				return
			}
			var m *Malformed
			if errors.As(err, &m) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if it.Type == "" || len(it.Args) < 1 || len(it.Args) > 2 {
				t.Fatalf("bad item %#v", it)
			}
			line, ferr := it.Format()
			if ferr != nil {
				continue // CR/LF or over-long names cannot be written back
			}
			back, err := NewParser(strings.NewReader(string(line)), "").Next()
			if err != nil || back.String() != it.String() {
				t.Fatalf("%q read back as %q (%v)", line, back, err)
			}
		}
	})
}
