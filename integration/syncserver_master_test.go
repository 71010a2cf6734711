package integration

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSyncServerUnderMaster runs our sync_server as Cyrus's master runs
// sync_server from cyrus.conf and checks the service protocol from the
// outside: simultaneous sessions get processes of their own, a process is
// reused for the next session, -U and -T end it, a master HUP ends idle
// children, TERM mid-session says BYE, a UNIX-socket peer is the admin —
// and master's log shows no abnormal end, forced state or bad message.
func TestSyncServerUnderMaster(t *testing.T) {
	RequireCyrus(t)
	logs := CatchSyslog(t)
	base := TempDir(t)
	in := NewReplicaInstance(t, base, "replica", "debug: 1")
	in.SyncServer = OursApplet(t, "sync_server")
	reusePort := FreePort(t)
	in.Services = []string{
		csyncUnixService(in, "csyncunix", in.SyncServer, in.CSyncSocket()),
		fmt.Sprintf(`csyncreuse cmd="%s -C %s -U 2 -T 3" listen="127.0.0.1:%d" prefork=0`, in.SyncServer, in.Conf(), reusePort),
	}
	in.WriteConfigs(t)
	os.Setenv("CYRUS_VERBOSE", "1") // master logs each message of its children
	defer os.Unsetenv("CYRUS_VERBOSE")
	in.Start(t) // master listens on every service before the others answer; no probe of reusePort (it would be a session)
	ident := "cyrepl-replica/"

	// Three sessions at once: three processes, three banners at once.
	var conns []*csyncConn
	for range 3 {
		conns = append(conns, dialCSync(t, in.CSyncPort))
	}
	pids := accepted(t, logs, ident+"csync", 3)
	if len(uniq(pids)) != 3 {
		t.Errorf("three simultaneous sessions served by pids %v", pids)
	}
	// EXIT, then a new session: the same process serves it.
	conns[0].do(t, "EXIT", "OK Finished")
	c := dialCSync(t, in.CSyncPort)
	if again := accepted(t, logs, ident+"csync", 1); !slices.Contains(pids, again[0]) {
		t.Errorf("the next session went to a new process %d, not one of %v", again[0], pids)
	}
	// TERM to the children mid-session: BYE, exit 0.
	c.do(t, "NOOP", "OK Noop completed")
	for _, pid := range childrenOf(t, in, "sync_server") {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	if l := c.line(t); l != "BYE shutting down" {
		t.Errorf("after TERM: %q", l)
	}
	for _, cc := range conns[1:] {
		cc.c.Close()
	}

	// -U 2 -T 3: sessions 1 and 2 in one process, 3 in a new one, which
	// leaves 3 to 5 s after its session.
	var reuse []int
	for range 3 {
		cc := dialCSync(t, reusePort)
		cc.do(t, "EXIT", "OK Finished")
		reuse = append(reuse, accepted(t, logs, ident+"csyncreuse", 1)[0])
	}
	if reuse[0] != reuse[1] || reuse[2] == reuse[1] {
		t.Errorf("-U 2: sessions served by %v, want A A B", reuse)
	}
	time.Sleep(7 * time.Second)
	if alive(reuse[2]) {
		t.Errorf("-T 3: process %d still there after 7 s idle", reuse[2])
	}

	// A UNIX-socket peer is the admin: greeting only, GET works at once.
	u, err := net.Dial("unix", in.CSyncSocket())
	if err != nil {
		t.Fatal(err)
	}
	uc := &csyncConn{c: u, r: bufio.NewReader(u)}
	if l := uc.line(t); !strings.HasPrefix(l, "* OK ") {
		t.Errorf("unix-socket greeting %q", l)
	}
	uc.do(t, "GET USER nosuch", "OK success")
	uc.c.Close()

	// A HUP to master ends the idle children.
	before := childrenOf(t, in, "sync_server")
	syscall.Kill(in.pid, syscall.SIGHUP)
	time.Sleep(2 * time.Second)
	for _, pid := range before {
		if alive(pid) {
			t.Errorf("idle child %d survived master's HUP", pid)
		}
	}

	ml := logs.Take("cyrepl-replica/master")
	if len(ml) < 10 {
		t.Fatalf("only %d lines of master caught: the check below would prove nothing", len(ml))
	}
	for _, l := range ml {
		for _, bad := range []string{"terminated abnormally", "signaled to death", "forced to", "already ready",
			"already busy", "incorrectly sized", "long dead", "UNKNOWN state", "not yet been recycled"} {
			if strings.Contains(l.Msg, bad) {
				t.Errorf("master: %s", l.Msg)
			}
		}
	}
}

// csyncConn is a raw csync client connection.
type csyncConn struct {
	c net.Conn
	r *bufio.Reader
}

// dialCSync connects and reads the banner up to its "* OK" line.
func dialCSync(t *testing.T, port int) *csyncConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+itoa(port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cc := &csyncConn{c: c, r: bufio.NewReader(c)}
	for {
		l := cc.line(t)
		if strings.HasPrefix(l, "* OK ") {
			return cc
		}
	}
}

func (cc *csyncConn) line(t *testing.T) string {
	t.Helper()
	cc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := cc.r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return strings.TrimRight(l, "\r\n")
}

func (cc *csyncConn) do(t *testing.T, cmd, want string) {
	t.Helper()
	fmt.Fprintf(cc.c, "%s\r\n", cmd)
	if l := cc.line(t); l != want {
		t.Errorf("%s: %q, want %q", cmd, l, want)
	}
}

// accepted waits for n more "accepted connection" debug lines of ident
// and returns their pids.
func accepted(t *testing.T, logs *Syslog, ident string, n int) []int {
	t.Helper()
	var pids []int
	for deadline := time.Now().Add(10 * time.Second); len(pids) < n && time.Now().Before(deadline); {
		for _, l := range logs.Take(ident) {
			if l.Msg == "accepted connection" {
				pids = append(pids, l.PID)
			}
		}
	}
	if len(pids) < n {
		t.Fatalf("%d of %d sessions logged by %s", len(pids), n, ident)
	}
	return pids
}

func uniq(xs []int) []int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return slices.Compact(s)
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil && !zombie(pid) }

// childrenOf lists the live children of the instance's master whose
// command line names prog.
func childrenOf(t testing.TB, in *Instance, prog string) []int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid := 0
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if len(f) > 2 && f[2] == itoa(in.pid) && strings.Contains(string(cmd), prog) && !zombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}
