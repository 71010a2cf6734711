package pwcheck

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// newChecker loads an imapd.conf made of lines (servername server.test,
// loginrealms the test realms, unless given) with SASL_CONF_PATH pointing
// at an empty directory, so that the machine's Cyrus.conf stays out of it.
func newChecker(t *testing.T, lines ...string) (*Checker, error) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("SASL_CONF_PATH", filepath.Join(dir, "sasl"))
	all := []string{"configdirectory: " + dir, "servername: server.test"}
	if !strings.Contains(strings.Join(lines, "\n"), "loginrealms") {
		all = append(all, "loginrealms: realm.test other.test many.test server.test b@c")
	}
	all = append(all, lines...)
	p := filepath.Join(dir, "imapd.conf")
	if err := os.WriteFile(p, []byte(strings.Join(all, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(p, "syncserver", 0)
	if err != nil {
		t.Fatal(err)
	}
	return New(cfg)
}

func mustChecker(t *testing.T, lines ...string) *Checker {
	t.Helper()
	c, err := newChecker(t, lines...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// code is the SASL code of a check's result, OK for none.
func code(t *testing.T, err error) Code {
	t.Helper()
	if err == nil {
		return OK
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not an *Error", err, err)
	}
	return e.Code
}

type login struct {
	user, pass string
	want       Code
}

func checkAll(t *testing.T, c *Checker, cases []login) {
	t.Helper()
	for _, l := range cases {
		err := c.CheckPassword(context.Background(), "", l.user, l.pass)
		if got := code(t, err); got != l.want {
			t.Errorf("%q / %q: %v (%v), want %v", short(l.user), short(l.pass), got, err, l.want)
		}
	}
}

var longPassword = strings.Repeat("long", 500)

// The logins small.db answers, whatever its byte order or hash version.
var smallLogins = []login{
	{"alice@realm.test", "secret", OK},
	{"alice@other.test", "other-alice", OK},
	{"alice@realm.test", "other-alice", BadAuth},
	{"alice@realm.test", "", BadAuth},
	{"alice", "secret", NoUser}, // realm servername
	{"ALICE@realm.test", "secret", OK},
	{"alice@REALM.TEST", "secret", OK}, // auth_unix lowers the whole userid
	{"carol", "carolpw", OK},
	{"carol@server.test", "carolpw", OK},
	{" carol ", "carolpw", OK},
	{"Frank", "frankpw", NoUser}, // username_tolower: "frank"
	{"dave@realm.test", longPassword, OK},
	{"dave@realm.test", longPassword[:len(longPassword)-1], BadAuth},
	{"nul@realm.test", "ab", OK}, // the stored "ab\0cd" compared as a C string
	{"nul@realm.test", "ab\x00cd", OK},
	{"nul@realm.test", "abcd", BadAuth},
	{"erin@realm.test", "erinpw", NoUser}, // deleted
	{"bob@realm.test", "bobpw", OK},
	{"bob@realm.test", "bobpw ", BadAuth},
	{"", "x", Fail},                // All-whitespace username.
	{"  ab", "x", Fail},            // libsasl's test counts leading blanks
	{"   ", "x", Fail},             // "" after one canonicalisation, refused by the next
	{"anonymous", "x", NoUser},     // Cyrus's global identifier
	{"car:ol", "carolpw", BadAuth}, // refused by auth_unix
	{strings.Repeat("a", 81), "x", BadAuth},
	{strings.Repeat("a", 1100), "longname", BufOver},
}

func TestAuxpropSasldb(t *testing.T) {
	for _, db := range []string{"small", "small-be", "small-v8"} {
		t.Run(db, func(t *testing.T) {
			c := mustChecker(t, "sasl_sasldb_path: "+abs(t, "testdata/"+db+".db"))
			checkAll(t, c, smallLogins)
		})
	}
	c := mustChecker(t, "sasl_sasldb_path: "+abs(t, "testdata/small.db"), "username_tolower: no")
	checkAll(t, c, []login{{"Frank", "frankpw", OK}, {"ALICE@realm.test", "secret", NoUser}})

	many := mustChecker(t, "sasl_pwcheck_method: auxprop", "sasl_sasldb_path: "+abs(t, "testdata/many512.db"))
	for i := 0; i < 300; i++ {
		n := "user" + strconv.Itoa(i) + "@many.test"
		checkAll(t, many, []login{{n, "pw" + strconv.Itoa(i), OK}, {n, "pw" + strconv.Itoa(i+1), BadAuth}})
	}

	legacy := mustChecker(t, "sasl_sasldb_path: "+abs(t, "testdata/legacy.db"))
	checkAll(t, legacy, []login{
		{"legacy@realm.test", "oldpw", OK},
		{"legacy@realm.test", "newpw", BadAuth},
		{"both@realm.test", "newpw", OK},
		{"both@realm.test", "oldpw", OK},
		{"both@realm.test", "x", BadAuth},
		{"big@realm.test", "x", BufOver},
	})
}

func TestAuxpropStoreErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nosasldb")
	c := mustChecker(t, "sasl_sasldb_path: "+missing)
	err := c.CheckPassword(context.Background(), "", "alice", "x")
	if code(t, err) != NoUser || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing sasldb: %v", err)
	}
	bad := abs(t, "testdata/chksum.db")
	c = mustChecker(t, "sasl_sasldb_path: "+bad)
	err = c.CheckPassword(context.Background(), "", "alice@realm.test", "secret")
	if code(t, err) != Fail || !strings.Contains(err.Error(), bad) {
		t.Errorf("unreadable sasldb: %v", err)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Errorf("unreadable sasldb: cause %v is not a *FormatError", err)
	}
	e := err.(*Error)
	if got := e.ErrDetail("PLAIN"); got != "SASL(-1): generic failure: Password verification failed" {
		t.Errorf("ErrDetail(PLAIN) = %q", got)
	}
	if got := e.ErrDetail("LOGIN"); got != "SASL(-1): generic failure: checkpass failed" {
		t.Errorf("ErrDetail(LOGIN) = %q", got)
	}
}

func TestCanonVirtdomains(t *testing.T) {
	db := "sasl_sasldb_path: " + abs(t, "testdata/small.db")
	// userid: '%' is a domain separator; the default domain is cut off,
	// leaving the servername realm.
	c := mustChecker(t, db, "virtdomains: userid", "defaultdomain: other.test")
	checkAll(t, c, []login{
		{"bob%realm.test", "bobpw", OK},
		{"alice@other.test", "other-alice", NoUser}, // alice@server.test
		{"alice%realm.test", "secret", OK},
		{"carol@OTHER.TEST", "carolpw", OK},
	})
	c = mustChecker(t, db, "virtdomains: off")
	checkAll(t, c, []login{{"bob%realm.test", "bobpw", BadAuth}})

	// on: a userid without domain gets the local address's domain
	saved := lookupAddr
	defer func() { lookupAddr = saved }()
	lookupAddr = func(_ context.Context, host string) ([]string, error) {
		if host == "192.0.2.1" {
			return []string{"mail.realm.test."}, nil
		}
		return nil, errors.New("no name")
	}
	c = mustChecker(t, db, "virtdomains: on")
	ctx := WithLocalAddr(context.Background(), &fakeAddr{"192.0.2.1:2005"})
	if err := c.CheckPassword(ctx, "", "bob", "bobpw"); err != nil {
		t.Errorf("virtdomains on, local domain realm.test: %v", err)
	}
	if err := c.CheckPassword(context.Background(), "", "bob", "bobpw"); code(t, err) != NoUser {
		t.Errorf("virtdomains on, no local address: %v", err)
	}
	ctx = WithLocalAddr(context.Background(), &fakeAddr{"192.0.2.2:2005"})
	if err := c.CheckPassword(ctx, "", "carol", "carolpw"); err != nil {
		t.Errorf("virtdomains on, unresolvable address: %v", err)
	}
}

type fakeAddr struct{ s string }

func (a *fakeAddr) Network() string { return "tcp" }
func (a *fakeAddr) String() string  { return a.s }

// Cyrus refuses a userid of another realm once the password is right,
// unless loginrealms names the realm or virtdomains is on.
func TestCrossRealm(t *testing.T) {
	db := "sasl_sasldb_path: " + abs(t, "testdata/small.db")
	checkAll(t, mustChecker(t, db, "# no loginrealms"), []login{
		{"alice@realm.test", "secret", BadAuth},
		{"alice@realm.test", "wrong", BadAuth},
		{"carol", "carolpw", OK},
		{"carol@server.test", "carolpw", BadAuth}, // even the servername
	})
	checkAll(t, mustChecker(t, db, "loginrealms: other.test\tREALM.TEST"), []login{
		{"alice@realm.test", "secret", OK}, {"alice@other.test", "other-alice", OK}})
	checkAll(t, mustChecker(t, db, "loginrealms: realm.testx realm"), []login{{"alice@realm.test", "secret", BadAuth}})
	checkAll(t, mustChecker(t, db, "# no loginrealms", "virtdomains: userid"), []login{{"alice@realm.test", "secret", OK}})
	checkAll(t, mustChecker(t, db, "loginrealms: other.test", "virtdomains: userid"), []login{
		{"alice@realm.test", "secret", BadAuth}})
	c := mustChecker(t, db, "# no loginrealms")
	err := c.CheckPassword(context.Background(), "", "alice@realm.test", "secret")
	if e, ok := err.(*Error); !ok || e.ErrDetail("PLAIN") != "SASL(-13): authentication failure: cross-realm login alice@realm.test denied" {
		t.Errorf("detail: %v", err)
	}
}

func TestMethods(t *testing.T) {
	for list, want := range map[string][]string{
		"auxprop":                     {"auxprop"},
		"AUXPROP  saslauthd":          {"auxprop", "saslauthd"},
		"saslauthd\tauxprop":          {"saslauthd", "auxprop"},
		"auxprop\vsaslauthd":          {"", "saslauthd"}, // only NUL, space and tab end a name
		"pwcheck auxpropx alwaystrue": {"", "", "alwaystrue"},
	} {
		got := parseMethods(list)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("parseMethods(%q) = %q, want %q", list, got, want)
		}
	}
	db := "sasl_sasldb_path: " + abs(t, "testdata/small.db")
	nosock := "sasl_saslauthd_path: " + filepath.Join(t.TempDir(), "mux")
	checkAll(t, mustChecker(t, db, "sasl_pwcheck_method: pwcheck"), []login{{"carol", "carolpw", NoMech}})
	checkAll(t, mustChecker(t, db, "sasl_pwcheck_method: alwaystrue"), []login{
		{"nobody", "x", OK}, {"car:ol", "x", BadAuth}})
	// tried in order, the last one's result standing
	checkAll(t, mustChecker(t, db, nosock, "sasl_pwcheck_method: saslauthd auxprop"), []login{
		{"carol", "carolpw", OK}, {"carol", "x", BadAuth}})
	checkAll(t, mustChecker(t, db, nosock, "sasl_pwcheck_method: auxprop saslauthd"), []login{
		{"carol", "carolpw", OK}, {"carol", "x", Fail}})
}

func TestOptions(t *testing.T) {
	db := "sasl_sasldb_path: " + abs(t, "testdata/small.db")
	// the service-specific line wins
	c := mustChecker(t, db, "sasl_pwcheck_method: saslauthd", "syncserver_sasl_pwcheck_method: alwaystrue")
	checkAll(t, c, []login{{"x", "y", OK}})

	for _, bad := range [][]string{
		{"sasl_auxprop_plugin: sql"},
		{"sasl_auxprop_plugin: sasldb ldapdb"},
		{"sasl_canon_user_plugin: ldapdb"},
		{"auth_mech: pts"},
	} {
		if _, err := newChecker(t, bad...); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := newChecker(t, "sasl_auxprop_plugin: SASLDB", "sasl_canon_user_plugin: INTERNAL"); err != nil {
		t.Error(err)
	}
	// an unsupported plugin is no matter when auxprop is not used
	if _, err := newChecker(t, "sasl_auxprop_plugin: sql", "sasl_pwcheck_method: saslauthd"); err != nil {
		t.Error(err)
	}
	c = mustChecker(t, "sasl_auto_transition: yes")
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "auto_transition") {
		t.Errorf("warnings %q", c.Warnings)
	}
	if c = mustChecker(t, "sasl_auto_transition: no"); len(c.Warnings) != 0 {
		t.Errorf("warnings %q", c.Warnings)
	}
}

// libsasl's own file, Cyrus.conf, answers what imapd.conf does not set.
func TestCyrusConf(t *testing.T) {
	dir := t.TempDir()
	empty, withConf := filepath.Join(dir, "empty"), filepath.Join(dir, "conf")
	os.MkdirAll(empty, 0o755)
	os.MkdirAll(withConf, 0o755)
	write := func(text string) {
		if err := os.WriteFile(filepath.Join(withConf, "Cyrus.conf"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	load := func(lines ...string) (*Checker, error) {
		p := filepath.Join(dir, "imapd.conf")
		all := append([]string{"configdirectory: " + dir, "servername: server.test"}, lines...)
		os.WriteFile(p, []byte(strings.Join(all, "\n")+"\n"), 0o644)
		cfg, err := conf.Load(p, "syncserver", 0)
		if err != nil {
			t.Fatal(err)
		}
		return New(cfg)
	}
	t.Setenv("SASL_CONF_PATH", filepath.Join(dir, "missing")+":"+withConf+":"+empty)
	write("# comment\n\n  PWCHECK_METHOD:   alwaystrue  \npwcheck_method: auxprop\n")
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, c, []login{{"anyone-at-all", "x", OK}})
	c, _ = load("sasl_pwcheck_method: auxprop", "sasl_sasldb_path: "+abs(t, "testdata/small.db"))
	checkAll(t, c, []login{{"anyone-at-all", "x", NoUser}})
	for _, bad := range []string{"pwcheck_method alwaystrue\n", "pwcheck_method:\n", "pw check: x\n"} {
		write(bad)
		if _, err := load(); err == nil || !strings.Contains(err.Error(), "Cyrus.conf line 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestInternalCanon(t *testing.T) {
	for in, want := range map[string]string{"a": "a", " a ": "", "  ab": "", " ab": "ab", "": "", "  a  ": "a", " carol ": "carol"} {
		got, err := internalCanon(in)
		if (want == "") != (err != nil) || got != want {
			t.Errorf("internalCanon(%q) = %q, %v", in, got, err)
		}
	}
	got, err := internalCanon("   ")
	if err != nil || got != "" {
		t.Errorf(`internalCanon("   ") = %q, %v; libsasl lets it through as ""`, got, err)
	}
}
