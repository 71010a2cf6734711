package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// demo is one run: a master and a replica under dir, our programs run as
// runAs.
type demo struct {
	bin, dir string
	// runAs is the cyrus_user of both configurations: the current user,
	// or, as root (our programs refuse to serve as root), cyrus or nobody.
	runAs    *user.User
	addr     string
	server   *exec.Cmd
	serverIO bytes.Buffer
	// exited is closed once the server has been waited for.
	exited chan struct{}
}

func run(bin, fixture string, keep bool) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("our binary: %w (make build)", err)
	}
	dir, err := os.MkdirTemp("", "cyrepl-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	d := &demo{bin: bin, dir: dir}
	if d.runAs, err = runAsUser(); err != nil {
		return err
	}
	if err := d.prepare(fixture); err != nil {
		return err
	}
	if err := d.startServer(); err != nil {
		return err
	}
	defer d.stopServer()

	fmt.Printf("--- replication without Cyrus: our sync_client -A into our sync_server --listen %s\n", d.addr)
	fmt.Printf("master: a spool Cyrus 3.6 made (%s), copied to %s\n", fixture, d.path("master"))
	fmt.Printf("replica: empty, %s\n\n", d.path("replica"))
	out, err := d.syncClient()
	fmt.Printf("$ sync_client -C master/imapd.conf -v -A\n%s\n", indent(out))
	if err != nil {
		return err
	}
	master, err := readSpool(d.conf("master"))
	if err != nil {
		return fmt.Errorf("reading the master: %w", err)
	}
	replica, err := readSpool(d.conf("replica"))
	if err != nil {
		return fmt.Errorf("reading the replica: %w", err)
	}
	fmt.Printf("--- the replica, read back by our spool reader:\n%s\n", indent(replica.Summary()))
	if diff := lineDiff(master.Detail(), replica.Detail()); diff != "" {
		return fmt.Errorf("the replica differs from the master:\n%s", diff)
	}
	fmt.Printf("master and replica are the same: %s\n\n", replica.Checked())

	out, err = d.syncClient()
	fmt.Printf("$ sync_client -C master/imapd.conf -v -A   (again)\n%s\n", indent(out))
	if err != nil {
		return err
	}
	again, err := readSpool(d.conf("replica"))
	if err != nil {
		return fmt.Errorf("reading the replica: %w", err)
	}
	if diff := lineDiff(replica.Detail(), again.Detail()); diff != "" {
		return fmt.Errorf("the second run changed the replica:\n%s", diff)
	}
	fmt.Println("the second run found nothing to send: the replica is unchanged (same modseqs)")
	return nil
}

func (d *demo) path(elem ...string) string { return filepath.Join(append([]string{d.dir}, elem...)...) }
func (d *demo) conf(side string) string    { return d.path(side, "imapd.conf") }

// runAsUser is the user our programs run as: the current one, or as
// root cyrus (or nobody) since they refuse to serve as root.
func runAsUser() (*user.User, error) {
	if os.Geteuid() != 0 {
		return user.Current()
	}
	for _, name := range []string{"cyrus", "nobody"} {
		if u, err := user.Lookup(name); err == nil {
			return u, nil
		}
	}
	return nil, fmt.Errorf("running as root, and neither cyrus nor nobody exists to run our programs as")
}

// prepare copies the master, makes an empty replica, and writes both
// configurations: the master's replicates to the replica's address.
func (d *demo) prepare(fixture string) error {
	master := d.path("master")
	if err := copyTree(fixture, master); err != nil {
		return fmt.Errorf("copy %s: %w", fixture, err)
	}
	for _, sub := range []string{"conf", "spool", "sieve"} {
		if err := os.MkdirAll(d.path("replica", sub), 0o750); err != nil {
			return err
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	d.addr = "127.0.0.1:" + strconv.Itoa(port)
	b, err := os.ReadFile(filepath.Join(master, "imapd.conf"))
	if err != nil {
		return err
	}
	mconf := rewriteConf(strings.ReplaceAll(string(b), "@DIR@", master), d.runAs.Username) +
		"sync_host: 127.0.0.1\nsync_port: " + strconv.Itoa(port) + "\nsync_try_imap: 0\n" +
		"sync_authname: admin\nsync_password: demo\n"
	if err := os.WriteFile(d.conf("master"), []byte(mconf), 0o644); err != nil {
		return err
	}
	// The replica takes any password (libsasl's alwaystrue): a demo on
	// loopback needs no SASL database.
	r := d.path("replica")
	rconf := fmt.Sprintf("configdirectory: %s/conf\ndefaultpartition: default\npartition-default: %s/spool\n"+
		"sievedir: %s/sieve\nservername: replica.cyrepl.test\ncyrus_user: %s\nadmins: admin\n"+
		"allowplaintext: yes\nsasl_pwcheck_method: alwaystrue\nsasl_mech_list: PLAIN\naltnamespace: yes\n"+
		"unixhierarchysep: yes\nvirtdomains: off\nhashimapspool: false\ndelete_mode: delayed\nexpunge_mode: delayed\n",
		r, r, r, d.runAs.Username)
	if err := os.WriteFile(d.conf("replica"), []byte(rconf), 0o644); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		return chownTree(d.dir, d.runAs)
	}
	return nil
}

// rewriteConf makes the fixture's configuration run as user.
func rewriteConf(conf, user string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(conf, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "cyrus_user:"):
			l = "cyrus_user: " + user
		case strings.HasPrefix(l, "cyrus_group:"):
			continue // the user's own group
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n"
}

func (d *demo) startServer() error {
	d.server = exec.Command(d.bin, "sync_server", "-C", d.conf("replica"), "--listen", d.addr)
	d.server.Stdout, d.server.Stderr = &d.serverIO, &d.serverIO
	if err := d.server.Start(); err != nil {
		return fmt.Errorf("sync_server: %w", err)
	}
	d.exited = make(chan struct{})
	var waitErr error
	go func() { waitErr = d.server.Wait(); close(d.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", d.addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("our sync_server --listen %s ended: %v\n%s", d.addr, waitErr, d.serverIO.String())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("our sync_server does not accept on %s: %v", d.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopServer sends TERM, as an administrator would, and waits (10 s,
// then KILL).
func (d *demo) stopServer() {
	if d.server == nil || d.server.Process == nil {
		return
	}
	d.server.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
		d.server.Process.Kill()
		<-d.exited
	}
}

func (d *demo) syncClient() (string, error) {
	cmd := exec.Command(d.bin, "sync_client", "-C", d.conf("master"), "-v", "-A")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("sync_client -A: %v", err)
	}
	return string(out), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// copyTree copies a directory of regular files and symlinks.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case de.IsDir():
			return os.MkdirAll(to, 0o750)
		case de.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o640)
	})
}

func chownTree(dir string, u *user.User) error {
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (nothing)\n"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}

// lineDiff lists the lines only one side has ("-" master, "+" replica),
// "" when both are the same.
func lineDiff(a, b string) string {
	if a == b {
		return ""
	}
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	in := func(l []string) map[string]int {
		m := map[string]int{}
		for _, x := range l {
			m[x]++
		}
		return m
	}
	am, bm := in(al), in(bl)
	var out []string
	for _, x := range al {
		if bm[x] == 0 {
			out = append(out, "- "+x)
		}
	}
	for _, x := range bl {
		if am[x] == 0 {
			out = append(out, "+ "+x)
		}
	}
	if len(out) == 0 {
		return "(same lines, another order)"
	}
	return strings.Join(out, "\n")
}
