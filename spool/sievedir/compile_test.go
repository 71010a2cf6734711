package sievedir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeSievec writes a shell script standing in for Cyrus's sievec: it
// checks its command line (-C CONF SCRIPT BYTECODE) and "compiles" by
// copying the script, or fails as sievec does on a script it refuses.
func fakeSievec(t *testing.T, conf string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sievec")
	script := `#!/bin/sh
[ "$1" = -C ] && [ "$2" = "` + conf + `" ] || { echo "bad command line: $*" >&2; exit 64; }
if grep -q bad "$3"; then echo "script errors: line 1: syntax error" >&2; exit 1; fi
cp "$3" "$4"
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPutScriptCompiles: with a compiler, the new bytecode replaces the
// old one, through "<name>.bc.NEW", and the script file given to sievec
// does not stay; a script sievec refuses leaves no bytecode (the stale
// one removed, nothing half-written) and a CompileError naming it.
func TestPutScriptCompiles(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "u", "s")
	c := Sievec{Path: fakeSievec(t, "/etc/x.conf"), Config: "/etc/x.conf"}
	if err := PutScript(ctx, dir, "s", []byte("keep;\r\n"), c); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "t.bc"), []byte("other"), 0o600)
	if err := PutScript(ctx, dir, "s", []byte("discard;\r\n"), c); err != nil {
		t.Fatal(err)
	}
	if got := listing(t, dir); !slices.Equal(got, []string{"s.bc", "t.bc"}) {
		t.Errorf("listing %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "s.bc")); string(b) != "discard;\r\n" {
		t.Errorf("s.bc holds %q", b)
	}
	err := PutScript(ctx, dir, "s", []byte("bad script"), c)
	var ce *CompileError
	if !errors.As(err, &ce) || ce.Name != "s" || !strings.Contains(err.Error(), "syntax error") {
		t.Errorf("error %v, want a CompileError with sievec's output", err)
	}
	if got := listing(t, dir); !slices.Equal(got, []string{"t.bc"}) {
		t.Errorf("after a failed compilation: listing %v", got)
	}
	missing := Sievec{Path: filepath.Join(t.TempDir(), "none")}
	if err := PutScript(ctx, dir, "t", []byte("keep;"), missing); !IsCompileError(err) {
		t.Errorf("no sievec: error %v, want a CompileError", err)
	}
	if got := listing(t, dir); len(got) != 0 {
		t.Errorf("no sievec: listing %v, want the stale t.bc gone", got)
	}
}
