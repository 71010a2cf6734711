package conf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, ident, text string) (*Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "imapd.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(p, ident, 0)
}

func mustLoad(t *testing.T, ident, text string) *Config {
	t.Helper()
	c, err := load(t, ident, text)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSyntax(t *testing.T) {
	c := mustLoad(t, "sync_client", "configdirectory: /var/lib/imap\n"+
		"# comment\n  # indented comment\n\n"+
		"Sync_Host: replica.example.org # not a comment\n"+
		"sync_log_channels: \"\" squatter \\\n  backup\n"+
		"servername: mail\\\n.example.org\n"+
		"partition-Default: /var/spool/imap \t\n"+
		"csync_sync_port: 2005\n")
	if v, _ := c.Channel("").Host(); v != "replica.example.org # not a comment" {
		t.Errorf("sync_host = %q", v)
	}
	if got := c.SyncLogChannels(); strings.Join(got, "|") != "|squatter|backup" {
		t.Errorf("channels = %q (repeated spaces give no empty channel)", got)
	}
	if got := c.ServerName(); got != "mail.example.org" {
		t.Errorf("servername = %q", got)
	}
	if v, ok := c.PartitionDir("default"); !ok || v != "/var/spool/imap" {
		t.Errorf("partition-default = %q %v", v, ok)
	}
	if v, _ := c.Channel("csync").Port(); v != "2005" {
		t.Errorf("csync port = %q", v)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"no configdirectory", "sync_log: 1\n", "configdirectory option not specified in configuration file"},
		{"bad name", "configdirectory: /x\nsync.log: 1\n", "invalid option name on line 2 of configuration file"},
		{"space before colon", "configdirectory: /x\nsync_log : 1\n", "invalid option name on line 2"},
		{"empty", "configdirectory: /x\nsync_log:   \n", "empty option value on line 2 of configuration file"},
		{"twice", "configdirectory: /x\nsync_log: 1\nsync_log: 0\n", "option 'sync_log' was specified twice in config file (second occurrence on line 3)"},
		{"twice unknown", "configdirectory: /x\nfoo: 1\nFOO: 2\n", "option 'foo' was specified twice"},
		{"switch case", "configdirectory: /x\nsync_log: Yes\n", "non-switch value for sync_log in line 2 of configuration file"},
		{"int", "configdirectory: /x\nsync_batchsize: 12k\n", "non-integer value for sync_batchsize in line 2"},
		{"enum", "configdirectory: /x\nvirtdomains: On\n", "invalid value 'On' for virtdomains in line 2"},
		{"duration", "configdirectory: /x\nsync_timeout: 1 h\n", "unparsable duration '1 h' for sync_timeout in line 2"},
		{"directive", "configdirectory: /x\n@foo: bar\n", "invalid directive on line 2"},
		{"continuation counts lines", "configdirectory: /x\\\n\nsync_log: 2\\\nx\n", "non-switch value for sync_log in line 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, "sync_client", tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.File == "" || !strings.Contains(err.Error(), ce.File) {
				t.Errorf("error %v does not name its file", err)
			}
		})
	}
}

func TestServiceSpecific(t *testing.T) {
	text := "configdirectory: /x\nsync_client_sync_log: 1\nsync_log: 0\nsync_log: 0\n"
	if !mustLoad(t, "sync_client", text).SyncLog() {
		t.Error("service-specific value must win whatever the order")
	}
	if _, err := load(t, "squatter", text); err == nil {
		t.Error("for another ident the generic key is given twice: must fail")
	}
	c := mustLoad(t, "sync_client", "configdirectory: /x\nsync_log: 0\nSYNC_CLIENT_sync_log: yes\n")
	if !c.SyncLog() {
		t.Error("service-specific after generic must replace it")
	}
	// Unknown keys: <ident>_<key> is looked up first.
	c = mustLoad(t, "syncserver", "configdirectory: /x\nsasl_mech_list: PLAIN\nsyncserver_sasl_mech_list: LOGIN\n")
	if v, _ := c.Overflow("sasl_mech_list"); v != "LOGIN" {
		t.Errorf("overflow lookup = %q", v)
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	os.WriteFile(inc, []byte("sync_log: 1\n"), 0o644)
	main := filepath.Join(dir, "main.conf")
	os.WriteFile(main, []byte("configdirectory: /x\n@include: "+inc+"\n"), 0o644)
	c, err := Load(main, "x", 0)
	if err != nil || !c.SyncLog() {
		t.Fatalf("include: %v", err)
	}
	os.WriteFile(main, []byte("configdirectory: /x\n@include: "+inc+"\n@include: "+inc+"\n"), 0o644)
	if _, err := Load(main, "x", 0); err == nil || !strings.Contains(err.Error(), "included twice") {
		t.Fatalf("include twice: %v", err)
	}
	t.Setenv("CYRUS_PREFIX", dir)
	os.WriteFile(filepath.Join(dir, "etc.conf"), []byte("configdirectory: /prefixed\n"), 0o644)
	c, err = Load("/etc.conf", "x", 0)
	if err != nil || c.ConfigDirectory() != "/prefixed" {
		t.Fatalf("CYRUS_PREFIX: %v", err)
	}
}

func TestValueQuirks(t *testing.T) {
	c := mustLoad(t, "x", "configdirectory: /cfg\n"+
		"sync_log: yeah\nsync_log_chain: off-ish\nsync_batchsize: 0x10\nsearch_batchsize: 010\n"+
		"virtdomains: yes\nsync_timeout: 1h30m\nsync_repeat_interval: 90\n"+
		"sync_shutdown_file: {ConfigDirectory}/sync/stop\nmboxname_lockpath: {configdirectory}/lk\n"+
		"foo_sync_cache_db_path: {configdirectory}/cache\numask: 027\nsync_cache_db: skiplist\n")
	checks := []struct {
		name     string
		got, exp any
	}{
		{"switch yeah", c.SyncLog(), true},
		{"switch off-ish", c.SyncLogChain(), false},
		{"hex", c.SyncBatchSize(), int64(16)},
		{"octal", c.SearchBatchSize(), int64(8)},
		{"enum yes", c.VirtDomains(), "on"},
		{"duration", c.SyncTimeout(), 90 * time.Minute},
		{"bare duration", c.Channel("").RepeatInterval(), 90 * time.Second},
		{"substituted", first(c.Channel("").ShutdownFile()), "/cfg/sync/stop"},
		{"lockpath", c.MboxnameLockPath(), "/cfg/lk"},
		{"overflow not substituted", first(c.Channel("foo").CacheDBPath()), "{configdirectory}/cache"},
		{"umask", c.Umask(), 0o27},
		{"stringlist", c.SyncCacheDB(), "skiplist"},
	}
	for _, ch := range checks {
		if ch.got != ch.exp {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.exp)
		}
	}
}

func first(s string, _ bool) string { return s }

func TestChannelOptions(t *testing.T) {
	c := mustLoad(t, "sync_client", "configdirectory: /x\nsync_host: global\nsync_try_imap: 1\n"+
		"a_sync_host: ahost\na_sync_try_imap: yes\nb_sync_try_imap: 0\nc_sync_repeat_interval: bogus\n"+
		"c_sync_try_imap: 1\nsync_repeat_interval: 5\n")
	if v, _ := c.Channel("a").Host(); v != "ahost" {
		t.Errorf("a host = %q", v)
	}
	if v, _ := c.Channel("zzz").Host(); v != "global" {
		t.Errorf("unknown channel falls back: %q", v)
	}
	if c.Channel("a").TryIMAP() {
		t.Error("a_sync_try_imap: yes is atoi()=0 in Cyrus: false")
	}
	if v, quirky := c.Channel("a").TryIMAPQuirk(); !quirky || v != "yes" {
		t.Error("the quirk must be reported")
	}
	if c.Channel("b").TryIMAP() || !c.Channel("c").TryIMAP() || !c.Channel("").TryIMAP() {
		t.Error("numeric sync_try_imap")
	}
	if d := c.Channel("c").RepeatInterval(); d != 5*time.Second {
		t.Errorf("unparsable prefixed duration falls back to the global one: %v", d)
	}
	if v, _ := c.Channel("A").Host(); v != "global" {
		t.Error("an upper-case channel name never matches (keys are folded)")
	}
}

func TestPartitions(t *testing.T) {
	if _, err := load(t, "x", "configdirectory: /x\ndefaultpartition: a-b\n"); err == nil {
		t.Error("non-alnum defaultpartition must fail")
	}
	p := filepath.Join(t.TempDir(), "c.conf")
	os.WriteFile(p, []byte("configdirectory: /x\ndefaultpartition: Main\n"), 0o644)
	if _, err := Load(p, "sync_client", NeedPartitionData); err == nil ||
		!strings.Contains(err.Error(), "partition-main option not specified") {
		t.Errorf("missing partition: %v", err)
	}
	if _, err := Load(p, "cyr_synclog", 0); err != nil {
		t.Errorf("without NeedPartitionData: %v", err)
	}
	os.WriteFile(p, []byte("configdirectory: /x\n"), 0o644)
	if _, err := Load(p, "sync_client", NeedPartitionData); err != nil {
		t.Errorf("no defaultpartition and no partition: Cyrus 3.6 starts: %v", err)
	}
	c := mustLoad(t, "x", "configdirectory: /x\ndefaultpartition: Main\npartition-main: /s\npartition-b: /b\n")
	if d, _ := c.DefaultPartition(); d != "main" || strings.Join(c.Partitions(), ",") != "b,main" {
		t.Errorf("partitions: %q %q", d, c.Partitions())
	}
}

// TestDefaults checks the default of every option the accessors read, as
// lib/imapoptions (3.6.1) gives it.
func TestDefaults(t *testing.T) {
	c := mustLoad(t, "sync_client", "configdirectory: /cfg\n")
	ch := c.Channel("")
	unset := func(_ string, ok bool) bool { return !ok }
	checks := []struct {
		name     string
		got, exp any
	}{
		{"sync_host", unset(ch.Host()), true},
		{"sync_port", unset(ch.Port()), true},
		{"sync_authname", unset(ch.AuthName()), true},
		{"sync_password", unset(ch.Password()), true},
		{"sync_realm", unset(ch.Realm()), true},
		{"sync_try_imap", ch.TryIMAP(), true},
		{"sync_timeout", c.SyncTimeout(), 30 * time.Minute},
		{"sync_reconnect_maxwait", c.SyncReconnectMaxWait(), 20 * time.Minute},
		{"sync_repeat_interval", ch.RepeatInterval(), time.Second},
		{"sync_shutdown_file", unset(ch.ShutdownFile()), true},
		{"sync_batchsize", c.SyncBatchSize(), int64(8192)},
		{"sync_cache_db", c.SyncCacheDB(), "twoskip"},
		{"sync_cache_db_path", unset(ch.CacheDBPath()), true},
		{"sync_log", c.SyncLog(), false},
		{"sync_log_channels", strings.Join(c.SyncLogChannels(), ","), ""},
		{"sync_log_unsuppressable_channels", strings.Join(c.SyncLogUnsuppressableChannels(), ","), "squatter"},
		{"sync_log_chain", c.SyncLogChain(), false},
		{"sync_rightnow_channel", unset(c.SyncRightnowChannel()), true},
		{"archive_enabled", c.ArchiveEnabled(), false},
		{"debug_writefail_guid", unset(c.DebugWriteFailGUID()), true},
		{"defaultpartition", unset(c.DefaultPartition()), true},
		{"partition_select_mode", c.PartitionSelectMode(), "freespace-most"},
		{"admins", len(c.Admins()), 0},
		{"proxyservers", len(c.ProxyServers()), 0},
		{"unixhierarchysep", c.UnixHierarchySep(), true},
		{"virtdomains", c.VirtDomains(), "off"},
		{"defaultdomain", first(c.DefaultDomain()), "internal"},
		{"altnamespace", c.AltNamespace(), true},
		{"deletedprefix", c.DeletedPrefix(), "DELETED"},
		{"delete_mode", c.DeleteMode(), "delayed"},
		{"expunge_mode", c.ExpungeMode(), "delayed"},
		{"hashimapspool", c.HashIMAPSpool(), false},
		{"fulldirhash", c.FullDirHash(), false},
		{"mboxname_lockpath", c.MboxnameLockPath(), "/cfg/lock"},
		{"mailbox_legacy_dirs", c.MailboxLegacyDirs(), false},
		{"reverseacls", c.ReverseACLs(), false},
		{"conversations", c.Conversations(), false},
		{"sievedir", c.SieveDir(), "/usr/sieve"},
		{"sieveusehomedir", c.SieveUseHomeDir(), false},
		{"search_engine", c.SearchEngine(), "none"},
		{"search_batchsize", c.SearchBatchSize(), int64(20)},
		{"search_index_skip_users", len(c.SearchIndexSkipUsers()), 0},
		{"search_index_skip_domains", len(c.SearchIndexSkipDomains()), 0},
		{"client_timeout", c.ClientTimeout(), 10 * time.Second},
		{"client_bind", c.ClientBind(), false},
		{"client_bind_name", unset(c.ClientBindName()), true},
		{"force_sasl_client_mech", unset(c.ForceSASLClientMech()), true},
		{"tls_client_cert", unset(c.TLSClientCert()), true},
		{"tls_client_key", unset(c.TLSClientKey()), true},
		{"tls_server_ca_file", unset(c.TLSServerCAFile()), true},
		{"tls_server_ca_dir", unset(c.TLSServerCADir()), true},
		{"tls_server_cert", unset(c.TLSServerCert()), true},
		{"tls_server_key", unset(c.TLSServerKey()), true},
		{"allowplaintext", c.AllowPlaintext(), false},
		{"failedloginpause", c.FailedLoginPause(), 3 * time.Second},
		{"maxword", c.MaxWord(), int64(131072)},
		{"maxquoted", c.MaxQuoted(), int64(131072)},
		{"umask", c.Umask(), 0o77},
		{"syslog_prefix", unset(c.SyslogPrefix()), true},
		{"syslog_facility", unset(c.SyslogFacility()), true},
		{"debug", c.Debug(), false},
		{"temp_path", c.TempPath(), "/tmp"},
		{"mboxlist_db", c.DBBackend("mboxlist_db"), "twoskip"},
		{"annotation_db", c.DBBackend("annotation_db"), "twoskip"},
		{"seenstate_db", c.DBBackend("seenstate_db"), "twoskip"},
		{"subscription_db", c.DBBackend("subscription_db"), "flat"},
		{"quota_db", c.DBBackend("quota_db"), "quotalegacy"},
		{"userdeny_db", c.DBBackend("userdeny_db"), "flat"},
	}
	for _, ch := range checks {
		if ch.got != ch.exp {
			t.Errorf("%s default: got %v, want %v", ch.name, ch.got, ch.exp)
		}
		if _, ok := LookupOption(ch.name); !ok {
			t.Errorf("%s is not in the option table", ch.name)
		}
	}
}

// TestBadValueEveryTypedOption gives each typed option of the table a bad
// value; each must fail naming the file, the line and the option.
func TestBadValueEveryTypedOption(t *testing.T) {
	bad := map[OptionType]string{TypeInt: "1z", TypeSwitch: "Yes", TypeEnum: "nope-nope",
		TypeStringList: "nope-nope", TypeBitfield: "nope-nope", TypeDuration: "5w"}
	for _, name := range OptionNames() {
		o, _ := LookupOption(name)
		v, ok := bad[o.Type]
		if !ok {
			v = "" // STRING: only an empty value is refused
		}
		_, err := load(t, "x", "configdirectory: /x\n"+name+": "+v+"\n")
		var ce *Error
		if !errors.As(err, &ce) || ce.Line != 2 || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), ce.File) {
			t.Errorf("%s: %q: err = %v", name, v, err)
		}
		if o.Type != TypeString && ce != nil && ce.Option != name {
			t.Errorf("%s: error names option %q", name, ce.Option)
		}
	}
}
