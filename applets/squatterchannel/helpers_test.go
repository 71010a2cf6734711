package squatterchannel

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
	"github.com/cyrus-replication/cyrus-replication/spool"
	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// fakeMailboxes is mailboxes.db as a map of internal name to type.
type fakeMailboxes map[string]spool.MBType

func (f fakeMailboxes) LookupName(name string) (*spool.Entry, error) {
	t, ok := f[name]
	if !ok {
		return nil, spool.ErrNotFound
	}
	return &spool.Entry{Name: name, Type: t, Partition: "default"}, nil
}

func (f fakeMailboxes) UserMailboxes(_ context.Context, userid string) ([]*spool.Entry, error) {
	var out []*spool.Entry
	inbox := "user." + userid
	for name, t := range f {
		if name == inbox || strings.HasPrefix(name, inbox+".") {
			out = append(out, &spool.Entry{Name: name, Type: t})
		}
	}
	return out, nil
}

// recorder is an Indexer that records its calls and answers from a script:
// per mailbox, the results to give in turn (Done once the script is used
// up).
type recorder struct {
	mu      sync.Mutex
	calls   []string
	script  map[string][]Result
	errs    map[string]error
	delay   time.Duration
	busy    map[string]bool
	maxBusy int
	twice   bool // a mailbox was indexed twice at a time
	ends    int  // cycles ended
}

func (f *recorder) EndCycle() {
	f.mu.Lock()
	f.ends++
	f.mu.Unlock()
}

func (f *recorder) IndexMailbox(_ context.Context, mbox string, blocking bool) (Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, mbox)
	if f.busy == nil {
		f.busy = map[string]bool{}
	}
	if f.busy[mbox] {
		f.twice = true
	}
	f.busy[mbox] = true
	f.maxBusy = max(f.maxBusy, len(f.busy))
	var res Result
	if s := f.script[mbox]; len(s) > 0 {
		res, f.script[mbox] = s[0], s[1:]
	}
	err := f.errs[mbox]
	f.mu.Unlock()
	time.Sleep(f.delay)
	f.mu.Lock()
	delete(f.busy, mbox)
	f.mu.Unlock()
	return res, err
}

func (f *recorder) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// lines collects the syslog lines (their LOG_PERROR copy).
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lines) List() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSuffix(l.buf.String(), "\n"), "\n")
}

// testRunner is a runner over a temporary configuration directory: the
// channel "squatter" there, the syslog lines in lines (never on /dev/log).
func testRunner(t *testing.T, mb fakeMailboxes, ix Indexer, o *Options) (*runner, *lines, string) {
	t.Helper()
	dir := t.TempDir()
	ll := &lines{}
	log := slog.New(cyruslog.NewHandler(cyruslog.Options{Tag: "test", Debug: true, Stderr: ll,
		Network: "unixgram", Addr: filepath.Join(dir, "no-syslog")}))
	if o == nil {
		o = &Options{}
	}
	if o.Channel == "" {
		o.Channel = DefaultChannel
	}
	if o.Parallel == 0 {
		o.Parallel = 1
	}
	w := &synclog.Writer{Dir: filepath.Join(dir, "sync"), Logger: log}
	r := &runner{o: o, log: log, stdout: &bytes.Buffer{}, ix: ix, mb: mb, idle: 10 * time.Millisecond,
		shutdownFiles: shutdownFilePaths(dir),
		skip: skipRules{ns: conf.Namespace{Sep: '/', DeletedPrefix: "DELETED"}, sieveFolder: "#sieve",
			submissionFolder: "#jmapsubmission", startName: o.StartName},
		requeue: func(mbox string) error {
			return w.LogChannel(context.Background(), o.Channel, synclog.Append(mbox))
		}}
	return r, ll, dir
}

// writeLog writes a channel's live log.
func writeLog(t *testing.T, dir, content string) string {
	t.Helper()
	p := synclog.LogPath(filepath.Join(dir, "sync"), DefaultChannel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// errText is an error in Cyrus's words (error_message()).
type errText string

func (e errText) Error() string { return string(e) }

var errBoom error = errText("System I/O error")

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
