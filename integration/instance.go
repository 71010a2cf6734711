package integration

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// Instance is one real Cyrus server (3.6 on the host, or 3.10 chrooted in
// the trixie root) on loopback, in its own directory with its own ports,
// run by Cyrus's master. Gotchas it takes care of:
// everything owned by cyrus:mail, -C on every cyrus.conf command (master
// does not pass it on), the directories master expects, unix socket paths
// under ~100 bytes, no option given twice.
type Instance struct {
	// Name is "master", "replica" ...; also the servername's first label.
	Name string
	// Cyrus is the installation it runs: its programs, and for 3.10 the
	// chroot every program run for the instance goes through.
	Cyrus *Cyrus
	// Dir holds everything: imapd.conf, cyrus.conf, conf/, spool/.
	Dir string
	// IMAPPort, LMTPPort, SievePort, CSyncPort are the loopback ports.
	IMAPPort, LMTPPort, SievePort, CSyncPort int
	// Extra are imapd.conf lines added at the end; a key given here
	// replaces the template's line for it.
	Extra []string
	// SyncServer is the program the csync service runs (Cyrus's by default).
	SyncServer string
	// ClientTLS, if set, makes IMAP use STARTTLS (for instances that allow
	// no plaintext login).
	ClientTLS *tls.Config
	// Services are more cyrus.conf SERVICES lines (WriteConfigs them
	// before Start).
	Services []string

	pid int
}

// Admin and sync users every instance knows (SASL, realm = servername).
const (
	AdminUser     = "admin"
	AdminPassword = "adminpass"
	SyncUser      = "repluser"
	SyncPassword  = "replpass"
	UserPassword  = "pass"
)

// ServerName is the instance's servername, also its SASL realm.
func (in *Instance) ServerName() string { return in.Name + ".cyrepl.test" }

// Conf is the path of the instance's imapd.conf.
func (in *Instance) Conf() string { return filepath.Join(in.Dir, "imapd.conf") }

// ConfigDir is its configdirectory.
func (in *Instance) ConfigDir() string { return filepath.Join(in.Dir, "conf") }

// NewInstance prepares (but does not start) an instance under base, of
// the version $CYREPL_CYRUS gives a master.
func NewInstance(t testing.TB, base, name string, extra ...string) *Instance {
	t.Helper()
	return NewInstanceOf(t, DefaultCyrus(t), base, name, extra...)
}

// NewReplicaInstance is NewInstance of the version $CYREPL_CYRUS gives a
// replica (for tests that build their pair by hand).
func NewReplicaInstance(t testing.TB, base, name string, extra ...string) *Instance {
	t.Helper()
	_, r, err := PairVersions()
	if err != nil {
		t.Fatal(err)
	}
	return NewInstanceOf(t, CyrusFor(t, r), base, name, extra...)
}

// NewInstanceOf is NewInstance running installation c.
func NewInstanceOf(t testing.TB, c *Cyrus, base, name string, extra ...string) *Instance {
	t.Helper()
	in := &Instance{Name: name, Cyrus: c, Dir: filepath.Join(base, name), Extra: extra,
		IMAPPort: FreePort(t), LMTPPort: FreePort(t), SievePort: FreePort(t), CSyncPort: FreePort(t),
		SyncServer: c.Prog("sync_server")}
	if sock := filepath.Join(in.ConfigDir(), "socket", "lmtp"); len(sock) >= 100 {
		t.Fatalf("instance dir too long for a unix socket path: %s", sock)
	}
	for _, d := range []string{"conf/db", "conf/lock", "conf/proc", "conf/socket", "conf/sync", "conf/log", "conf/msg", "spool", "sieve"} {
		if err := os.MkdirAll(filepath.Join(in.Dir, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	in.writeConfigs(t)
	for _, u := range []string{AdminUser + ":" + AdminPassword, SyncUser + ":" + SyncPassword} {
		in.AddSASLUser(t, strings.Split(u, ":")[0], strings.Split(u, ":")[1])
	}
	Chown(t, in.Dir)
	os.Chmod(in.Dir, 0o750)
	return in
}

// imapdConf returns the instance's imapd.conf lines, Extra applied.
func (in *Instance) imapdConf() []string {
	lines := []string{
		"configdirectory: " + in.ConfigDir(),
		"defaultpartition: default",
		"partition-default: " + filepath.Join(in.Dir, "spool"),
		"sievedir: " + filepath.Join(in.Dir, "sieve"),
		"proc_path: " + filepath.Join(in.ConfigDir(), "proc"),
		"mboxname_lockpath: " + filepath.Join(in.ConfigDir(), "lock"),
		"lmtpsocket: " + filepath.Join(in.ConfigDir(), "socket", "lmtp"),
		"idlesocket: " + filepath.Join(in.ConfigDir(), "socket", "idle"),
		"notifysocket: " + filepath.Join(in.ConfigDir(), "socket", "notify"),
		"servername: " + in.ServerName(),
		"syslog_prefix: cyrepl-" + in.Name,
		"cyrus_user: cyrus",
		"cyrus_group: mail",
		"admins: " + AdminUser + " " + SyncUser,
		"allowplaintext: yes",
		"sasl_pwcheck_method: auxprop",
		"sasl_auxprop_plugin: sasldb",
		"sasl_sasldb_path: " + filepath.Join(in.ConfigDir(), "sasldb2"),
		"sasl_mech_list: PLAIN LOGIN",
		"altnamespace: yes",
		"unixhierarchysep: yes",
		"virtdomains: off",
		"hashimapspool: false",
		"lmtp_downcase_rcpt: yes",
		"duplicatesuppression: 0",
		"delete_mode: delayed",
		"expunge_mode: delayed",
		"tls_required: no",
	}
	override := map[string]bool{}
	for _, l := range in.Extra {
		if k, _, ok := strings.Cut(l, ":"); ok {
			override[strings.ToLower(strings.TrimSpace(k))] = true
		}
	}
	var out []string
	for _, l := range lines {
		k, _, _ := strings.Cut(l, ":")
		if !override[k] {
			out = append(out, l)
		}
	}
	return append(out, in.Extra...)
}

// WriteConfigs rewrites imapd.conf and cyrus.conf after a change to
// Extra, SyncServer or Services.
func (in *Instance) WriteConfigs(t testing.TB) {
	t.Helper()
	in.writeConfigs(t)
	Chown(t, in.Dir)
}

// CSyncSocket is where a Services line may put a UNIX-socket csync
// listener (a peer there is the admin cyrus_user, no login).
func (in *Instance) CSyncSocket() string { return filepath.Join(in.ConfigDir(), "socket", "csync") }

func (in *Instance) writeConfigs(t testing.TB) {
	WriteConf(t, in.Conf(), in.imapdConf()...)
	c := in.Conf()
	cyrusConf := fmt.Sprintf(`START {
  recover cmd="ctl_cyrusdb -C %[1]s -r"
}
SERVICES {
  imap     cmd="imapd -C %[1]s" listen="127.0.0.1:%[2]d" prefork=0 maxchild=20
  lmtp     cmd="lmtpd -C %[1]s -a" listen="127.0.0.1:%[3]d" prefork=0 maxchild=10
  lmtpunix cmd="lmtpd -C %[1]s" listen="%[4]s" prefork=0 maxchild=10
  sieve    cmd="timsieved -C %[1]s" listen="127.0.0.1:%[5]d" prefork=0 maxchild=10
  csync    cmd="%[6]s -C %[1]s" listen="127.0.0.1:%[7]d" prefork=0 maxchild=10
%[8]s}
EVENTS {
  checkpoint cmd="ctl_cyrusdb -C %[1]s -c" period=30
}
DAEMON {
}
`, c, in.IMAPPort, in.LMTPPort, filepath.Join(in.ConfigDir(), "socket", "lmtp"), in.SievePort, in.SyncServer, in.CSyncPort,
		servicesBlock(in.Services))
	if err := os.WriteFile(filepath.Join(in.Dir, "cyrus.conf"), []byte(cyrusConf), 0o644); err != nil {
		t.Fatal(err)
	}
}

func servicesBlock(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// AddSASLUser adds a SASL user to the instance's sasldb.
func (in *Instance) AddSASLUser(t testing.TB, name, password string) {
	t.Helper()
	in.Cyrus.SaslPasswd(t, filepath.Join(in.ConfigDir(), "sasldb2"), in.ServerName(), name, password)
	Chown(t, filepath.Join(in.ConfigDir(), "sasldb2"))
}

// Start starts the instance's master and waits until every service answers;
// the test's cleanup stops it.
func (in *Instance) Start(t testing.TB) {
	t.Helper()
	pidfile := filepath.Join(in.Dir, "master.pid")
	os.Remove(pidfile)
	os.Remove(filepath.Join(in.ConfigDir(), "socket", "lmtp"))
	res := in.Cyrus.Run(t, nil, in.Cyrus.Prog("master"), "-C", in.Conf(), "-M", filepath.Join(in.Dir, "cyrus.conf"),
		"-p", pidfile, "-d", "-L", filepath.Join(in.Dir, "master.log"))
	if res.Code != 0 {
		t.Fatalf("master %s (Cyrus %s): exit %d: %s", in.Name, in.Cyrus.Version, res.Code, res.Stderr)
	}
	t.Cleanup(func() { in.Stop() })
	for _, p := range []int{in.IMAPPort, in.LMTPPort, in.SievePort, in.CSyncPort} {
		if err := WaitPort(p, 30*time.Second); err != nil {
			t.Fatalf("%s did not come up: %v (see %s/master.log)", in.Name, err, in.Dir)
		}
	}
	for i := 0; i < 100 && in.pid == 0; i++ {
		b, _ := os.ReadFile(pidfile)
		in.pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops master (and so its services); after 10 s it is killed.
func (in *Instance) Stop() {
	if in.pid == 0 {
		return
	}
	p, err := os.FindProcess(in.pid)
	if err == nil && p.Signal(syscall.SIGTERM) == nil {
		for i := 0; i < 100; i++ {
			if p.Signal(syscall.Signal(0)) != nil || zombie(in.pid) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if p.Signal(syscall.Signal(0)) == nil && !zombie(in.pid) {
			p.Signal(syscall.SIGKILL)
		}
	}
	in.pid = 0
}

func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z' || s[i+2] == 'X'
}

// Tool runs one of Cyrus's programs against this instance (-C added).
func (in *Instance) Tool(t testing.TB, prog string, args ...string) Result {
	t.Helper()
	return in.Cyrus.Tool(t, prog, append([]string{"-C", in.Conf()}, args...)...)
}

// Run runs prog (a path under /tmp, such as our binary, or one of the
// instance's Cyrus's programs) where the instance's Cyrus runs: on the
// host, or chrooted in the trixie root.
func (in *Instance) Run(t testing.TB, stdin []byte, prog string, args ...string) Result {
	t.Helper()
	return in.Cyrus.Run(t, stdin, prog, args...)
}

// LoadConf reads the instance's imapd.conf as its Cyrus's version reads
// it: what our spool then writes (index version, dav.db schema …) is what
// that Cyrus writes.
func (in *Instance) LoadConf(t testing.TB, ident string, need conf.Need) *conf.Config {
	t.Helper()
	v, err := conf.ParseVersion(string(in.Cyrus.Version))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.LoadVersion(in.Conf(), ident, need, v)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
