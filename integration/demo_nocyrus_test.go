package integration

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeDemoWithoutCyrus runs `make demo` as it runs on a fresh machine:
// an unprivileged user (nobody), Cyrus's programs neither in PATH nor in
// the Cyrus bin directory (CYRUS_BIN is an empty directory), a copy of
// the tree of its own (its modules vendored, so no network is needed).
// The first run compiles; the second must pass in under 30 s. Then
// `make deb` builds the package there too, as nobody, without network.
func TestMakeDemoWithoutCyrus(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatalf("this test switches to the user nobody: run it as root (%s)", InstallHint)
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	base := TempDir(t)
	tree := filepath.Join(base, "tree")
	files, err := exec.Command("git", "-C", "..", "ls-files", "-co", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, f := range strings.Fields(string(files)) {
		if strings.HasPrefix(f, "integration/") {
			continue
		}
		if err := copyFile(filepath.Join("..", f), filepath.Join(tree, f)); err != nil {
			t.Fatal(err)
		}
	}
	vendor := exec.Command("go", "mod", "vendor")
	vendor.Dir = tree
	vendor.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	if out, err := vendor.CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor: %v\n%s", err, out)
	}
	emptyBin := filepath.Join(base, "cyrus-bin")
	for _, d := range []string{emptyBin, filepath.Join(base, "home"), filepath.Join(base, "tmp")} {
		os.MkdirAll(d, 0o755)
	}
	sh(t, "chown -R "+nobody.Uid+":"+nobody.Gid+" "+base)
	path := "/usr/local/go/bin:/usr/bin:/bin"
	for _, p := range []string{"master", "sync_client", "sync_server", "cyr_synclog", "ctl_mboxlist", "cyrus"} {
		for _, d := range filepath.SplitList(path) {
			if _, err := os.Stat(filepath.Join(d, p)); err == nil {
				t.Fatalf("Cyrus's %s is in PATH (%s)", p, d)
			}
		}
	}
	asNobody := func(target string) (string, time.Duration, error) {
		cmd := exec.Command("make", target)
		cmd.Dir = tree
		cmd.Env = []string{"PATH=" + path, "HOME=" + filepath.Join(base, "home"), "TMPDIR=" + filepath.Join(base, "tmp"),
			"GOCACHE=" + filepath.Join(base, "home", "gocache"), "GOPATH=" + filepath.Join(base, "home", "go"),
			"GOPROXY=off", "GOTOOLCHAIN=local", "CYRUS_BIN=" + emptyBin, "LANG=C.UTF-8"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		start := time.Now()
		out, err := cmd.CombinedOutput()
		return string(out), time.Since(start), err
	}
	out, took, err := asNobody("demo")
	if err != nil {
		t.Fatalf("make demo (first run, compiling) as nobody: %v\n%s", err, out)
	}
	// an empty build cache: the standard library and our tree compiled
	t.Logf("make demo as nobody, first run (compiling): %.1f s", took.Seconds())
	out, took, err = asNobody("demo")
	if err != nil {
		t.Fatalf("make demo as nobody: %v\n%s", err, out)
	}
	t.Logf("make demo as nobody without Cyrus: %.1f s\n%s", took.Seconds(), out)
	if took > 30*time.Second {
		t.Errorf("make demo took %v, more than 30 s", took)
	}
	for _, want := range []string{"read back (cyrus-replication synclog-show)", "master and replica are the same:",
		"the second run found nothing to send", "needs root and Cyrus"} {
		if !strings.Contains(out, want) {
			t.Errorf("make demo's output lacks %q", want)
		}
	}
	out, took, err = asNobody("deb")
	if err != nil {
		t.Fatalf("make deb as nobody: %v\n%s", err, out)
	}
	t.Logf("make deb as nobody: %.1f s", took.Seconds())
	if debs, _ := filepath.Glob(filepath.Join(tree, "cyrus-replication_*_amd64.deb")); len(debs) != 1 {
		t.Errorf("make deb as nobody made %q", debs)
	}
}

func copyFile(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, fi.Mode().Perm())
}
