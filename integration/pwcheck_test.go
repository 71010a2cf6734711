package integration

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/protocol/pwcheck"
)

// The password checks of protocol/pwcheck against the real thing: sasldbs
// written by Debian's saslpasswd2 and listed by its sasldblistusers2, and
// the logins real Cyrus 3.6's sync_server accepts or refuses under the
// same imapd.conf.

// requireSaslTools fails unless Debian's sasl2-bin and db5.3-util are here.
func requireSaslTools(t *testing.T) {
	t.Helper()
	for _, p := range []string{"saslpasswd2", "sasldblistusers2", "db5.3_load"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s missing: %s (and db5.3-util)", p, InstallHint)
		}
	}
}

// saslpasswd sets user@realm's password in db (deletes it if pw is nil).
func saslpasswd(t *testing.T, db, realm, user string, pw []byte) {
	t.Helper()
	op := "-c"
	if pw == nil {
		op, pw = "-d", []byte{}
	}
	res := Run(t, pw, "saslpasswd2", "-p", op, "-f", db, "-u", realm, user)
	if res.Code != 0 {
		t.Fatalf("saslpasswd2 %s@%s: exit %d %s", user, realm, res.Code, res.Stderr)
	}
}

// For sasldbs of 1 to 200 users written by saslpasswd2 (some deleted, some
// passwords changed, long ones, binary ones), our listing is
// sasldblistusers2's, and our checker accepts exactly the passwords set.
func TestPwcheckSasldbTools(t *testing.T) {
	requireSaslTools(t)
	rng := rand.New(rand.NewSource(36))
	dir := t.TempDir()
	t.Setenv("SASL_CONF_PATH", dir)
	for round, n := range []int{1, 30, 200} {
		db := filepath.Join(dir, fmt.Sprintf("sasldb%d", round))
		realms := []string{"server.test", "realm.test", "Other.Test"}
		passwords := map[string][]byte{} // user@realm -> password
		var names []string
		for i := 0; i < n; i++ {
			user := randName(rng, i)
			realm := realms[rng.Intn(len(realms))]
			pw := randPassword(rng)
			saslpasswd(t, db, realm, user, pw)
			passwords[user+"@"+realm] = pw
			names = append(names, user+"@"+realm)
		}
		// change some passwords, delete others
		for i := 0; i < n/5; i++ {
			name := names[rng.Intn(len(names))]
			user, realm, _ := strings.Cut(name, "@")
			if rng.Intn(2) == 0 {
				pw := randPassword(rng)
				saslpasswd(t, db, realm, user, pw)
				passwords[name] = pw
			} else if _, ok := passwords[name]; ok {
				saslpasswd(t, db, realm, user, nil)
				delete(passwords, name)
			}
		}
		res := Run(t, nil, "sasldblistusers2", "-f", db)
		if res.Code != 0 {
			t.Fatalf("sasldblistusers2: exit %d %s", res.Code, res.Stderr)
		}
		entries, bad, err := pwcheck.ListSasldb(db)
		if err != nil || bad != 0 {
			t.Fatalf("ListSasldb: %v, %d malformed", err, bad)
		}
		var ours strings.Builder
		for _, e := range entries {
			ours.WriteString(e.String() + "\n")
		}
		if ours.String() != res.Stdout {
			t.Fatalf("round %d: ours:\n%s\nsasldblistusers2:\n%s", round, ours.String(), res.Stdout)
		}
		if len(entries) != len(passwords) {
			t.Fatalf("round %d: %d entries, %d users set", round, len(entries), len(passwords))
		}

		c := newOurChecker(t, dir, "servername: server.test", "username_tolower: no", "sasl_sasldb_path: "+db,
			"loginrealms: "+strings.Join(realms, " "))
		ctx := context.Background()
		for name, pw := range passwords {
			if err := c.CheckPassword(ctx, "", name, string(pw)); err != nil {
				t.Errorf("round %d: %s refused its password %q: %v", round, name, pw, err)
			}
			if err := c.CheckPassword(ctx, "", name, string(pw)+"x"); err == nil {
				t.Errorf("round %d: %s accepted a wrong password", round, name)
			}
			if !strings.Contains(name, "@Other.Test") {
				continue
			}
			// realms are compared as they are
			if err := c.CheckPassword(ctx, "", strings.Replace(name, "@Other.Test", "@other.test", 1), string(pw)); err == nil {
				t.Errorf("round %d: %s accepted in realm other.test", round, name)
			}
		}
	}
}

func randName(rng *rand.Rand, i int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+"
	b := make([]byte, 1+rng.Intn(20))
	for j := range b {
		b[j] = chars[rng.Intn(len(chars))]
	}
	return fmt.Sprintf("%s%d", b, i)
}

// randPassword is what saslpasswd2 -p stores as given: up to 2000 bytes,
// no NUL (a C string is compared), not ending in a newline (removed).
func randPassword(rng *rand.Rand) []byte {
	n := 1 + rng.Intn(30)
	if rng.Intn(10) == 0 {
		n = 1000 + rng.Intn(1000) // an overflow item
	}
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(1 + rng.Intn(255))
	}
	if b[n-1] == '\n' {
		b[n-1] = 'n'
	}
	return b
}

// newOurChecker loads an imapd.conf of lines (configdirectory added).
func newOurChecker(t *testing.T, dir string, lines ...string) *pwcheck.Checker {
	t.Helper()
	p := filepath.Join(dir, "imapd.conf")
	WriteConf(t, p, append([]string{"configdirectory: " + dir}, lines...)...)
	cfg, err := conf.Load(p, "csync", 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pwcheck.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// csyncAuth logs in to a sync_server on port with mech (PLAIN with an
// initial response, or LOGIN) and returns its last line.
func csyncAuth(port int, mech, user, pass string) (string, error) {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	line := func() (string, error) {
		l, err := r.ReadString('\n')
		return strings.TrimRight(l, "\r\n"), err
	}
	for {
		l, err := line()
		if err != nil {
			return "", fmt.Errorf("banner: %w", err)
		}
		if strings.HasPrefix(l, "* OK ") {
			break
		}
	}
	b64 := base64.StdEncoding.EncodeToString
	if mech == "PLAIN" {
		fmt.Fprintf(c, "AUTHENTICATE PLAIN %s\r\n", b64([]byte("\x00"+user+"\x00"+pass)))
		return line()
	}
	fmt.Fprintf(c, "AUTHENTICATE LOGIN\r\n")
	for _, s := range []string{user, pass} {
		l, err := line()
		if err != nil || !strings.HasPrefix(l, "+ ") {
			return l, err
		}
		fmt.Fprintf(c, "%s\r\n", b64([]byte(s)))
	}
	return line()
}

// cyrusLogins are the logins tried on Cyrus; S is replaced by the
// instance's servername.
var cyrusLogins = []struct{ mech, user, pass string }{
	{"PLAIN", "alice", "secret"},
	{"PLAIN", "alice", "wrong"},
	{"PLAIN", "alice", ""},
	{"PLAIN", "ALICE", "secret"},
	{"PLAIN", "alice@S", "secret"},
	{"PLAIN", "alice@realm.test", "other"},
	{"PLAIN", "alice@REALM.TEST", "other"},
	{"PLAIN", "alice%realm.test", "other"},
	{"PLAIN", "alice@realm.test", "secret"},
	{"PLAIN", " alice", "secret"},
	{"PLAIN", "alice ", "secret"},
	{"PLAIN", " a ", "secret"},
	{"PLAIN", "  ab", "secret"},
	{"PLAIN", "   ", "secret"},
	{"PLAIN", "alice\t", "secret"},
	{"PLAIN", "Frank", "frankpw"},
	{"PLAIN", "frank", "frankpw"},
	{"PLAIN", "nul", "ab"},
	{"PLAIN", "nul", "abcd"},
	{"PLAIN", "dave", strings.Repeat("long", 500)},
	{"PLAIN", "dave", strings.Repeat("long", 499)},
	{"PLAIN", "erin", "erinpw"},
	{"PLAIN", "legacy", "oldpw"},
	{"PLAIN", "legacy", "newpw"},
	{"PLAIN", "both", "oldpw"},
	{"PLAIN", "both", "newpw"},
	{"PLAIN", "both", "x"},
	{"PLAIN", "big", "x"},
	{"PLAIN", "nobody", "x"},
	{"PLAIN", "anonymous", "x"},
	{"PLAIN", "Anyone", "x"},
	{"PLAIN", "car:ol", "x"},
	{"PLAIN", "caf\xc3\xa9", "x"},
	{"PLAIN", strings.Repeat("a", 80), "x"},
	{"PLAIN", strings.Repeat("a", 81), "x"},
	{"PLAIN", "group:mail", "x"},
	{"PLAIN", "group:no-such-group", "x"},
	{"PLAIN", "x@y@realm.test", "xy"},
	{"LOGIN", "alice", "secret"},
	{"LOGIN", "alice", "wrong"},
	{"LOGIN", "nul", "ab\x00zz"},
	{"LOGIN", "nobody", "x"},
}

// One real Cyrus; for each configuration and login, Cyrus's sync_server
// and our checker, reading the same imapd.conf, agree: accepted, or
// refused with the same SASL result ("NO <sasl_errstring>"), having asked
// saslauthd the same questions.
func TestPwcheckCyrusLogins(t *testing.T) {
	RequireCyrus(t)
	requireSaslTools(t)
	base := TempDir(t)
	saslDir := filepath.Join(base, "sasl")
	os.Mkdir(saslDir, 0o755)
	t.Setenv("SASL_CONF_PATH", saslDir) // Cyrus.conf, for master's children and us
	in := NewInstance(t, base, "pwcheck", "failedloginpause: 0")
	S := in.ServerName()
	db := filepath.Join(in.ConfigDir(), "sasldb2")
	saslpasswd(t, db, S, "alice", []byte("secret"))
	saslpasswd(t, db, "realm.test", "alice", []byte("other"))
	saslpasswd(t, db, S, "Frank", []byte("frankpw"))
	saslpasswd(t, db, S, "nul", []byte("ab\x00cd"))
	saslpasswd(t, db, S, "dave", []byte(strings.Repeat("long", 500)))
	saslpasswd(t, db, S, "erin", []byte("erinpw"))
	saslpasswd(t, db, S, "erin", nil)
	saslpasswd(t, db, "realm.test", "x@y", []byte("xy"))
	saslpasswd(t, db, S, "group:mail", []byte("x"))
	addLegacy(t, db, S)
	// the same sasldb big-endian, as a big-endian machine writes it
	bigEndian := filepath.Join(in.ConfigDir(), "sasldb2-be")
	if out, err := exec.Command("sh", "-c", `db5.3_dump "$1" | db5.3_load -c db_lorder=4321 "$2"`, "sh", db, bigEndian).CombinedOutput(); err != nil {
		t.Fatalf("db5.3_dump | db5.3_load: %v %s", err, out)
	}
	Chown(t, db)
	Chown(t, bigEndian)

	fake := startFakeSaslauthd(t, base)
	corrupt := filepath.Join(base, "corrupt.db")
	os.WriteFile(corrupt, []byte(strings.Repeat("not a database ", 1000)), 0o644)

	for _, phase := range []struct {
		name     string
		extra    []string
		cyrusCnf string // Cyrus.conf, libsasl's own file
		asks     bool   // saslauthd is asked
	}{
		{name: "defaults"},
		{name: "loginrealms", extra: []string{"loginrealms: realm.test " + S}},
		{name: "username_tolower off", extra: []string{"username_tolower: no"}},
		{name: "virtdomains userid", extra: []string{"virtdomains: userid", "defaultdomain: realm.test"}},
		{name: "virtdomains on", extra: []string{"virtdomains: on"}},
		{name: "big-endian sasldb", extra: []string{"sasl_sasldb_path: " + bigEndian}},
		{name: "no sasldb", extra: []string{"sasl_sasldb_path: " + filepath.Join(base, "none")}},
		{name: "corrupt sasldb", extra: []string{"sasl_sasldb_path: " + corrupt}},
		{name: "saslauthd down then auxprop", asks: false, extra: []string{
			"sasl_pwcheck_method: saslauthd auxprop", "sasl_saslauthd_path: " + filepath.Join(base, "none")}},
		{name: "auxprop then saslauthd down", extra: []string{
			"sasl_pwcheck_method: auxprop saslauthd", "sasl_saslauthd_path: " + filepath.Join(base, "none")}},
		{name: "unknown verifier", extra: []string{"sasl_pwcheck_method: pwcheck"}},
		{name: "alwaystrue", extra: []string{"sasl_pwcheck_method: alwaystrue"}},
		{name: "saslauthd", asks: true, extra: []string{"sasl_pwcheck_method: saslauthd", "sasl_saslauthd_path: " + fake.path}},
		{name: "auxprop then saslauthd", asks: true, extra: []string{"sasl_pwcheck_method: auxprop saslauthd", "sasl_saslauthd_path: " + fake.path}},
		{name: "saslauthd path from Cyrus.conf", asks: true, extra: []string{"sasl_pwcheck_method: saslauthd"},
			cyrusCnf: "saslauthd_path: " + fake.path + "\n"},
	} {
		t.Run(phase.name, func(t *testing.T) {
			in.Extra = append([]string{"failedloginpause: 0"}, phase.extra...)
			in.writeConfigs(t)
			cyrusConf := filepath.Join(saslDir, "Cyrus.conf")
			os.Remove(cyrusConf)
			if phase.cyrusCnf != "" {
				if err := os.WriteFile(cyrusConf, []byte(phase.cyrusCnf), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// a new master: Cyrus's services keep serving connections
			// with the configuration they started with
			in.Start(t)
			defer in.Stop()
			cfg := in.LoadConf(t, "csync", conf.NeedPartitionData)
			ours, err := pwcheck.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			answers := map[string]int{}
			asked := 0
			for _, l := range cyrusLogins {
				user := strings.ReplaceAll(l.user, "@S", "@"+S)
				fake.take()
				got, err := csyncAuth(in.CSyncPort, l.mech, user, l.pass)
				if err != nil {
					t.Fatalf("%s %q: %v", l.mech, user, err)
				}
				theirQueries := fake.take()
				answers[got]++
				asked += len(theirQueries)
				ctx := pwcheck.WithLocalAddr(context.Background(), &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: in.CSyncPort})
				oerr := ours.CheckPassword(ctx, "", user, l.pass)
				want := "OK"
				if oerr != nil {
					var pe *pwcheck.Error
					if !errors.As(oerr, &pe) {
						t.Fatalf("%s %q: %T %v", l.mech, user, oerr, oerr)
					}
					want = "NO " + pe.Code.String()
				}
				if !strings.HasPrefix(got, want) {
					t.Errorf("%s %q / %q: Cyrus %q, ours %q (%v)", l.mech, user, short(l.pass), got, want, oerr)
				}
				if ourQueries := fake.take(); fmt.Sprint(ourQueries) != fmt.Sprint(theirQueries) {
					t.Errorf("%s %q: Cyrus asked saslauthd %q, we asked %q", l.mech, user, theirQueries, ourQueries)
				}
			}
			t.Logf("Cyrus's answers: %v; %d saslauthd questions", answers, asked)
			if (asked > 0) != phase.asks {
				t.Errorf("Cyrus asked saslauthd %d questions", asked)
			}
		})
	}
}

func short(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// addLegacy adds with db5.3_load what saslpasswd2 cannot write: SASL v1
// style cmusaslsecretPLAIN secrets and a value too long for libsasl's
// buffer.
func addLegacy(t *testing.T, db, realm string) {
	t.Helper()
	salt := "0123456789abcdef"
	secret := func(pw string) string {
		out, err := exec.Command("sh", "-c", "printf '%s' \"$1\" | md5sum", "sh", salt+"sasldb"+pw).Output()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString(salt + `\00`)
		for i := 0; i < 32; i += 2 {
			b.WriteString(`\` + string(out[i:i+2]))
		}
		return b.String()
	}
	key := func(user, prop string) string { return " " + user + `\00` + realm + `\00` + prop + "\n" }
	dump := "VERSION=3\nformat=print\ntype=hash\nHEADER=END\n" +
		key("legacy", "cmusaslsecretPLAIN") + " " + secret("oldpw") + "\n" +
		key("both", "cmusaslsecretPLAIN") + " " + secret("oldpw") + "\n" +
		key("both", "userPassword") + " newpw\n" +
		key("big", "userPassword") + " " + strings.Repeat("x", 8300) + "\n" +
		"DATA=END\n"
	if res := Run(t, []byte(dump), "db5.3_load", db); res.Code != 0 {
		t.Fatalf("db5.3_load: %s", res.Stderr)
	}
}

// fakeSaslauthd records the saslauthd requests it gets (login, password,
// service, realm) and says OK to alice/secret in any realm.
type fakeSaslauthd struct {
	path string
	mu   sync.Mutex
	reqs [][4]string
}

func startFakeSaslauthd(t *testing.T, base string) *fakeSaslauthd {
	t.Helper()
	d := filepath.Join(base, "saslauthd")
	os.Mkdir(d, 0o755)
	f := &fakeSaslauthd{path: filepath.Join(d, "mux")}
	l, err := net.Listen("unix", f.path)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(f.path, 0o777)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			var req [4]string
			for i := range req {
				var n [2]byte
				if _, err := io.ReadFull(c, n[:]); err != nil {
					break
				}
				b := make([]byte, binary.BigEndian.Uint16(n[:]))
				io.ReadFull(c, b)
				req[i] = string(b)
			}
			f.mu.Lock()
			f.reqs = append(f.reqs, req)
			f.mu.Unlock()
			answer := "NO bad"
			if req[0] == "alice" && req[1] == "secret" {
				answer = "OK"
			}
			c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(answer))), answer...))
			c.Close()
		}
	}()
	return f
}

func (f *fakeSaslauthd) take() [][4]string {
	time.Sleep(5 * time.Millisecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.reqs
	f.reqs = nil
	return r
}
