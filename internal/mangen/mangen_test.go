package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/applets"
	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
)

// render writes every page into a temporary directory.
func render(t *testing.T) (dir string, byName map[string]*Page) {
	t.Helper()
	dir = t.TempDir()
	byName = map[string]*Page{}
	for _, p := range pages() {
		byName[p.Name] = p
		if err := os.WriteFile(filepath.Join(dir, p.Name+".8"), []byte(p.Render("1.0")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, byName
}

// man renders a page as man shows it, with its warnings.
func man(t *testing.T, path string, width string) (page, warnings string) {
	t.Helper()
	if _, err := exec.LookPath("man"); err != nil {
		t.Fatalf("man is missing (Debian: apt-get install man-db): %v", err)
	}
	cmd := exec.Command("man", "--warnings", "-l", path)
	cmd.Env = append(os.Environ(), "MANWIDTH="+width, "MAN_KEEP_FORMATTING=", "LANG=C.UTF-8")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("man -l %s: %v\n%s", path, err, errb.String())
	}
	return out.String(), errb.String()
}

// TestEveryAppletHasAPage: each applet of the binary has a page, and each
// of its options is in it (the short and the long spelling, as typed),
// as is each option of the binary's own commands in cyrus-replication(8).
func TestEveryAppletHasAPage(t *testing.T) {
	dir, byName := render(t)
	check := func(page string, tb *getopt.Table) {
		t.Helper()
		text, _ := man(t, filepath.Join(dir, page+".8"), "200")
		for _, o := range tb.Options {
			var want []string
			if o.Short != 0 {
				want = append(want, "-"+string(o.Short))
			}
			if o.Long != "" {
				want = append(want, "--"+o.Long)
			}
			for _, w := range want {
				if !containsOption(text, w) {
					t.Errorf("%s(8): option %s of %s missing", page, w, tb.Name)
				}
			}
		}
	}
	for _, name := range applets.Names() {
		if byName[name] == nil {
			t.Errorf("applet %s has no man page", name)
			continue
		}
		check(name, applets.Flags(name))
	}
	for _, tb := range applets.CommandFlags() {
		if commandText[tb.Name] == "" {
			t.Errorf("command %s has no text in %s(8)", tb.Name, applets.Binary)
		}
		check(applets.Binary, tb)
	}
}

// containsOption reports whether text has opt as a word of its own
// ("-n" not inside "--nothing" or "-name").
func containsOption(text, opt string) bool {
	for off := 0; ; {
		i := strings.Index(text[off:], opt)
		if i < 0 {
			return false
		}
		i += off
		end := i + len(opt)
		before := i == 0 || strings.ContainsRune(" \t\n[(,|", rune(text[i-1]))
		after := end == len(text) || strings.ContainsRune(" \t\n],)|", rune(text[end]))
		if before && after {
			return true
		}
		off = i + 1
	}
}

// TestPagesRenderClean: man renders each page at 80 columns without a
// warning, with its sections, and marks our options as ours.
func TestPagesRenderClean(t *testing.T) {
	dir, byName := render(t)
	for name, p := range byName {
		text, warnings := man(t, filepath.Join(dir, name+".8"), "80")
		if warnings != "" {
			t.Errorf("%s(8): man warns:\n%s", name, warnings)
		}
		for _, sec := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "SEE ALSO"} {
			if !strings.Contains(text, "\n"+sec+"\n") {
				t.Errorf("%s(8): no %s section", name, sec)
			}
		}
		if p.Flags == nil {
			continue
		}
		for _, o := range p.Flags.Options {
			if o.Ours && !strings.Contains(strings.Join(strings.Fields(text), " "), o.Help+" (ours)") {
				t.Errorf("%s(8): our option %q not marked (ours)", name, o.Help)
			}
		}
		if !strings.Contains(text, "CONFIGURATION") {
			t.Errorf("%s(8): no imapd.conf options", name)
		}
	}
}

func TestRoffEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"a-b":          `a\-b`,
		`back\slash`:   `back\eslash`,
		".starts":      `\&.starts`,
		"'quote":       `\&'quote`,
		"x `-f` y":     `x \fB\-f\fR y`,
		"`.dot` after": `\fB\&.dot\fR after`,
	} {
		got := text(in)
		if got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
}
