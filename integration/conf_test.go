package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// confVersion is the Cyrus the configuration tests compare with, and the
// version conf reads as for it.
func confVersion(t *testing.T) (*Cyrus, conf.Version) {
	t.Helper()
	cy := DefaultCyrus(t)
	v, err := conf.ParseVersion(string(cy.Version))
	if err != nil {
		t.Fatal(err)
	}
	return cy, v
}

// cyrInfo runs Cyrus's `cyr_info -C file -n ident conf-all`.
func cyrInfo(t *testing.T, file, ident string) Result {
	t.Helper()
	cy, _ := confVersion(t)
	return cy.Tool(t, "cyr_info", "-C", file, "-n", ident, "conf-all")
}

// ourConfAll is our reading of the same file, in the same format.
func ourConfAll(t *testing.T, file, ident string) (string, error) {
	t.Helper()
	_, v := confVersion(t)
	c, err := conf.LoadVersion(file, ident, 0, v)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	c.WriteAll(&b)
	return b.String(), nil
}

// sortOverflow sorts the unknown keys cyr_info prints in hash order after
// the known options of version v.
func sortOverflow(s string, v conf.Version) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	known := min(len(conf.OptionNamesOf(v)), len(lines))
	rest := lines[known:]
	sort.Strings(rest)
	return strings.Join(append(lines[:known], rest...), "\n") + "\n"
}

// TestConfMatchesCyrInfo reads a corpus of configurations with real
// Cyrus's cyr_info and with conf, and wants every option's value printed
// the same.
func TestConfMatchesCyrInfo(t *testing.T) {
	RequireCyrus(t)
	cy, version := confVersion(t)
	dir := TempDir(t)
	cfgdir := filepath.Join(dir, "cfg")
	os.Mkdir(cfgdir, 0o755)
	Chown(t, cfgdir)

	corpus := map[string]string{
		"minimal": "configdirectory: " + cfgdir + "\n",
		"quirks": "configdirectory: " + cfgdir + "\n" +
			"# a comment\n   # an indented comment\n\n" +
			"SYNC_LOG: yeah\n" + // keys fold to lower case; switch looks at 'y'
			"sync_log_chain: nope\n" +
			"sync_batchsize: 0x10\n" + // strtol base 0: hex
			"search_batchsize: 010\n" + // and octal
			"virtdomains: 1\n" + // ENUM: 1 means on
			"sync_timeout: 1h30m\n" +
			"sync_repeat_interval: 90\n" +
			"sync_shutdown_file: {ConfigDirectory}/sync/shutdown\n" + // substituted: known STRING
			"csync_sync_shutdown_file: {configdirectory}/x\n" + // not substituted: unknown key
			"sync_host: replica.example.org # not a comment\n" +
			"sync_log_channels: \"\" squatter \\\n  backup\n" + // continuation keeps the next line's blanks
			"servername: host\\\n.example.org\n" +
			"partition-default: /var/spool/imap  \t \n" + // trailing blanks trimmed
			"mailbox_initial_flags: $Label1 \\Flagged\n" +
			"event_groups: message quota flags\n" +
			"sieve_extensions: fileinto imapflags vnd.cyrus.imip snooze x-cyrus-snooze\n" +
			"umask: 027\n" +
			"sync_try_imap: off\n" +
			"quirks_sync_log: 0\n" + // service-specific: wins over sync_log
			"quirks_partition-x: /x\n",
		"deprecated": "configdirectory: " + cfgdir + "\n" +
			"archive_days: 3\n" + // DURATION moved to archive_after
			"tls_cert_file: /etc/cert.pem\n" + // STRING moved to tls_server_cert
			"autocreatequota: 5000\n" + // INT copied to autocreate_quota
			"ldap_tls_check_peer: 1\n" +
			"tls_ca_file: /a\ntls_client_ca_file: /b\n", // the preferred one set: kept apart
		"crlf": "configdirectory: " + cfgdir + "\r\nsync_log: 1\r\nsync_host: a b\r\n",
		"service-override": "configdirectory: " + cfgdir + "\n" +
			"service-override_sync_log: 1\nsync_log: 0\nsync_log: 0\n", // later generic lines ignored
	}
	if version.AtLeast(conf.V3_10) {
		// BYTESIZE (3.8+): units in either case, blanks, Ki, B; a
		// deprecated one moved to its replacement.
		corpus["bytesize"] = "configdirectory: " + cfgdir + "\n" +
			"maxword: 128K\nmaxquoted: 1 MiB\nmaxliteral: 64kb\narchive_maxsize: 2G\n" +
			"autocreatequota: 5000\nicalendar_max_size: -1\nquota_default_limit: 0x10\n"
	}
	harness := NewInstance(t, TempDir(t), "conftest", "sync_log: 1", `sync_log_channels: "" squatter`)
	if b, err := os.ReadFile(harness.Conf()); err == nil {
		corpus["harness-instance"] = string(b)
	}
	// The distribution's own /etc/imapd.conf (the trixie root's for 3.10).
	if b, err := os.ReadFile(filepath.Join(cy.Root, "/etc/imapd.conf")); err == nil {
		corpus["debian-etc-imapd.conf"] = string(b)
	}
	// One file giving every option of the table a value that is not its
	// default.
	var every strings.Builder
	every.WriteString("configdirectory: " + cfgdir + "\n")
	for _, name := range conf.OptionNamesOf(version) {
		switch name {
		case "configdirectory", "zoneinfo_dir": // cyr_info needs them to start
			continue
		}
		o, _ := conf.LookupOptionOf(version, name)
		fmt.Fprintf(&every, "%s: %s\n", name, nonDefault(o))
	}
	corpus["every-option"] = every.String()

	names := make([]string, 0, len(corpus))
	for n := range corpus {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, name+".conf")
			if err := os.WriteFile(file, []byte(corpus[name]), 0o644); err != nil {
				t.Fatal(err)
			}
			ident := name
			if name == "debian-etc-imapd.conf" {
				ident = "cyr_info"
			}
			want := cyrInfo(t, file, ident)
			if want.Code != 0 {
				t.Fatalf("cyr_info refused %s: exit %d: %s", name, want.Code, want.Stderr)
			}
			got, err := ourConfAll(t, file, ident)
			if err != nil {
				t.Fatalf("conf.Load: %v", err)
			}
			if w := sortOverflow(want.Stdout, version); got != w {
				t.Errorf("conf-all differs from cyr_info:\n%s", lineDiff(w, got))
			}
		})
	}
}

// nonDefault is a legal value for o that differs from its default.
func nonDefault(o *conf.Option) string {
	switch o.Type {
	case conf.TypeInt:
		return "0x2A"
	case conf.TypeSwitch:
		if o.Default == "1" {
			return "off"
		}
		return "yes"
	case conf.TypeEnum, conf.TypeStringList:
		v := strings.Split(o.Values[len(o.Values)-1], "=")[0]
		if v == o.Default {
			v = strings.Split(o.Values[0], "=")[0]
		}
		return v
	case conf.TypeBitfield:
		return strings.Split(o.Values[0], "=")[0] + " " + strings.Split(o.Values[len(o.Values)-1], "=")[0]
	case conf.TypeDuration:
		return "2h5m"
	case conf.TypeByteSize:
		return "3 Mi"
	}
	switch o.Name {
	case "defaultpartition":
		return "Other2" // alphanumeric only
	case "cyrus_user":
		return "cyrus" // cyr_info must still be able to become it
	case "cyrus_group":
		return "mail"
	}
	return "{configdirectory}/" + o.Name + " with spaces"
}

// TestConfErrorsMatchCyrus gives every typed option a bad value, and the
// syntax a few bad lines, and wants Cyrus's and our verdicts to agree: both
// refuse with exit 78, and our message starts with Cyrus's (ours adds the
// file where Cyrus leaves it out).
func TestConfErrorsMatchCyrus(t *testing.T) {
	RequireCyrus(t)
	_, version := confVersion(t)
	dir := TempDir(t)
	cases := map[string]string{
		"missing-configdirectory": "sync_log: 1\n",
		"bad-name":                "configdirectory: /tmp\nsync log: 1\n",
		"crlf-continuation":       "configdirectory: /tmp\r\nsync_host: a\\\r\nb\r\n", // CR before LF: no continuation
		"space-before-colon":      "configdirectory: /tmp\nsync_log : 1\n",
		"empty-value":             "configdirectory: /tmp\nsync_log:\n",
		"twice":                   "configdirectory: /tmp\nsync_log: 1\nsync_log: 1\n",
		"twice-overflow":          "configdirectory: /tmp\npartition-a: /a\npartition-a: /b\n",
		"twice-service":           "configdirectory: /tmp\ncyr_info_sync_log: 1\ncyr_info_sync_log: 0\n",
		"bad-directive":           "configdirectory: /tmp\n@frobnicate: x\n",
		"bad-defaultpartition":    "configdirectory: /tmp\ndefaultpartition: a-b\n",
		"include-twice":           "configdirectory: /tmp\n@include: " + filepath.Join(dir, "inc.conf") + "\n@include: " + filepath.Join(dir, "inc.conf") + "\n",
		"include-missing":         "configdirectory: /tmp\n@include: " + filepath.Join(dir, "nonexistent.conf") + "\n",
		"switch-Yes":              "configdirectory: /tmp\nsync_log: Yes\n",
		"int-trailing":            "configdirectory: /tmp\nsync_batchsize: 10k\n",
		"int-0x":                  "configdirectory: /tmp\nsync_batchsize: 0x\n",
		"duration-space":          "configdirectory: /tmp\nsync_timeout: 1h 30m\n",
		"duration-unit":           "configdirectory: /tmp\nsync_timeout: 5w\n",
		"enum-case":               "configdirectory: /tmp\nvirtdomains: Userid\n",
		"stringlist":              "configdirectory: /tmp\nsync_cache_db: berkeley\n",
		"bitfield":                "configdirectory: /tmp\nevent_groups: message nonsense\n",
	}
	if version.AtLeast(conf.V3_10) {
		cases["duration-minus"] = "configdirectory: /tmp\nsync_timeout: -\n"
		cases["bytesize-unit"] = "configdirectory: /tmp\nmaxword: 12 KB x\n"
		cases["bytesize-nodigit"] = "configdirectory: /tmp\nmaxword: K\n"
		cases["bytesize-overflow"] = "configdirectory: /tmp\nmaxword: 9999999999999G\n"
		cases["bytesize-erange"] = "configdirectory: /tmp\nmaxword: 99999999999999999999\n"
	}
	os.WriteFile(filepath.Join(dir, "inc.conf"), []byte("sync_host: x\n"), 0o644)
	for _, name := range conf.OptionNamesOf(version) {
		o, _ := conf.LookupOptionOf(version, name)
		if bad := badValue(o); bad != "" && name != "configdirectory" {
			cases["option-"+name] = "configdirectory: /tmp\n" + name + ": " + bad + "\n"
		}
	}
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, name+".conf")
			os.WriteFile(file, []byte(cases[name]), 0o644)
			want := cyrInfo(t, file, "cyr_info")
			_, err := ourConfAll(t, file, "cyr_info")
			if want.Code != conf.ExitConfig {
				t.Fatalf("cyr_info exit %d, want %d (%s)", want.Code, conf.ExitConfig, want.Stderr)
			}
			if err == nil {
				t.Fatalf("conf.Load accepted what Cyrus refuses: %s", want.Stderr)
			}
			cyrusMsg := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(want.Stderr), "fatal error: "))
			if !strings.HasPrefix(err.Error(), cyrusMsg) {
				t.Errorf("message:\n ours:  %s\n Cyrus: %s", err, cyrusMsg)
			}
			if !strings.Contains(err.Error(), file) && !strings.Contains(err.Error(), "inc.conf") && !strings.Contains(err.Error(), "nonexistent.conf") {
				t.Errorf("message does not name the file %s: %s", file, err)
			}
			var ce *conf.Error
			if !asConfError(err, &ce) {
				t.Errorf("error is %T, not *conf.Error", err)
			}
		})
	}
}

func asConfError(err error, target **conf.Error) bool {
	ce, ok := err.(*conf.Error)
	*target = ce
	return ok
}

// badValue is a value Cyrus refuses for o at load time ("" if none exists).
func badValue(o *conf.Option) string {
	switch o.Type {
	case conf.TypeInt:
		return "12abc"
	case conf.TypeSwitch:
		return "Yes"
	case conf.TypeEnum, conf.TypeStringList:
		return "no-such-value"
	case conf.TypeBitfield:
		return "no-such-value"
	case conf.TypeDuration:
		return "1x"
	case conf.TypeByteSize:
		return "1x"
	}
	return ""
}

// lineDiff lists the lines that differ between two listings.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  cyrus: %q\n  ours:  %q\n", i+1, wl, gl)
			if b.Len() > 4000 {
				break
			}
		}
	}
	return b.String()
}
