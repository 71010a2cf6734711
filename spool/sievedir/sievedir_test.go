package sievedir

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func listing(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		n := e.Name()
		if t, err := os.Readlink(filepath.Join(dir, n)); err == nil {
			n += " -> " + t
		}
		out = append(out, n)
	}
	return out
}

func TestActivateDeactivate(t *testing.T) {
	dir := t.TempDir()
	if a, err := Active(dir); a != "" || err != nil {
		t.Errorf("Active of an empty dir = %q, %v", a, err)
	}
	// The target need not exist (lmtpd compiles it).
	if err := Activate(dir, "my script"); err != nil {
		t.Fatal(err)
	}
	if a, _ := Active(dir); a != "my script" {
		t.Errorf("Active = %q", a)
	}
	if err := Activate(dir, "other"); err != nil {
		t.Fatal(err)
	}
	if got := listing(t, dir); !slices.Equal(got, []string{"defaultbc -> other.bc"}) {
		t.Errorf("listing %v", got)
	}
	if err := Deactivate(dir); err != nil {
		t.Fatal(err)
	}
	if err := Deactivate(dir); err != nil {
		t.Errorf("second Deactivate: %v", err)
	}
	if got := listing(t, dir); len(got) != 0 {
		t.Errorf("listing %v", got)
	}
	// A link too short to hold ".bc" names no script.
	os.Symlink("bc", filepath.Join(dir, DefaultBC))
	if a, _ := Active(dir); a != "" {
		t.Errorf("Active with target bc = %q", a)
	}
}

func TestActivateMissingDir(t *testing.T) {
	if err := Activate(filepath.Join(t.TempDir(), "none"), "x"); err == nil {
		t.Error("Activate in a missing directory succeeded")
	}
}

func TestPutScriptRemovesStaleBytecode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uuid", "a", "b", "abc")
	if err := PutScript(context.Background(), dir, "s", nil, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "s.bc"), []byte("old bytecode"), 0o600)
	os.WriteFile(filepath.Join(dir, "t.bc"), []byte("other"), 0o600)
	if err := PutScript(context.Background(), dir, "s", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := listing(t, dir); !slices.Equal(got, []string{"t.bc"}) {
		t.Errorf("listing %v", got)
	}
	if err := DeleteScript(dir, "t"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteScript(dir, "t"); err != nil {
		t.Errorf("deleting a missing bytecode file: %v", err)
	}
}

func TestClean(t *testing.T) {
	mk := func(t *testing.T) string {
		dir := t.TempDir()
		for _, f := range []string{"a.bc", "b.bc", "gone.bc", "a.script", "junk", "a.bc.NEW"} {
			os.WriteFile(filepath.Join(dir, f), nil, 0o600)
		}
		os.Symlink("a.bc", filepath.Join(dir, DefaultBC))
		os.Symlink("a.bc", filepath.Join(dir, "link.bc"))
		os.Mkdir(filepath.Join(dir, "sub"), 0o755)
		return dir
	}
	for _, tc := range []struct {
		name    string
		scripts []string
		active  string
		left    []string
	}{
		{"active a", []string{"a", "b"}, "a", []string{"a.bc", "b.bc", "defaultbc -> a.bc", "sub"}},
		{"active b", []string{"a", "b"}, "b", []string{"a.bc", "b.bc", "sub"}},
		{"none active", []string{"a", "b"}, "", []string{"a.bc", "b.bc", "sub"}},
		{"no scripts", nil, "", []string{"sub"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := mk(t)
			if _, err := Clean(dir, tc.scripts, tc.active); err != nil {
				t.Fatal(err)
			}
			if got := listing(t, dir); !slices.Equal(got, tc.left) {
				t.Errorf("left %v, want %v", got, tc.left)
			}
		})
	}
	if removed, err := Clean(filepath.Join(t.TempDir(), "none"), nil, ""); err != nil || removed != nil {
		t.Errorf("Clean of a missing dir: %v %v", removed, err)
	}
}
