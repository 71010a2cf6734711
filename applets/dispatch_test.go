package applets

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
)

func TestAppletName(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "cyrus-replication")
	os.WriteFile(bin, []byte("#!/bin/true\n"), 0o755)
	// /usr/local/bin/x -> .../bin/cyr_synclog -> binary: the last link names it.
	os.Symlink(bin, filepath.Join(dir, "cyr_synclog"))
	os.Symlink(filepath.Join(dir, "cyr_synclog"), filepath.Join(dir, "x"))
	os.Symlink("x", filepath.Join(dir, "y"))
	for in, want := range map[string]string{
		"/usr/lib/cyrus/bin/cyr_synclog": "cyr_synclog",
		filepath.Join(dir, "x"):          "cyr_synclog",
		filepath.Join(dir, "y"):          "cyr_synclog",
		bin:                              "cyrus-replication",
		"/nonexistent/zz":                "zz",
	} {
		if got := AppletName(in); got != want {
			t.Errorf("AppletName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRunUnknownApplet(t *testing.T) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"cyrus-replication", "nosuch"}, nil, &out, &errb)
	if code != 64 || !strings.Contains(errb.String(), "cyr_synclog") {
		t.Errorf("exit %d, stderr %q: want 64 and the list of applets", code, errb.String())
	}
	code = Run(context.Background(), []string{"/x/nosuch"}, nil, &out, &errb)
	if code != 64 {
		t.Errorf("unknown argv[0] without argument: exit %d", code)
	}
	for _, n := range Names() {
		if _, ok := registry[n]; !ok {
			t.Errorf("listed applet %s is not registered", n)
		}
	}
}

func TestInstallLinks(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "cyrus-replication")
	os.WriteFile(bin, []byte("x"), 0o755)
	target := filepath.Join(dir, "bin")
	os.Mkdir(target, 0o755)
	var out bytes.Buffer
	if err := InstallLinks(bin, target, false, &out); err != nil {
		t.Fatal(err)
	}
	if l, err := os.Readlink(filepath.Join(target, "cyr_synclog")); err != nil || l != bin {
		t.Fatalf("link: %q %v", l, err)
	}
	if err := InstallLinks(bin, target, false, &out); err != nil {
		t.Fatalf("re-running over our own links: %v", err)
	}
	// A file that is not our link (Cyrus's own program) is refused...
	os.Remove(filepath.Join(target, "cyr_synclog"))
	os.WriteFile(filepath.Join(target, "cyr_synclog"), []byte("ELF"), 0o755)
	if err := InstallLinks(bin, target, false, &out); err == nil {
		t.Fatal("overwrote a file that is not our link")
	}
	if b, _ := os.ReadFile(filepath.Join(target, "cyr_synclog")); string(b) != "ELF" {
		t.Fatal("the refused file was changed")
	}
	// ...unless forced.
	if err := InstallLinks(bin, target, true, &out); err != nil {
		t.Fatal(err)
	}
	if l, _ := os.Readlink(filepath.Join(target, "cyr_synclog")); l != bin {
		t.Fatal("-f did not replace the file")
	}
}

// TestAppletFlags: every applet has a command-line table that holds
// together and names it, and its help lists every option.
func TestAppletFlags(t *testing.T) {
	for name, a := range registry {
		if a.Flags == nil {
			t.Errorf("%s: no command-line table", name)
			continue
		}
		if err := a.Flags.Check(); err != nil {
			t.Error(err)
		}
		if a.Flags.Name != name {
			t.Errorf("%s: table named %q", name, a.Flags.Name)
		}
		h := a.Flags.Help()
		for _, e := range a.Flags.Entries() {
			if !strings.Contains(h, e.Names) {
				t.Errorf("%s: help lacks %s", name, e.Names)
			}
		}
	}
	for _, tb := range []*getopt.Table{installLinksFlags, synclogShowFlags} {
		if err := tb.Check(); err != nil {
			t.Error(err)
		}
	}
}

func TestInstallLinksUsage(t *testing.T) {
	for _, args := range [][]string{{"install-links"}, {"install-links", "-x", "dir"}, {"install-links", "a", "b"}} {
		var out, errb bytes.Buffer
		if code := installLinksMain(args, &out, &errb); code != 64 || !strings.HasPrefix(errb.String(), "usage: ") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
