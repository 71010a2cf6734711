package syncclient

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// TestRollingRecordsState: while the loop runs it holds the channel's
// lock file; a failed log file and then a processed one are recorded in
// the state file, which outlives the client; Cyrus's files are untouched.
func TestRollingRecordsState(t *testing.T) {
	rep := startRecReplica(t, "")
	var once sync.Once
	rep.fail = func(verb, key string, arg dlist.Value) error {
		var err error
		if verb == "APPLY" && key == "UNUSER" {
			once.Do(func() { err = &protocol.RemoteError{Code: protocol.CodeRemoteDenied, Text: "Unknown error"} })
		}
		return err
	}
	o := rollingOptions("chan")
	o.ShutdownFile = filepath.Join(t.TempDir(), "stop")
	fx := newRollingFixture(t, rep.addr, o)
	fx.writeLog(t, "log", "UNUSER a\nUNUSER b\n")
	wait := fx.start(context.Background())
	eventually(t, "the retry", func() bool {
		st, _ := synclog.ReadClientState(fx.syncDir)
		return st != nil && !st.LastCycle.IsZero()
	})
	if held, err := synclog.ChannelHeld(fx.syncDir); !held || err != nil {
		t.Errorf("running client: held %v, %v", held, err)
	}
	os.WriteFile(o.ShutdownFile, nil, 0o644)
	if err := wait(t); err != nil {
		t.Fatal(err)
	}
	st, err := synclog.ReadClientState(fx.syncDir)
	if err != nil || st.PID != os.Getpid() || st.LastItems != 2 || st.LastFailure.IsZero() ||
		!strings.Contains(st.LastError, "denied") || st.LastFailure.After(st.LastCycle) {
		t.Errorf("state %+v, %v", st, err)
	}
	if held, _ := synclog.ChannelHeld(fx.syncDir); held {
		t.Error("held after the client ended")
	}
	ents, _ := os.ReadDir(fx.syncDir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != synclog.ClientLockName+" "+synclog.ClientStateName {
		t.Errorf("channel directory holds %q", names)
	}
}
