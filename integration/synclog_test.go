package integration

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// synclogPair is two configdirectories with the same imapd.conf but for
// the directory: one written by Cyrus's cyr_synclog, one by ours.
type synclogPair struct {
	cyrusConf, oursConf string
	cyrusDir, oursDir   string
	ours                string // our binary, reached through a link named cyr_synclog
	// cy is the Cyrus both run beside (ours too runs in its chroot).
	cy *Cyrus
}

func newSynclogPair(t *testing.T, lines ...string) *synclogPair {
	t.Helper()
	base := TempDir(t)
	p := &synclogPair{cyrusDir: filepath.Join(base, "cyrus"), oursDir: filepath.Join(base, "ours"), cy: DefaultCyrus(t)}
	for _, d := range []string{p.cyrusDir, p.oursDir} {
		os.Mkdir(d, 0o755)
	}
	p.cyrusConf, p.oursConf = filepath.Join(base, "cyrus.conf"), filepath.Join(base, "ours.conf")
	WriteConf(t, p.cyrusConf, append([]string{"configdirectory: " + p.cyrusDir}, lines...)...)
	WriteConf(t, p.oursConf, append([]string{"configdirectory: " + p.oursDir}, lines...)...)
	Chown(t, base)
	// Dispatch on argv[0]: a symlink named cyr_synclog.
	bin := filepath.Join(base, "bin")
	os.Mkdir(bin, 0o755)
	p.ours = filepath.Join(bin, "cyr_synclog")
	if err := os.Symlink(Ours(t), p.ours); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs one invocation through both programs and compares exit status
// and messages.
func (p *synclogPair) run(t *testing.T, args ...string) {
	t.Helper()
	want := p.cy.Run(t, nil, p.cy.Prog("cyr_synclog"), append([]string{"-C", p.cyrusConf}, args...)...)
	got := p.cy.Run(t, nil, p.ours, append([]string{"-C", p.oursConf}, args...)...)
	if want.Code != got.Code {
		t.Errorf("cyr_synclog %q: exit %d, Cyrus %d (stderr %q / %q)", args, got.Code, want.Code, got.Stderr, want.Stderr)
	}
	// The usage text names argv[0]; the paths differ, the rest must not.
	norm := func(s, prog string) string { return strings.ReplaceAll(s, prog, "cyr_synclog") }
	if w, g := norm(want.Stderr, p.cy.Prog("cyr_synclog")), norm(got.Stderr, p.ours); w != g {
		t.Errorf("cyr_synclog %q: stderr\n ours:  %q\n Cyrus: %q", args, g, w)
	}
}

// compare wants the same files, bytes, modes and owners under sync/.
func (p *synclogPair) compare(t *testing.T) {
	t.Helper()
	want, got := treeOf(t, filepath.Join(p.cyrusDir, "sync")), treeOf(t, filepath.Join(p.oursDir, "sync"))
	if len(want) == 0 {
		t.Fatalf("Cyrus wrote nothing: the test proves nothing")
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("we did not write %s", name)
			continue
		}
		if w != g {
			t.Errorf("%s differs:\n ours:  %q\n Cyrus: %q", name, trunc(g), trunc(w))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("we wrote %s, Cyrus did not", name)
		}
	}
}

func trunc(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "..."
	}
	return s
}

// treeOf maps every path below dir to "mode uid:gid\ncontent".
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		fi, _ := d.Info()
		st := fi.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(dir, path)
		desc := fmt.Sprintf("%v %d:%d\n", fi.Mode(), st.Uid, st.Gid)
		if !d.IsDir() {
			b, _ := os.ReadFile(path)
			desc += string(b)
		}
		m[rel] = desc
		return nil
	})
	return m
}

// TestCyrSynclogMatchesCyrus runs the same cyr_synclog invocations through
// Cyrus's and ours on the same configuration with several channels and
// wants byte-identical log files.
func TestCyrSynclogMatchesCyrus(t *testing.T) {
	RequireCyrus(t)
	p := newSynclogPair(t, "sync_log: 1", `sync_log_channels: "" squatter backup`)

	long := func(n int, c string) string { return "user.fred." + strings.Repeat(c, n-len("user.fred.")) }
	invocations := [][]string{
		{"-u", "fred"},
		{"-U", "fred.smith@example.com"},
		{"-v", "fred"},
		{"-m", "user.fred"},
		{"-m", "user.fred.2nd level with spaces"},
		{"-M", "user.fred.a\"quote\""},
		{"-q", `user.fred.back\slash`},
		{"-n", "user.fred.{braces}"},
		{"-n", "user.fred.(parens)"},
		{"-m", "user.fred.tab\there"},
		{"-m", "user.fred.caf\xc3\xa9 8-bit \xff"},
		{"-m", "user.fred.&AOQ-mUTF7&AOQ-"},
		{"-m", "example.com!user.fred^smith.Drafts"},
		{"-m", "DELETED.user.fred.Trash.5F3A1B2C"},
		{"-m", "user.fred.%percent*star"},
		{"-s", "fred", "uniqueid-1234"},
		{"-s", "fred", "has space"},
		{"-b", "fred", "user.fred.Sub Folder"},
		{"-b", "fred"},       // second value missing: usage
		{"-s", "fred", ""},   // second value empty: usage
		{"-u"},               // no value: usage
		{"-u", ""},           // empty value: usage
		{"-m", "-u", "fred"}, // the last type flag counts
		{"fred", "-u"},       // operands before flags (glibc permutes)
		{"-u", "fred", "extra", "ignored"},
		{"-x", "-u", "bob"},                              // an unknown flag is reported and ignored
		{"-u", "--", "-dash"},                            // "--" ends the flags
		{"MAILBOX user.raw"},                             // raw line
		{"-a", "APPEND user.raw"},                        // -a and -c write the raw line too
		{"-c", "ACL user.raw"},                           //
		{"RAW %x %% 100%y done"},                         // raw: Cyrus's printf-ish "%x" -> "x"
		{"LINE ENDING\n"},                                // raw: no second LF
		{"RAW " + strings.Repeat("r", 5000)},             // raw over 4096 bytes: cut
		{"-m", long(1023, "a")},                          // the longest name the writer takes
		{"-m", long(1024, "a")},                          // one more: "word too long", exit 74
		{"-m", "user.fred." + strings.Repeat("\\", 506)}, // 1 + 10 + 2*506 = 1023: the most with escapes
		{"-m", "user.fred." + strings.Repeat("\\", 507)}, // one escape more: too long
		{"-m", long(1000, "\"")},                         //
		{"-m", "user.fred.line\nbreak"},                  // fatal: Illegal line break, exit 74
		{"-m", "user.fred.cr\rhere"},                     //
	}
	for _, args := range invocations {
		p.run(t, args...)
	}
	p.compare(t)
}

// TestCyrSynclogChannelsAndSwitch covers the sync_log switch and the
// default channel list.
func TestCyrSynclogChannelsAndSwitch(t *testing.T) {
	RequireCyrus(t)
	for name, lines := range map[string][]string{
		"default-channel-only": {"sync_log: on"},
		"named-only":           {"sync_log: 1", "sync_log_channels: squatter"},
		"service-specific":     {"cyr_synclog_sync_log: 1", "sync_log: 0"},
		"odd-channel-lists":    {"sync_log: 1", "sync_log_channels: a  b \"\"  \"\" c\td"}, // strtok; only the first "" is the default
	} {
		t.Run(name, func(t *testing.T) {
			p := newSynclogPair(t, lines...)
			p.run(t, "-u", "fred")
			p.run(t, "-m", "user.fred.x y")
			p.compare(t)
		})
	}
	t.Run("off", func(t *testing.T) {
		p := newSynclogPair(t, "sync_log: 0", "sync_log_channels: a b")
		p.run(t, "-u", "fred")
		if got := treeOf(t, filepath.Join(p.oursDir, "sync")); len(got) != 0 {
			t.Errorf("sync_log off, but we wrote %v", keys(got))
		}
		if got := treeOf(t, filepath.Join(p.cyrusDir, "sync")); len(got) != 0 {
			t.Errorf("sync_log off, but Cyrus wrote %v", keys(got))
		}
	})
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// TestCyrSynclogConfigErrors wants the same exit status for a broken
// imapd.conf.
func TestCyrSynclogConfigErrors(t *testing.T) {
	RequireCyrus(t)
	p := newSynclogPair(t, "sync_log: Yes")
	p.runExitOnly(t, "-u", "fred")
	q := newSynclogPair(t, "sync_log: 1")
	missing := filepath.Join(TempDir(t), "missing.conf")
	want := q.cy.Run(t, nil, q.cy.Prog("cyr_synclog"), "-C", missing, "-u", "fred")
	got := q.cy.Run(t, nil, q.ours, "-C", missing, "-u", "fred")
	if want.Code != 78 || got.Code != 78 || want.Stderr != got.Stderr {
		t.Errorf("missing config: ours %d %q, Cyrus %d %q", got.Code, got.Stderr, want.Code, want.Stderr)
	}
}

func (p *synclogPair) runExitOnly(t *testing.T, args ...string) {
	t.Helper()
	want := p.cy.Run(t, nil, p.cy.Prog("cyr_synclog"), append([]string{"-C", p.cyrusConf}, args...)...)
	got := p.cy.Run(t, nil, p.ours, append([]string{"-C", p.oursConf}, args...)...)
	if want.Code != got.Code {
		t.Errorf("exit %d, Cyrus %d", got.Code, want.Code)
	}
	w := strings.TrimPrefix(strings.TrimSpace(want.Stderr), "fatal error: ")
	if !bytes.HasPrefix([]byte(strings.TrimPrefix(got.Stderr, "fatal error: ")), []byte(w)) {
		t.Errorf("stderr %q does not start with Cyrus's %q", got.Stderr, w)
	}
}
