package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Version is a Cyrus release the harness runs: the host's (Debian
// bookworm's 3.6.1) or Debian trixie's 3.10.2 in a chroot beside it.
type Version string

const (
	V36  Version = "3.6"
	V310 Version = "3.10"
)

// Cyrus is one installation of Cyrus's programs.
type Cyrus struct {
	Version Version
	// Root is the directory its programs run chrooted in; "" for the host.
	Root string
	// Bin is the directory of its programs as seen from inside Root.
	Bin string
}

// TrixieRoot is where the trixie root with Cyrus 3.10 is kept
// ($CYREPL_TRIXIE_ROOT overrides); scripts/need-cyrus310.sh builds it.
var TrixieRoot = func() string {
	if d := os.Getenv("CYREPL_TRIXIE_ROOT"); d != "" {
		return d
	}
	return "/var/cache/cyrepl/trixie"
}()

// PairVersions are the versions of a pair's master and replica, from
// $CYREPL_CYRUS: "3.6" (the default), "3.10", or a mixed pair written
// master-replica ("3.6-3.10", "3.10-3.6"). A test of one instance runs the
// master's version. The Makefile runs the package once per combination.
func PairVersions() (master, replica Version, err error) {
	v := os.Getenv("CYREPL_CYRUS")
	if v == "" {
		return V36, V36, nil
	}
	m, r, mixed := strings.Cut(v, "-")
	if !mixed {
		r = m
	}
	for _, x := range []string{m, r} {
		if Version(x) != V36 && Version(x) != V310 {
			return "", "", fmt.Errorf("CYREPL_CYRUS=%q: want 3.6, 3.10, 3.6-3.10 or 3.10-3.6", v)
		}
	}
	return Version(m), Version(r), nil
}

// MasterVersion is PairVersions' master (failing the test on a bad value).
func MasterVersion(t testing.TB) Version {
	t.Helper()
	m, _, err := PairVersions()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var (
	trixieOnce sync.Once
	trixieErr  error
)

// CyrusFor returns the installation of version v, building the trixie root
// first for 3.10 (once per machine; the script says what went wrong).
func CyrusFor(t testing.TB, v Version) *Cyrus {
	t.Helper()
	switch v {
	case V36, "":
		return &Cyrus{Version: V36, Bin: CyrusBin}
	case V310:
		trixieOnce.Do(func() {
			cmd := exec.Command("sh", "../scripts/need-cyrus310.sh", TrixieRoot)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				trixieErr = fmt.Errorf("Cyrus 3.10 (Debian trixie root %s) unavailable: %v\n%s", TrixieRoot, err, out.String())
			}
		})
		if trixieErr != nil {
			t.Fatal(trixieErr)
		}
		return &Cyrus{Version: V310, Root: TrixieRoot, Bin: "/usr/lib/cyrus/bin"}
	}
	t.Fatalf("no Cyrus %q in the harness", v)
	return nil
}

// DefaultCyrus is the installation of the master's version.
func DefaultCyrus(t testing.TB) *Cyrus {
	t.Helper()
	return CyrusFor(t, MasterVersion(t))
}

// chrootScript runs "$@" chrooted in $1 with /proc, /dev (so /dev/log) and
// the host's /tmp (instance directories, our binary) mounted at the same
// paths; run under unshare, the mounts end with the namespace's last
// process (a daemonised master keeps it alive).
const chrootScript = `r=$1; shift
mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" && mount --rbind /tmp "$r/tmp" && exec chroot "$r" "$@"`

// Prog is the path of one of its programs as the command runs it.
func (c *Cyrus) Prog(name string) string { return filepath.Join(c.Bin, name) }

// Command prepares prog (a path valid inside Root: one of Cyrus's
// programs, or anything under /tmp such as our binary) with args.
func (c *Cyrus) Command(prog string, args ...string) *exec.Cmd {
	if c.Root == "" {
		return exec.Command(prog, args...)
	}
	a := append([]string{"--mount", "--propagation", "private", "--", "/bin/sh", "-c", chrootScript, "sh", c.Root, prog}, args...)
	return exec.Command("unshare", a...)
}

// Run runs prog (see Command) and returns what it did.
func (c *Cyrus) Run(t testing.TB, stdin []byte, prog string, args ...string) Result {
	t.Helper()
	return runCmd(t, c.Command(prog, args...), stdin)
}

// Tool runs Cyrus's program name with args (no -C added).
func (c *Cyrus) Tool(t testing.TB, name string, args ...string) Result {
	t.Helper()
	return c.Run(t, nil, c.Prog(name), args...)
}

// SaslPasswd runs saslpasswd2 of this installation.
func (c *Cyrus) SaslPasswd(t testing.TB, db, realm, name, password string) {
	t.Helper()
	prog := "saslpasswd2"
	if c.Root != "" {
		prog = "/usr/sbin/saslpasswd2"
	}
	res := c.Run(t, []byte(password), prog, "-p", "-c", "-f", db, "-u", realm, name)
	if res.Code != 0 {
		t.Fatalf("saslpasswd2 %s (Cyrus %s): exit %d %s%s", name, c.Version, res.Code, res.Stdout, res.Stderr)
	}
}

// annotStorageName is the IMAP quota resource of annotation storage as
// in's Cyrus names it in SETQUOTA: 3.10 takes only RFC 9208's name.
//
// cyrus: imap/quota_db.c quota_names, legacy_quota_names (3.6.1, 3.10.2)
func annotStorageName(in *Instance) string {
	if in.Cyrus.Version == V310 {
		return "ANNOTATION-STORAGE"
	}
	return "X-ANNOTATION-STORAGE"
}
