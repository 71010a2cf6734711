package squatterchannel

import (
	"errors"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-R", "-d", "-vv", "-nchan", "-S", "0.25", "-C", "/x.conf", "-N", "user.b", "--parallel", "4", "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Rolling || !o.Foreground || o.Verbose != 2 || o.Channel != "chan" || o.Sleep != 250*time.Millisecond ||
		o.Config != "/x.conf" || o.StartName != "user.b" || o.Parallel != 4 || !o.Index.Incremental {
		t.Errorf("%+v", o)
	}
	if o, err := ParseArgs([]string{"-R"}); err != nil || o.Channel != "squatter" || o.Parallel != 1 {
		t.Errorf("defaults: %+v %v", o, err)
	}
	// a later -f switches to file mode, as in Cyrus
	if o, err := ParseArgs([]string{"-R", "-f", "log"}); err != nil || o.Rolling || o.File != "log" {
		t.Errorf("-R -f: %+v %v", o, err)
	}
	for _, args := range [][]string{
		{"-f", "log", "-R"}, // -R after a mode
		{"-R", "-A"}, {"-R", "-l"}, {"-R", "-r"}, {"-R", "-a"}, {"-R", "-s", "5"},
		{"-R", "-z", "t"}, {"-R", "-e", "q"}, {"-R", "-x"}, {"-R", "--nope"},
		{"-R", "-S"}, {"-R", "--parallel", "0"}, {"-s", "x"},
		{"-z", "a"}, // compact without -t
	} {
		var ue *UsageError
		if _, err := ParseArgs(args); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	for _, args := range [][]string{{"-L", "0", "-R"}, {"-R", "-L", "128"}} {
		var ue *UsageError
		if _, err := ParseArgs(args); !errors.As(err, &ue) || !ue.NoUsage || ue.Message == "" {
			t.Errorf("%q: %v, want Cyrus's invalid level", args, err)
		}
	}
	for _, args := range [][]string{{}, {"user.fred"}, {"-A"}, {"-l"}, {"-r", "user.x"}, {"-e", "q"}, {"-z", "a", "-t", "b"}, {"-u", "fred"}} {
		var no *NotOursError
		if _, err := ParseArgs(args); !errors.As(err, &no) {
			t.Errorf("%q: %v, want a mode that is not ours", args, err)
		}
	}
	if _, err := ParseArgs([]string{"-R", "--help"}); !errors.Is(err, errHelp) {
		t.Errorf("--help: %v", err)
	}
	if err := flags.Check(); err != nil {
		t.Error(err)
	}
}

func TestAtof(t *testing.T) {
	for s, want := range map[string]float64{"1.5": 1.5, " 2x": 2, "abc": 0, ".5s": .5, "": 0, "-1": -1} {
		if got := atof(s); got != want {
			t.Errorf("atof(%q) = %v, want %v", s, got, want)
		}
	}
}
