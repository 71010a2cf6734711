package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var (
	debOnce sync.Once
	debPath string
	debErr  error
)

// ourDeb builds our package once per run (make deb's script) and returns
// its path.
func ourDeb(t *testing.T) string {
	t.Helper()
	debOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cyrepl-deb-")
		if err != nil {
			debErr = err
			return
		}
		out, err := exec.Command("sh", "../scripts/deb.sh", dir).CombinedOutput()
		if err != nil {
			debErr = err
			debPath = string(out)
			return
		}
		debPath = strings.TrimSpace(string(out[strings.LastIndexByte(strings.TrimSpace(string(out)), '\n')+1:]))
	})
	if debErr != nil {
		t.Fatalf("scripts/deb.sh: %v\n%s", debErr, debPath)
	}
	return debPath
}

func sh(t *testing.T, cmd string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return string(out)
}

// TestDebianPackageContents: the package holds the binary (0755), a link
// to it for every applet in /usr/lib/cyrus/bin, a man page for each
// (also under Debian's cyrus-<program> names), copyright and changelog;
// its control fields take Debian's cyrus-replication's place and depend
// on the cyrus-common it is compatible with; lintian finds no error.
func TestDebianPackageContents(t *testing.T) {
	deb := ourDeb(t)
	if !regexp.MustCompile(`/cyrus-replication_[0-9][^_]*_amd64\.deb$`).MatchString(deb) {
		t.Errorf("package file name %s", deb)
	}
	info := sh(t, "dpkg-deb --info "+deb)
	for _, f := range []string{"Package: cyrus-replication", "Conflicts: cyrus-replication", "Replaces: cyrus-replication",
		"Provides: cyrus-replication", "Depends: cyrus-common (>= 3.6.1), cyrus-common (<< 3.7~) | cyrus-common (>= 3.10~), cyrus-common (<< 3.11~)", "Architecture: amd64"} {
		if !strings.Contains(info, " "+f+"\n") {
			t.Errorf("control field %q missing:\n%s", f, info)
		}
	}
	contents := sh(t, "dpkg-deb --contents "+deb)
	want := []string{
		`-rwxr-xr-x root/root .* \./usr/lib/cyrus/bin/cyrus-replication`,
		`lrwxrwxrwx root/root .* \./usr/sbin/cyrus-replication -> \.\./lib/cyrus/bin/cyrus-replication`,
		`-rw-r--r-- root/root .* \./usr/share/doc/cyrus-replication/copyright`,
		`-rw-r--r-- root/root .* \./usr/share/doc/cyrus-replication/changelog\.gz`,
		`-rw-r--r-- root/root .* \./usr/share/man/man8/cyrus-replication\.8\.gz`,
	}
	for _, a := range []string{"sync_client", "sync_server", "sync_reset", "cyr_synclog"} {
		want = append(want, `lrwxrwxrwx root/root .* \./usr/lib/cyrus/bin/`+a+` -> cyrus-replication`,
			`-rw-r--r-- root/root .* \./usr/share/man/man8/`+a+`\.8\.gz`,
			`lrwxrwxrwx root/root .* \./usr/share/man/man8/cyrus-`+a+`\.8\.gz -> `+a+`\.8\.gz`)
	}
	for _, w := range want {
		if !regexp.MustCompile(`(?m)^` + w + `$`).MatchString(contents) {
			t.Errorf("no entry like %s in:\n%s", w, contents)
		}
	}
	if _, err := exec.LookPath("lintian"); err != nil {
		if os.Geteuid() != 0 {
			t.Fatalf("lintian missing: as root, apt-get install lintian")
		}
		sh(t, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends lintian")
	}
	out, err := exec.Command("lintian", "--fail-on", "error,warning", deb).CombinedOutput()
	if err != nil {
		t.Errorf("lintian: %v\n%s", err, out)
	}
}

// debianVersion is the installed version of Debian's cyrus-replication,
// "" if it is not installed (or ours is).
func installedVersion(t *testing.T) string {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Status} ${Version}", "cyrus-replication").Output()
	if err != nil || !strings.HasPrefix(string(out), "install ok installed ") {
		return ""
	}
	return strings.TrimPrefix(string(out), "install ok installed ")
}

// TestDebianPackageInstall installs our package over Debian's
// cyrus-replication: Cyrus's master then runs our sync_server from
// /usr/lib/cyrus/bin, our sync_client there replicates a user, both sides
// agree over IMAP. Removing it leaves Cyrus running without replication
// programs; reinstalling Debian's brings Cyrus's programs back, and they
// replicate. Whatever happens, the test ends with Debian's package
// installed again (other tests run /usr/lib/cyrus/bin/sync_client).
func TestDebianPackageInstall(t *testing.T) {
	RequireCyrus(t)
	deb := ourDeb(t)
	ver := installedVersion(t)
	if strings.HasPrefix(ver, "1:") {
		// ours, left by a run that died before its clean-up: Debian's back first
		sh(t, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades cyrus-replication=$(apt-cache policy cyrus-replication | sed -n 's/^ *Candidate: //p')")
		ver = installedVersion(t)
	}
	if ver == "" || strings.Contains(ver, ":") {
		t.Fatalf("Debian's cyrus-replication is not installed (found %q): %s", ver, InstallHint)
	}
	// Debian's package first, so that it can always be put back.
	dl := t.TempDir()
	os.Chmod(dl, 0o755) // apt-get download runs as _apt
	cmd := exec.Command("apt-get", "download", "cyrus-replication="+ver)
	cmd.Dir = dl
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apt-get download cyrus-replication=%s: %v\n%s", ver, err, out)
	}
	theirs, _ := filepath.Glob(filepath.Join(dl, "cyrus-replication_*.deb"))
	if len(theirs) != 1 {
		t.Fatalf("downloaded: %q", theirs)
	}
	t.Cleanup(func() {
		if installedVersion(t) != ver {
			if out, err := exec.Command("dpkg", "-i", theirs[0]).CombinedOutput(); err != nil {
				t.Errorf("restoring Debian's cyrus-replication %s: %v\n%s", ver, err, out)
			}
		}
		if v := installedVersion(t); v != ver {
			t.Errorf("Debian's cyrus-replication %s not restored: %q installed", ver, v)
		}
	})
	healthyDpkg := func(when string) {
		t.Helper()
		if out := sh(t, "dpkg --audit; apt-get check -q 2>&1 | grep -v '^Reading\\|^Building' || true"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: dpkg --audit / apt-get check:\n%s", when, out)
		}
	}
	cyrusProgram := func(name string) bool {
		fi, err := os.Lstat(filepath.Join(CyrusBin, name))
		return err == nil && fi.Mode().IsRegular()
	}

	// ours over Debian's
	sh(t, "dpkg -i "+deb)
	if v := installedVersion(t); !strings.HasPrefix(v, "1:") {
		t.Fatalf("after dpkg -i ours: version %q", v)
	}
	healthyDpkg("ours installed")
	for _, a := range []string{"sync_client", "sync_server", "sync_reset", "cyr_synclog"} {
		if target, err := os.Readlink(filepath.Join(CyrusBin, a)); err != nil || target != "cyrus-replication" {
			t.Errorf("%s/%s: %q %v", CyrusBin, a, target, err)
		}
		if out := sh(t, "man -w "+a+" cyrus-"+a); strings.Count(out, "\n") != 2 {
			t.Errorf("man -w %s cyrus-%s: %s", a, a, out)
		}
	}
	if out := sh(t, CyrusBin+"/sync_client --help"); !strings.Contains(out, "(ours)") {
		t.Errorf("%s/sync_client is not ours:\n%s", CyrusBin, out)
	}
	p := NewPair(t) // the replica's csync service: /usr/lib/cyrus/bin/sync_server, ours now
	p.AddUser(t, "alice")
	p.Master.Deliver(t, "alice", 3)
	create(t, p.Master, "alice", "Archive")
	if res := p.CyrusSync(t, "-u", "alice"); res.Code != 0 { // /usr/lib/cyrus/bin/sync_client: ours
		t.Fatalf("installed sync_client -u alice: %+v", res)
	}
	SameUser(t, p.Master, p.Replica, "alice")
	p.Master.Stop()
	p.Replica.Stop()

	// removed
	sh(t, "dpkg -r cyrus-replication")
	healthyDpkg("ours removed")
	for _, a := range []string{"sync_client", "sync_server", "sync_reset", "cyr_synclog", "cyrus-replication"} {
		if _, err := os.Lstat(filepath.Join(CyrusBin, a)); !os.IsNotExist(err) {
			t.Errorf("after dpkg -r: %s/%s: %v", CyrusBin, a, err)
		}
	}
	in := NewInstance(t, TempDir(t), "alone")
	in.SyncServer = "/bin/true" // no sync_server now: the csync port only has to listen
	in.WriteConfigs(t)
	in.Start(t) // Cyrus itself still runs: imapd, lmtpd
	in.CreateUser(t, "bob")
	in.Deliver(t, "bob", 1)
	in.Stop()

	// Debian's back
	sh(t, "dpkg -i "+theirs[0])
	if v := installedVersion(t); v != ver {
		t.Fatalf("after reinstalling Debian's: version %q, want %s", v, ver)
	}
	healthyDpkg("Debian's reinstalled")
	if out, err := exec.Command("dpkg", "-V", "cyrus-replication").CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("dpkg -V cyrus-replication: %v\n%s", err, out)
	}
	for _, a := range []string{"sync_client", "sync_server", "sync_reset", "cyr_synclog"} {
		if !cyrusProgram(a) {
			t.Errorf("%s/%s is not Cyrus's program", CyrusBin, a)
		}
	}
	q := NewPair(t)
	q.AddUser(t, "carol")
	q.Master.Deliver(t, "carol", 2)
	if res := q.CyrusSync(t, "-u", "carol"); res.Code != 0 {
		t.Fatalf("Cyrus's sync_client -u carol: %+v", res)
	}
	SameUser(t, q.Master, q.Replica, "carol")
}
