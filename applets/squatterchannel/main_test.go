package squatterchannel

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/applets/cyrus"
)

// TestMainBeforeStartUp covers what Main decides before reading any
// configuration: help, usage errors, modes that are not ours, and no
// indexer built in.
func TestMainBeforeStartUp(t *testing.T) {
	never := func(Setup) (Indexer, error) {
		t.Fatal("an indexer was made")
		return nil, nil
	}
	for _, c := range []struct {
		args   []string
		ix     NewIndexer
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--help"}, nil, 0, "usage: squatter-channel -R", ""},
		{[]string{"-R", "-x"}, never, cyrus.ExitUsage, "", "squatter: invalid option -- 'x'\nusage: squatter-channel"},
		{[]string{"-R", "-L", "200"}, never, cyrus.ExitUsage, "", "squatter: 200: invalid level argument\n"},
		{[]string{"-A"}, never, cyrus.ExitUsage, "", "run Cyrus's own squatter"},
		{[]string{"user.fred"}, never, cyrus.ExitUsage, "", "run Cyrus's own squatter"},
		{[]string{"-R", "-d"}, nil, cyrus.ExitSoftware, "", ""},
		{[]string{"-f", "/nonexistent"}, nil, cyrus.ExitSoftware, "", ""},
	} {
		var stdout, stderr bytes.Buffer
		err := Main(context.Background(), append([]string{"squatter"}, c.args...), &stdout, &stderr, c.ix)
		if got := cyrus.ExitCode(err); got != c.code {
			t.Errorf("%q: exit %d, want %d (%v)", c.args, got, c.code, err)
		}
		if !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("%q: stdout %q, stderr %q", c.args, stdout.String(), stderr.String())
		}
		if c.code == cyrus.ExitSoftware && !strings.Contains(err.Error(), "no search indexer") {
			t.Errorf("%q: %v", c.args, err)
		}
	}
}
