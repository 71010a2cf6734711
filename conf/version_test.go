package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{
		"3.6":    V3_6,
		"3.10.2": V3_10,
		"cyrus-imapd 3.10.2-Debian-3.10.2-1+deb13u2": V3_10,
		"cyrus-imapd 3.6.1-Debian-3.6.1-4+deb12u5\n": V3_6,
		"cyrus-imapd 3.12.0":                         {3, 12},
	} {
		if got, err := ParseVersion(in); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "cyrus-imapd", "3", "x.y", "3.x"} {
		if v, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) = %v, want an error", bad, v)
		}
	}
	if !V3_10.AtLeast(V3_6) || V3_6.AtLeast(V3_10) || !(Version{3, 12}).AtLeast(V3_10) {
		t.Error("AtLeast")
	}
	if !V3_6.IsSupported() || !V3_10.IsSupported() || (Version{3, 8}).IsSupported() {
		t.Error("IsSupported")
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "128K": 128 << 10, "128k": 128 << 10, "1 MiB": 1 << 20, "2G": 2 << 30, "64kb": 64 << 10,
		"10B": 10, "-1": -1, "+5": 5, "3 Mi": 3 << 20, "1024 K": 1 << 20,
	} {
		if got, err := ParseByteSize(in, 0); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if got, _ := ParseByteSize("5", 'K'); got != 5<<10 {
		t.Errorf("default unit K: %d", got)
	}
	for _, bad := range []string{"K", "", "12 KB x", "1x", "5Bi", "9999999999999G", "99999999999999999999"} {
		if v, err := ParseByteSize(bad, 0); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want an error", bad, v)
		}
	}
}

// TestLoadVersion: the same file read as 3.6 and as 3.10: a BYTESIZE
// value is an error for 3.6's INT and bytes for 3.10; an option only
// 3.10 knows is an unknown key for 3.6.
func TestLoadVersion(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "imapd.conf")
	os.WriteFile(path, []byte("configdirectory: "+dir+"\nmaxword: 64K\n"), 0o644)
	if _, err := LoadVersion(path, "t", 0, V3_6); err == nil || !strings.Contains(err.Error(), "non-integer value for maxword") {
		t.Errorf("3.6: %v", err)
	}
	c, err := LoadVersion(path, "t", 0, V3_10)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != V3_10 || c.MaxWord() != 64<<10 || c.MaxQuoted() != 128<<10 {
		t.Errorf("3.10: version %v maxword %d maxquoted %d", c.Version, c.MaxWord(), c.MaxQuoted())
	}
	os.WriteFile(path, []byte("configdirectory: "+dir+"\nallowstarttls: 1\nmaxword: 7K\n"), 0o644)
	if c, err := LoadVersion(path, "t", 0, V3_10); err != nil || !c.Has("allowstarttls") || c.MaxWord() != 7<<10 {
		t.Errorf("3.10: %v", err)
	}
	os.WriteFile(path, []byte("configdirectory: "+dir+"\nallowstarttls: 1\n"), 0o644)
	c, err = LoadVersion(path, "t", 0, V3_6)
	if err != nil || c.Has("allowstarttls") {
		t.Fatalf("3.6: %v", err)
	}
	if v, ok := c.Overflow("allowstarttls"); !ok || v != "1" {
		t.Errorf("3.6: allowstarttls is not an unknown key: %q %v", v, ok)
	}
	if _, err := LoadVersion(path, "t", 0, Version{3, 8}); err == nil {
		t.Error("3.8 has no table, yet loaded")
	}
	os.WriteFile(path, []byte("configdirectory: "+dir+"\nsync_timeout: -\n"), 0o644)
	if _, err := LoadVersion(path, "t", 0, V3_6); err != nil {
		t.Errorf("3.6 reads a lone '-' duration: %v", err)
	}
	if _, err := LoadVersion(path, "t", 0, V3_10); err == nil || !strings.Contains(err.Error(), "unparsable duration '-'") {
		t.Errorf("3.10: %v", err)
	}
}
