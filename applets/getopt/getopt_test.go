package getopt

import (
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	longs := []Long{{Name: "user", Short: 'u'}, {Name: "config", Short: 'C'}}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-u", "fred"}, "[u:] [fred] 0"},
		{[]string{"-uv", "fred"}, "[u: v:] [fred] 0"},
		{[]string{"-C/etc/x", "-u", "fred"}, "[C:/etc/x u:] [fred] 0"},
		{[]string{"-C", "/etc/x", "fred", "-u"}, "[C:/etc/x u:] [fred] 0"},
		{[]string{"-uC", "/etc/x"}, "[u: C:/etc/x] [] 0"},
		{[]string{"-x", "fred"}, "[] [fred] 1"},
		{[]string{"-u", "--", "-v"}, "[u:] [-v] 0"},
		{[]string{"-C"}, "[] [] 1"},
		{[]string{"--user", "fred", "--config=/c"}, "[u: C:/c] [fred] 0"},
		{[]string{"--nope"}, "[] [] 1"},
		{[]string{"-"}, "[] [-] 0"},
	} {
		opts, ops, errs := Parse(tc.args, "C:uv", longs)
		var o []string
		for _, x := range opts {
			o = append(o, fmt.Sprintf("%c:%s", x.Name, x.Arg))
		}
		if got := fmt.Sprintf("%v %v %d", o, ops, len(errs)); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.args, got, tc.want)
		}
	}
}
