package syncserver

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"os"
	"reflect"
	"syscall"
	"testing"
	"time"
)

func TestSplitWrapperArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want wrapperOptions
		prog []string
		err  bool
	}{
		{args: nil, want: wrapperOptions{maxUse: 250, reuseTimeout: 60}},
		{args: []string{"-C", "/etc/x.conf", "-U", "5", "-T", "3", "-p", "1", "-f"},
			want: wrapperOptions{config: "/etc/x.conf", maxUse: 5, reuseTimeout: 3}, prog: []string{"-p", "1", "-f"}},
		{args: []string{"-U", "-7", "-T", "x", "-D", "-X"}, want: wrapperOptions{debugger: true, stdio: true}},
		// an unknown option takes the next word unless it looks like an option
		{args: []string{"-z", "-p", "2", "operand"}, want: wrapperOptions{maxUse: 250, reuseTimeout: 60}, prog: []string{"-z", "-p", "2", "operand"}},
		{args: []string{"operand", "-f"}, want: wrapperOptions{maxUse: 250, reuseTimeout: 60}, prog: []string{"-f", "operand"}},
		{args: []string{"-C/x.conf"}, err: true},
		{args: []string{"-U5"}, err: true},
		{args: []string{"-DX"}, err: true},
		{args: []string{"-p1"}, err: true},
		{args: []string{"-C", "-weird"}, err: true},
	} {
		w, prog, err := splitWrapperArgs(tc.args)
		if tc.err {
			if err != errMerged {
				t.Errorf("%q: err %v, want %v", tc.args, err, errMerged)
			}
			continue
		}
		if err != nil || w != tc.want || !reflect.DeepEqual(prog, tc.prog) {
			t.Errorf("%q: %+v %q %v, want %+v %q", tc.args, w, prog, err, tc.want, tc.prog)
		}
	}
}

// miniMaster is the master's side of one listener: the status pipe and
// the listening socket.
type miniMaster struct {
	status *os.File // read end
	addr   string
	svc    *service
	done   chan error
}

func startService(t *testing.T, w wrapperOptions, serve serveFunc) *miniMaster {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &miniMaster{status: pr, addr: l.Addr().String(), done: make(chan error, 1)}
	m.svc = newService(pw, l, w, slog.New(slog.DiscardHandler))
	go func() { m.done <- m.svc.run(context.Background(), serve) }()
	t.Cleanup(func() { pr.Close(); pw.Close(); l.Close() })
	return m
}

// next reads one status message: the message and whether it came from us.
func (m *miniMaster) next(t *testing.T) int32 {
	t.Helper()
	var b [8]byte
	m.status.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(m.status, b[:]); err != nil {
		t.Fatalf("status pipe: %v", err)
	}
	if pid := binary.NativeEndian.Uint32(b[4:]); int(pid) != os.Getpid() {
		t.Fatalf("message from pid %d", pid)
	}
	return int32(binary.NativeEndian.Uint32(b[:4]))
}

func (m *miniMaster) exited(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case err := <-m.done:
		if err != nil {
			t.Fatalf("service ended with %v", err)
		}
	case <-time.After(within):
		t.Fatalf("service still running after %v", within)
	}
}

// echoLine serves one line back and ends.
func echoLine(_ context.Context, c net.Conn, _, _ <-chan struct{}) {
	defer c.Close()
	line, _ := bufio.NewReader(c).ReadString('\n')
	c.Write([]byte(line))
}

func dialEcho(t *testing.T, addr string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("hi\n"))
	if got, _ := bufio.NewReader(c).ReadString('\n'); got != "hi\n" {
		t.Fatalf("echo %q", got)
	}
}

// TestServiceMessages: each session is announced 2 (unavailable), 3
// (connection), then 1 (available) when it ends; after -U sessions the
// process leaves without a word (exits are not announced).
func TestServiceMessages(t *testing.T) {
	m := startService(t, wrapperOptions{maxUse: 2}, echoLine)
	for i := range 2 {
		dialEcho(t, m.addr)
		if a, b := m.next(t), m.next(t); a != msgUnavailable || b != msgConnection {
			t.Fatalf("session %d: messages %d %d", i, a, b)
		}
		if i == 0 {
			if c := m.next(t); c != msgAvailable {
				t.Fatalf("after session: %d", c)
			}
		}
	}
	m.exited(t, 5*time.Second)
}

// TestServiceReuseTimeout: an idle process leaves after -T seconds (drawn
// from [T, 2T-1]), armed only after its first session.
func TestServiceReuseTimeout(t *testing.T) {
	m := startService(t, wrapperOptions{maxUse: 250, reuseTimeout: 1}, echoLine)
	select {
	case <-m.done:
		t.Fatal("an unused process timed out")
	case <-time.After(1500 * time.Millisecond):
	}
	dialEcho(t, m.addr)
	m.next(t)
	m.next(t)
	m.next(t)
	m.exited(t, 3*time.Second)
}

// TestServiceSignals: TERM while idle ends the process; TERM during a
// session reaches the session (which then says BYE) and the process ends
// after it; HUP while idle ends it.
func TestServiceSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		m := startService(t, wrapperOptions{maxUse: 250}, echoLine)
		time.Sleep(100 * time.Millisecond) // run has installed its handlers
		syscall.Kill(os.Getpid(), sig)
		m.exited(t, 3*time.Second)
	}

	got := make(chan string, 1)
	m := startService(t, wrapperOptions{maxUse: 250}, func(_ context.Context, c net.Conn, shutdown, _ <-chan struct{}) {
		defer c.Close()
		select {
		case <-shutdown:
			got <- "shutdown"
		case <-time.After(5 * time.Second):
			got <- "timeout"
		}
	})
	c, err := net.Dial("tcp", m.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m.next(t)
	m.next(t)
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	if g := <-got; g != "shutdown" {
		t.Fatalf("session saw %s", g)
	}
	m.exited(t, 3*time.Second)
}
