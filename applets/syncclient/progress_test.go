package syncclient

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeTerminal is a progress line drawn into a buffer, with a clock the
// test moves.
func fakeTerminal(width int) (*progress, *bytes.Buffer, *time.Time) {
	var b bytes.Buffer
	now := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	p := &progress{w: &b, width: width, now: func() time.Time { return now }, start: now}
	return p, &b, &now
}

func TestProgressLine(t *testing.T) {
	p, b, now := fakeTerminal(0)
	p.setTotal(3)
	p.sent(1000, false)
	if got := b.String(); got != "\rsync_client: 0/3 users, 0 messages, 1000 B sent\x1b[K" {
		t.Errorf("first draw %q", got)
	}
	b.Reset()
	p.sent(500, true) // within progressEvery: not drawn
	if b.Len() != 0 {
		t.Errorf("drawn too soon: %q", b.String())
	}
	*now = now.Add(2 * time.Second)
	p.sent(2<<20, true)
	if got := b.String(); got != "\rsync_client: 0/3 users, 2 messages, 2.0 MiB sent, 1.0 msg/s, 1.0 MiB/s\x1b[K" {
		t.Errorf("later draw %q", got)
	}
	// A message on stderr clears the line first.
	b.Reset()
	p.Write([]byte("Can not connect\n"))
	if got := b.String(); got != "\r\x1b[KCan not connect\n" {
		t.Errorf("stderr through the line: %q", got)
	}
	b.Reset()
	p.userDone()
	p.userDone()
	p.userDone() // the last one is drawn at once
	if got := b.String(); !strings.HasPrefix(got, "\rsync_client: 1/3 users") || !strings.Contains(got, "\rsync_client: 3/3 users") {
		t.Errorf("users %q", got)
	}
	b.Reset()
	p.finish()
	if got := b.String(); !strings.HasPrefix(got, "\rsync_client: 3/3 users, 2 messages") || !strings.HasSuffix(got, "\x1b[K\n") {
		t.Errorf("finish %q", got)
	}
}

func TestProgressWidth(t *testing.T) {
	p, b, _ := fakeTerminal(20)
	p.setTotal(12345)
	p.userDone()
	if got := b.String(); got != "\rsync_client: 1/1234\x1b[K" {
		t.Errorf("%q: longer than the terminal's 19 usable columns", got)
	}
}

// A run that ends before any user leaves nothing on the terminal.
func TestProgressNothingShown(t *testing.T) {
	p, b, _ := fakeTerminal(0)
	p.Write([]byte("Can not connect to server 'x'\n"))
	p.finish()
	if b.String() != "Can not connect to server 'x'\n" {
		t.Errorf("%q", b.String())
	}
}

// A nil progress (not a terminal) writes nothing and does not panic.
func TestProgressNil(t *testing.T) {
	var p *progress
	p.setTotal(2)
	p.userDone()
	p.sent(10, true)
	p.finish()
}

// openPTY opens a pseudo-terminal's two ends.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	_, tty := openPTY(t)
	if p := newProgress(tty, 0); p == nil {
		t.Error("no progress on a terminal")
	}
	if p := newProgress(tty, 1); p != nil {
		t.Error("progress with -v")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, out := range []io.Writer{w, f, &bytes.Buffer{}} {
		if p := newProgress(out, 0); p != nil {
			t.Errorf("progress on %T", out)
		}
	}
}

// TestProgressRun: sync_client -u on a terminal draws the line (the user
// done, the messages uploaded) and ends it; the same run with stderr not
// a terminal writes nothing there (TestRollingOnce and the differential
// tests run so).
func TestProgressRun(t *testing.T) {
	master, tty := openPTY(t)
	rep := startRecReplica(t, "")
	fx := newRollingFixture(t, rep.addr, &Options{Mode: ModeUsers, Timeout: 600, Objects: []string{"cb"}})
	fx.r.stderr = tty
	if err := fx.r.main(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := readLine(t, master)
	// The last line: the user, the messages uploaded (APPLY MESSAGE was
	// sent), ended by a newline (the terminal makes it "\r\n").
	last := regexp.MustCompile(`\rsync_client: 1/1 users, [1-9][0-9]* messages, [0-9.]+ (B|KiB) sent\x1b\[K\r\n$`)
	if !last.Match(out) || count(rep.commands(), "APPLY MESSAGE") == 0 {
		t.Errorf("terminal shows %q; replica got %q", out, rep.commands())
	}

	// -A counts the users first: the line ends with all of them done.
	rep3 := startRecReplica(t, "")
	fxA := newRollingFixture(t, rep3.addr, &Options{Mode: ModeAll, Timeout: 600})
	fxA.r.stderr = tty
	if err := fxA.r.main(context.Background()); err != nil {
		t.Fatal(err)
	}
	out = readLine(t, master)
	m := regexp.MustCompile(`\rsync_client: ([0-9]+)/([0-9]+) users, [^\r]*\r\n$`).FindSubmatch(out)
	if m == nil || string(m[1]) != string(m[2]) || string(m[1]) == "0" || !slices.Contains(rep3.commands(), "GET USER cb") {
		t.Errorf("-A: terminal shows %q", out)
	}

	rep2 := startRecReplica(t, "")
	fx2 := newRollingFixture(t, rep2.addr, &Options{Mode: ModeUsers, Timeout: 600, Objects: []string{"cb"}})
	if err := fx2.r.main(context.Background()); err != nil || fx2.stderr.Len() != 0 {
		t.Errorf("not a terminal: %v, stderr %q", err, fx2.stderr.String())
	}
}

// readLine reads the terminal up to the progress line's end.
func readLine(t *testing.T, master *os.File) []byte {
	t.Helper()
	master.SetReadDeadline(time.Now().Add(2 * time.Second))
	var out []byte
	buf := make([]byte, 4096)
	for !bytes.HasSuffix(out, []byte("\n")) {
		n, err := master.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			t.Fatalf("%v after %q", err, out)
		}
	}
	return out
}
