package syncclient

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want Options
	}{
		{[]string{"-u", "fred"}, Options{Workers: DefaultWorkers, Pipeline: DefaultPipeline, Mode: ModeUsers, Timeout: 600, Objects: []string{"fred"}}},
		{[]string{"-vv", "-nchan", "-u", "fred", "bob"}, Options{Workers: 1, Pipeline: 1, Mode: ModeUsers, Verbose: 2, Channel: "chan", Timeout: 600, Objects: []string{"fred", "bob"}}},
		{[]string{"fred", "-v", "-n", "chan", "-u"}, Options{Workers: 1, Pipeline: 1, Mode: ModeUsers, Verbose: 1, Channel: "chan", Timeout: 600, Objects: []string{"fred"}}},
		{[]string{"-C/etc/x.conf", "-S", "replica:2005", "-m", "user/fred/Sent", "--", "-odd"},
			Options{Workers: DefaultWorkers, Pipeline: DefaultPipeline, Mode: ModeMailbox, Config: "/etc/x.conf", Server: "replica:2005", Timeout: 600, Objects: []string{"user/fred/Sent", "-odd"}}},
		{[]string{"-A", "-N", "-z", "-O", "-L", "-l", "-o", "user.a"},
			Options{Workers: 1, Pipeline: 1, Mode: ModeAll, SkipLocked: true, RequireCompression: true, NoCopyback: true, LocalOnly: true, VerboseLogging: true, ConnectOnce: true, Timeout: 600, Objects: []string{"user.a"}}},
		{[]string{"-r", "-t", "30x", "-d5", "-1", "-F", "/stop"}, Options{Workers: DefaultWorkers, Pipeline: DefaultPipeline, Mode: ModeRolling, Background: true, Timeout: 30, Delay: 5, Once: true, ShutdownFile: "/stop"}},
		{[]string{"-R", "-f", "-"}, Options{Workers: DefaultWorkers, Pipeline: DefaultPipeline, Mode: ModeRolling, InputFile: "-", Timeout: 600}},
		{[]string{"-R", "--poll", "-n", "c"}, Options{Workers: DefaultWorkers, Pipeline: DefaultPipeline, Mode: ModeRolling, Poll: true, Channel: "c", Timeout: 600}},
		{[]string{"--userids", "--channel=x", "--dest-partition", "p2", "fred"}, Options{Workers: DefaultWorkers, Pipeline: DefaultPipeline, Mode: ModeUsers, Channel: "x", Partition: "p2", Timeout: 600, Objects: []string{"fred"}}},
		{[]string{"-s", "-w", "3", "fred"}, Options{Workers: DefaultWorkers, Pipeline: DefaultPipeline, Mode: ModeMeta, DelayedStartup: 3, Timeout: 600, Objects: []string{"fred"}}},
		{[]string{"-u", "--workers", "8", "fred"}, Options{Workers: 8, Pipeline: DefaultPipeline, Mode: ModeUsers, Timeout: 600, Objects: []string{"fred"}}},
		{[]string{"-A", "--workers=0"}, Options{Workers: 1, Pipeline: DefaultPipeline, Mode: ModeAll, Timeout: 600}},
		{[]string{"-A", "-v", "--workers=3"}, Options{Workers: 3, Pipeline: 1, Verbose: 1, Mode: ModeAll, Timeout: 600}},
		{[]string{"-A", "--pipeline", "1"}, Options{Workers: DefaultWorkers, Pipeline: 1, Mode: ModeAll, Timeout: 600}},
		{[]string{"-A", "-v", "--pipeline=8"}, Options{Workers: 1, Pipeline: 8, Verbose: 1, Mode: ModeAll, Timeout: 600}},
	} {
		got, err := ParseArgs(tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if got.Objects == nil {
			got.Objects = nil
		}
		if len(got.Objects) == 0 {
			got.Objects = nil
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%q:\n got  %+v\n want %+v", tc.args, *got, tc.want)
		}
	}
	for args, msg := range map[string]string{
		"":            "No replication mode specified",
		"-v fred":     "No replication mode specified",
		"-u -m":       "Mutually exclusive options defined",
		"-r -R":       "Mutually exclusive options defined",
		"-A -s":       "Mutually exclusive options defined",
		"-1":          "No replication mode specified",
		"-X -u":       "sync_client: invalid option -- 'X'",
		"-u -C":       "sync_client: option requires an argument -- 'C'",
		"--nope -u x": "sync_client: unrecognized option '--nope'",
	} {
		_, err := ParseArgs(strings.Fields(args))
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Message != msg {
			t.Errorf("%q: %v, want usage error %q", args, err, msg)
		}
	}
	if _, err := ParseArgs([]string{"--help"}); err != errHelp {
		t.Errorf("--help: %v", err)
	}
	if h := Help(); !strings.Contains(h, "-n CHANNEL, --channel CHANNEL") || !strings.Contains(h, "--poll") || !strings.Contains(h, "--workers N") || !strings.Contains(h, "--pipeline N") || strings.Contains(h, "not available") {
		t.Errorf("help:\n%s", h)
	}
}

func TestReadObjects(t *testing.T) {
	in := "fred\n\n# comment\nbob \r\n" + strings.Repeat("x", 600) + "\nlast"
	got, err := readObjects(strings.NewReader(in))
	want := []string{"fred", "bob \r", strings.Repeat("x", 511), strings.Repeat("x", 89), "last"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q %v", got, err)
	}
}

// TestFlags: the table gives Cyrus 3.6's getopt string and 3.8's long
// options (plus -a of 3.8 and our -h/--help), and a usage error is the
// first problem met in command-line order, as Cyrus's loop stops there.
func TestFlags(t *testing.T) {
	if err := flags.Check(); err != nil {
		t.Fatal(err)
	}
	if got, want := flags.Optstring(), "C:vlLS:F:f:w:t:d:n:rRNumsozOAp:1"+"a"+"h"; got != want {
		t.Errorf("optstring %q, want %q", got, want)
	}
	long := map[string]byte{}
	for _, l := range flags.Longs() {
		long[l.Name] = l.Short
	}
	// cyrus: imap/sync_client.c main long_options (3.8.0), and our help and
	// --poll.
	want := map[string]byte{"rolling-once": '1', "all-users": 'A', "shutdown-file": 'F', "local-only": 'L',
		"skip-locked": 'N', "no-copyback": 'O', "foreground-rolling": 'R', "server": 'S', "stage-to-archive": 'a',
		"delay": 'd', "input-file": 'f', "verbose-logging": 'l', "mailboxes": 'm', "channel": 'n', "connect-once": 'o',
		"dest-partition": 'p', "rolling": 'r', "sieve-mode": 's', "timeout": 't', "userids": 'u', "verbose": 'v',
		"delayed-startup": 'w', "require-compression": 'z', "help": 'h', "poll": 0, "workers": 0, "pipeline": 0}
	if !reflect.DeepEqual(long, want) {
		t.Errorf("long options:\n got  %v\n want %v", long, want)
	}
	for args, msg := range map[string]string{
		"-u -m -X fred":   "Mutually exclusive options defined",
		"-X -u -m fred":   "sync_client: invalid option -- 'X'",
		"-R -vr":          "Mutually exclusive options defined",
		"-u -A --bad":     "Mutually exclusive options defined",
		"-u --bad -A":     "sync_client: unrecognized option '--bad'",
		"-u -w5 -t":       "sync_client: option requires an argument -- 't'",
		"--config=/x -u":  "sync_client: unrecognized option '--config=/x'", // Cyrus 3.8 has no long -C
		"-u --verbose=2 ": "sync_client: option '--verbose' doesn't allow an argument",
	} {
		_, err := ParseArgs(strings.Fields(args))
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Message != msg {
			t.Errorf("%q: %v, want usage error %q", args, err, msg)
		}
	}
	for _, args := range []string{"-h", "-u --help fred", "-X -h", "-vh"} {
		if _, err := ParseArgs(strings.Fields(args)); err != errHelp {
			t.Errorf("%q: %v, want the help", args, err)
		}
	}
	// "--help" as an argument or an operand is not a request for help.
	if o, err := ParseArgs([]string{"-u", "-n", "--help", "--", "--help"}); err != nil || o.Channel != "--help" ||
		!reflect.DeepEqual(o.Objects, []string{"--help"}) {
		t.Errorf("-n --help -- --help: %+v %v", o, err)
	}
	// Cyrus's atoi: 32-bit int of the leading number.
	if o, err := ParseArgs([]string{"-u", "-w", "4294967297s"}); err != nil || o.DelayedStartup != 1 {
		t.Errorf("-w 4294967297s: %+v %v", o, err)
	}
}
