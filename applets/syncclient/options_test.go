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
		{[]string{"-u", "fred"}, Options{Mode: ModeUsers, Timeout: 600, Objects: []string{"fred"}}},
		{[]string{"-vv", "-nchan", "-u", "fred", "bob"}, Options{Mode: ModeUsers, Verbose: 2, Channel: "chan", Timeout: 600, Objects: []string{"fred", "bob"}}},
		{[]string{"fred", "-v", "-n", "chan", "-u"}, Options{Mode: ModeUsers, Verbose: 1, Channel: "chan", Timeout: 600, Objects: []string{"fred"}}},
		{[]string{"-C/etc/x.conf", "-S", "replica:2005", "-m", "user/fred/Sent", "--", "-odd"},
			Options{Mode: ModeMailbox, Config: "/etc/x.conf", Server: "replica:2005", Timeout: 600, Objects: []string{"user/fred/Sent", "-odd"}}},
		{[]string{"-A", "-N", "-z", "-O", "-L", "-l", "-o", "user.a"},
			Options{Mode: ModeAll, SkipLocked: true, RequireCompression: true, NoCopyback: true, LocalOnly: true, VerboseLogging: true, ConnectOnce: true, Timeout: 600, Objects: []string{"user.a"}}},
		{[]string{"-r", "-t", "30x", "-d5", "-1", "-F", "/stop"}, Options{Mode: ModeRolling, Background: true, Timeout: 30, Delay: 5, Once: true, ShutdownFile: "/stop"}},
		{[]string{"-R", "-f", "-"}, Options{Mode: ModeRolling, InputFile: "-", Timeout: 600}},
		{[]string{"--userids", "--channel=x", "--dest-partition", "p2", "fred"}, Options{Mode: ModeUsers, Channel: "x", Partition: "p2", Timeout: 600, Objects: []string{"fred"}}},
		{[]string{"-s", "-w", "3", "fred"}, Options{Mode: ModeMeta, DelayedStartup: 3, Timeout: 600, Objects: []string{"fred"}}},
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
	if h := Help(); !strings.Contains(h, "-n value, --channel value") || !strings.Contains(h, "Rolling mode") {
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
