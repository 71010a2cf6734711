// Package integration runs real Cyrus IMAP beside our programs and
// compares what both do: the host's 3.6, and 3.10 in a Debian trixie root
// (cyrus.go; $CYREPL_CYRUS chooses). Its tests need root (Cyrus switches to the cyrus
// user) and Debian's Cyrus packages; without them they fail, saying how to
// install them — they never skip.
package integration

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// CyrusBin is where Debian installs Cyrus's programs; $CYRUS_BIN overrides.
var CyrusBin = func() string {
	if d := os.Getenv("CYRUS_BIN"); d != "" {
		return d
	}
	return "/usr/lib/cyrus/bin"
}()

// InstallHint says how to get what the integration tests need.
const InstallHint = "run the tests as root with Debian's Cyrus 3.6 installed: " +
	"apt-get update && apt-get install -y cyrus-imapd cyrus-replication cyrus-clients cyrus-admin sasl2-bin " +
	"(or just `make test` as root, which does this)"

// RequireCyrus fails the test unless real Cyrus can be run here.
func RequireCyrus(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("integration tests must run as root: %s", InstallHint)
	}
	for _, p := range []string{"master", "cyr_synclog", "cyr_info", "sync_client", "sync_server"} {
		if _, err := os.Stat(filepath.Join(CyrusBin, p)); err != nil {
			t.Fatalf("Cyrus program %s missing (%v): %s", p, err, InstallHint)
		}
	}
	if _, err := exec.LookPath("saslpasswd2"); err != nil {
		t.Fatalf("saslpasswd2 missing: %s", InstallHint)
	}
	if _, err := user.Lookup("cyrus"); err != nil {
		t.Fatalf("no cyrus user: %s", InstallHint)
	}
	m, r, err := PairVersions()
	if err != nil {
		t.Fatal(err)
	}
	CyrusFor(t, m)
	CyrusFor(t, r)
}

var (
	oursOnce sync.Once
	oursPath string
	oursErr  error
)

// Ours builds our binary once per test run, somewhere the cyrus user can
// execute it, and returns its path.
func Ours(t testing.TB) string {
	t.Helper()
	oursOnce.Do(func() {
		// Under /tmp, which a Cyrus 3.10 chroot sees at the same path.
		dir, err := os.MkdirTemp("/tmp", "cyrepl-bin-")
		if err != nil {
			oursErr = err
			return
		}
		os.Chmod(dir, 0o755)
		oursPath = filepath.Join(dir, "cyrus-replication")
		cmd := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", oursPath, "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			oursErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if oursErr != nil {
		t.Fatal(oursErr)
	}
	return oursPath
}

// Result is what a program run produced.
type Result struct {
	Stdout, Stderr string
	// Code is the exit status.
	Code int
}

// Run runs a program and returns its output and exit status (a failure to
// start fails the test).
func Run(t testing.TB, stdin []byte, prog string, args ...string) Result {
	t.Helper()
	return runCmd(t, exec.Command(prog, args...), stdin)
}

// runCmd runs cmd with stdin and returns its output and exit status.
func runCmd(t testing.TB, cmd *exec.Cmd, stdin []byte) Result {
	t.Helper()
	prog := cmd.Path
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", prog, err)
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// Chown gives path (recursively) to cyrus:mail, as Cyrus wants its files.
func Chown(t testing.TB, path string) {
	t.Helper()
	if out, err := exec.Command("chown", "-R", "cyrus:mail", path).CombinedOutput(); err != nil {
		t.Fatalf("chown %s: %v %s", path, err, out)
	}
}

// TempDir makes a directory under /tmp that the cyrus user can reach (the
// test's own TempDir may sit below a 0700 directory), removed at the end.
func TempDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", "cyrepl-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(d, 0o755)
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("CYREPL_KEEP") != "" {
			t.Logf("kept %s (CYREPL_KEEP)", d)
			return
		}
		os.RemoveAll(d)
	})
	return d
}

// FreePort finds a loopback TCP port nobody listens on.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitPort waits until something accepts on a loopback port.
func WaitPort(port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("port %d: %w", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WriteConf writes an imapd.conf from lines, owned by cyrus.
func WriteConf(t testing.TB, path string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
