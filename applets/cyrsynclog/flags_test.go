package cyrsynclog

import (
	"reflect"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
)

// TestFlags: the table gives Cyrus 3.6's getopt string and 3.8's long
// options, and every type option writes the item its help names.
func TestFlags(t *testing.T) {
	if err := flags.Check(); err != nil {
		t.Fatal(err)
	}
	// cyrus: imap/cyr_synclog.c main (3.6.1); long_options (3.8.0)
	if got := flags.Optstring(); got != "C:uUvmMacqnsb" {
		t.Errorf("optstring %q", got)
	}
	want := []getopt.Long{{Name: "user", Short: 'u'}, {Name: "unuser", Short: 'U'}, {Name: "sieve", Short: 'v'},
		{Name: "mailbox", Short: 'm'}, {Name: "unmailbox", Short: 'M'}, {Name: "append", Short: 'a'},
		{Name: "acl", Short: 'c'}, {Name: "quota", Short: 'q'}, {Name: "annotation", Short: 'n'},
		{Name: "seen", Short: 's'}, {Name: "subscription", Short: 'b'}}
	if got := flags.Longs(); !reflect.DeepEqual(got, want) {
		t.Errorf("long options:\n got  %v\n want %v", got, want)
	}
	for _, o := range flags.Options {
		typ, ok := itemTypes[o.Short]
		if ok && !containsWord(o.Help, typ) {
			t.Errorf("-%c writes %s; its help says %q", o.Short, typ, o.Help)
		}
	}
}

func containsWord(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i:i+len(w)] == w && (i == 0 || s[i-1] == ' ') && (i+len(w) == len(s) || s[i+len(w)] == ' ') {
			return true
		}
	}
	return false
}
