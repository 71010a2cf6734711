package getopt

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// syncServer is what sync_server's table will be: Cyrus 3.6's -p and -f,
// the options of Cyrus's service wrapper (master/service.c), which takes
// only separate words ("-p1" is refused as well), and our --listen.
var syncServer = &Table{
	Name:  "sync_server",
	Usage: "usage: sync_server [-C <alt_config>]",
	Cyrus: "3.6",
	Options: []Option{
		{Short: 'C', Arg: "FILE", Separate: true, Help: "read FILE instead of /etc/imapd.conf"},
		{Short: 'U', Arg: "N", Separate: true, Help: "serve N connections, then exit (250)"},
		{Short: 'T', Arg: "SECONDS", Separate: true, Help: "exit when idle for SECONDS (60)"},
		{Short: 'D', Separate: true, Help: "run debug_command at start"},
		{Short: 'X', Separate: true, Help: "serve one session on stdin and stdout, without master"},
		{Short: 'p', Arg: "SSF", Separate: true, Help: "an external security layer of strength SSF"},
		{Short: 'f', Separate: true, Help: "accepted, no effect"},
		{Long: "listen", Arg: "ADDR", Ours: true, Help: "listen on ADDR without master"},
	},
}

// syncReset is what sync_reset's table will be: Cyrus 3.6's options, 3.8's
// long names; the users are operands.
var syncReset = &Table{
	Name:      "sync_reset",
	Usage:     "usage: sync_reset [-C <alt_config>] [-v] [-f] user...",
	Cyrus:     "3.6",
	LongNames: "3.8",
	Options: []Option{
		{Short: 'C', Arg: "FILE", Help: "read FILE instead of /etc/imapd.conf"},
		{Short: 'v', Long: "verbose", Help: "say what is done"},
		{Short: 'f', Long: "force", Help: "really remove the users (required)"},
		{Short: 'L', Long: "local-only", Help: "LOCAL_* operations"},
	},
}

// squatterChannel is part of squatter's rolling mode: long names from
// Cyrus 3.6 itself, a later option, and -h that Cyrus has.
var squatterChannel = &Table{
	Name:      "squatter",
	Usage:     "usage: squatter -R [-C <alt_config>] [-n channel] [-d] [-v]",
	Cyrus:     "3.6",
	LongNames: "3.6",
	Options: []Option{
		{Short: 'C', Arg: "FILE", Help: "read FILE instead of /etc/imapd.conf"},
		{Short: 'R', Long: "rolling", Help: "index what the sync log channel names, forever"},
		{Short: 'n', Long: "channel", Arg: "NAME", Help: "the sync log channel NAME (squatter)"},
		{Short: 'd', Long: "nodaemon", Help: "stay in the foreground"},
		{Short: 'S', Long: "sleep", Arg: "SECONDS", Help: "sleep SECONDS after each mailbox"},
		{Short: 'v', Long: "verbose", Help: "more logging"},
		{Short: 'h', Long: "help", Help: "print the usage"},
		{Long: "attachextract-cache-only", Since: "3.12", Help: "use only cached attachment text"},
	},
}

func TestTableDerivations(t *testing.T) {
	for _, tc := range []struct {
		table     *Table
		optstring string
		longs     []Long
		separate  string
	}{
		{syncServer, "C:U:T:DXp:f", []Long{{Name: "listen", HasArg: true}}, "CUTDXpf"},
		{syncReset, "C:vfL", []Long{{"verbose", 'v', false}, {"force", 'f', false}, {"local-only", 'L', false}}, ""},
		{squatterChannel, "C:Rn:dS:vh", []Long{{"rolling", 'R', false}, {"channel", 'n', false}, {"nodaemon", 'd', false},
			{"sleep", 'S', false}, {"verbose", 'v', false}, {"help", 'h', false}, {"attachextract-cache-only", 0, false}}, ""},
		{&Table{Name: "x", Usage: "x", Options: []Option{{Short: 'a', Help: "a"}}}, "a", nil, ""},
	} {
		if err := tc.table.Check(); err != nil {
			t.Errorf("%s: %v", tc.table.Name, err)
		}
		p := tc.table.Parser()
		if p.Optstring != tc.optstring || !reflect.DeepEqual(p.Longs, tc.longs) || p.Separate != tc.separate {
			t.Errorf("%s: got %q %v %q, want %q %v %q", tc.table.Name, p.Optstring, p.Longs, p.Separate,
				tc.optstring, tc.longs, tc.separate)
		}
	}
}

// show prints what Parse found: each option as letter (or long name),
// ":" and argument; the operands; each error with how many options came
// before it.
func show(opts []Opt, operands []string, errs []error) string {
	var o, e []string
	for _, x := range opts {
		name := string(x.Name)
		if x.Name == 0 {
			name = "--" + x.Long
		}
		o = append(o, name+":"+x.Arg)
	}
	for _, err := range errs {
		e = append(e, fmt.Sprintf("%d:%v", err.(*Error).After, err))
	}
	return fmt.Sprintf("%v %v %q", o, operands, e)
}

func TestTableParse(t *testing.T) {
	for _, tc := range []struct {
		table *Table
		args  string
		want  string
	}{
		{syncServer, "-C /x -U 5 -T 3 -D -X -p 1 -f", `[C:/x U:5 T:3 D: X: p:1 f:] [] []`},
		{syncServer, "--listen :2005 -X --listen=[::1]:2005", `[--listen::2005 X: --listen:[::1]:2005] [] []`},
		{syncServer, "-U5 -D", `[D:] [] ["0:options and arguments MUST be separated by whitespace"]`},
		{syncServer, "-DX", `[] [] ["0:options and arguments MUST be separated by whitespace"]`},
		{syncServer, "-X -p1", `[X:] [] ["1:options and arguments MUST be separated by whitespace"]`},
		{syncServer, "-C/x", `[] [] ["0:options and arguments MUST be separated by whitespace"]`},
		{syncServer, "-X --listen", `[X:] [] ["1:option '--listen' requires an argument"]`},
		{syncServer, "-q -X", `[X:] [] ["0:invalid option -- 'q'"]`},
		{syncServer, "-X --verbose", `[X:] [] ["1:unrecognized option '--verbose'"]`},
		{syncReset, "-f fred -v --force bob -- -L", `[f: v: f:] [fred bob -L] []`},
		{syncReset, "-vfL fred", `[v: f: L:] [fred] []`},
		{syncReset, "--local-only=1 fred", `[] [fred] ["0:option '--local-only' doesn't allow an argument"]`},
		{squatterChannel, "-R -nsquat --sleep 0.5 -vv", `[R: n:squat S:0.5 v: v:] [] []`},
		{squatterChannel, "--attachextract-cache-only -R", `[--attachextract-cache-only: R:] [] []`},
	} {
		if got := show(tc.table.Parse(strings.Fields(tc.args))); got != tc.want {
			t.Errorf("%s %s:\n got  %s\n want %s", tc.table.Name, tc.args, got, tc.want)
		}
	}
	// Opt.Long names the option however it was spelled.
	opts, _, _ := syncReset.Parse([]string{"-v", "--verbose", "-C", "x"})
	if opts[0].Long != "verbose" || opts[1].Long != "verbose" || opts[2].Long != "" {
		t.Errorf("Long: %+v", opts)
	}
}

func TestTableCheck(t *testing.T) {
	for _, tc := range []struct {
		opts []Option
		want string
	}{
		{[]Option{{Help: "x"}}, "neither a letter nor a long name"},
		{[]Option{{Short: '-', Help: "x"}}, "letters or digits"},
		{[]Option{{Short: 'a', Help: "x"}, {Short: 'a', Help: "y"}}, "letter given twice"},
		{[]Option{{Long: "all", Help: "x"}, {Short: 'a', Long: "all", Help: "y"}}, "long name given twice"},
		{[]Option{{Long: "All", Help: "x"}}, "long names are"},
		{[]Option{{Short: 'a'}}, "help is one line"},
		{[]Option{{Short: 'a', Help: "use `x`"}}, "help is one line"},
		{[]Option{{Short: 'a', Arg: "FILE", Help: "read FILENAME"}}, "does not mention the argument FILE"},
		{[]Option{{Short: 'a', Ours: true, Since: "3.8", Help: "x"}}, "ours, yet in Cyrus 3.8"},
		{[]Option{{Long: "all", Separate: true, Help: "x"}}, "only a letter"},
	} {
		tb := &Table{Name: "t", Usage: "u", Options: tc.opts}
		if err := tb.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error saying %q", tc.opts, err, tc.want)
		}
	}
	if err := (&Table{Options: []Option{{Short: 'a', Help: "x"}}}).Check(); err == nil {
		t.Error("a table without name and usage passes")
	}
}

func TestTableHelp(t *testing.T) {
	for _, tb := range []*Table{syncServer, syncReset, squatterChannel} {
		h := tb.Help()
		if !strings.HasPrefix(h, tb.Usage+"\n\nOptions (Cyrus 3.6's") {
			t.Errorf("%s: help does not start with the usage line and the Cyrus version:\n%s", tb.Name, h)
		}
		for i, e := range tb.Entries() {
			o := tb.Options[i]
			var names []string
			if o.Short != 0 {
				names = append(names, "-"+string(o.Short))
			}
			if o.Long != "" {
				names = append(names, "--"+o.Long)
			}
			for j := range names {
				if o.Arg != "" {
					names[j] += " " + o.Arg
				}
			}
			if want := strings.Join(names, ", "); e.Names != want {
				t.Errorf("%s: entry names %q, want %q", tb.Name, e.Names, want)
			}
			if e.Text != tb.Text(o) || !strings.HasPrefix(e.Text, o.Help) {
				t.Errorf("%s: entry text %q for help %q", tb.Name, e.Text, o.Help)
			}
			if !strings.Contains(h, "  "+e.Names+"  ") || !strings.Contains(h, e.Text+"\n") {
				t.Errorf("%s: help lacks %s:\n%s", tb.Name, e.Names, h)
			}
			ours := strings.HasSuffix(e.Text, " (ours)")
			if ours != o.Ours {
				t.Errorf("%s %s: marked ours %v, is ours %v", tb.Name, e.Names, ours, o.Ours)
			}
		}
	}
	if h := squatterChannel.Help(); !strings.Contains(h, "use only cached attachment text (Cyrus 3.12)\n") ||
		!strings.Contains(h, "(Cyrus 3.6's):") {
		t.Errorf("squatter help: a later option is not marked, or the header is wrong:\n%s", h)
	}
	if h := syncReset.Help(); !strings.Contains(h, "(Cyrus 3.6's, with 3.8's long names):") {
		t.Errorf("sync_reset help header:\n%s", h)
	}
}
