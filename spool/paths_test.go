package spool

import (
	"path/filepath"
	"testing"
)

// TestPaths checks paths observed on real Cyrus 3.6.1 files
// (docs/spool-layout.md).
func TestPaths(t *testing.T) {
	s, dir := testSpool(t, "twoskip/testdata/mailboxes.db", "hashimapspool: true", "mboxname_lockpath: /L")
	part := filepath.Join(dir, "spool")
	for _, c := range []struct{ name, want string }{
		{"user.carol.Sub", part + "/c/user/carol/Sub"},
		{"zshared.folder", part + "/f/zshared/folder"},
		{"zshared", part + "/z/zshared"},
		{"DELETED.user.carol.Sub.Deep.6B0456D5", part + "/u/DELETED/user/carol/Sub/Deep/6B0456D5"},
		{"user.a^b.x^y", part + "/a/user/a^b/x^y"},
	} {
		e := &Entry{Name: c.name, Partition: "default", Type: TypeLegacyDirs, UniqueID: "xyz"}
		got, err := s.MailboxDir(e)
		if err != nil || got != c.want {
			t.Errorf("%s: %q %v, want %q", c.name, got, err, c.want)
		}
	}
	e := &Entry{Name: "user.dave", Partition: "default", UniqueID: "5i8fzs9kwtxueuaycd08ffmd"}
	if got, _ := s.MailboxDir(e); got != part+"/uuid/5/i/5i8fzs9kwtxueuaycd08ffmd" {
		t.Errorf("by id: %s", got)
	}
	if got, _ := s.MetaPath(e, MetaIndex); got != part+"/uuid/5/i/5i8fzs9kwtxueuaycd08ffmd/cyrus.index" {
		t.Errorf("meta: %s", got)
	}
	if got, _ := s.MessagePath(e, 7, false); got != part+"/uuid/5/i/5i8fzs9kwtxueuaycd08ffmd/7." {
		t.Errorf("message: %s", got)
	}
	for name, want := range map[string]string{
		"eaakbt28bjdofsr2hka16f45": "/L/e/eaakbt28bjdofsr2hka16f45.lock",
		"5i8fzs9kwtxueuaycd08ffmd": "/L/q/5i8fzs9kwtxueuaycd08ffmd.lock",
		"*U*alice":                 "/L/q/*U*alice.lock",
		"user.carol.Sub":           "/L/c/user/carol/Sub.lock",
		"$QUOTACHANGE":             "/L/q/$QUOTACHANGE.lock",
	} {
		if got := s.LockPath(name); got != want {
			t.Errorf("lock %s: %s, want %s", name, got, want)
		}
	}
	if got := s.QuotaPath("user.alice"); got != dir+"/quota/a/user.alice" {
		t.Errorf("quota: %s", got)
	}
	if got := s.QuotaPath("shared"); got != dir+"/quota/s/shared" {
		t.Errorf("quota: %s", got)
	}
	// cassandane's INBOX is by-id: per-user files under user/uuid/.
	if got, _ := s.UserFilePath("cassandane", "seen"); got != dir+"/user/uuid/e/6/e6ecm3px6o92v6k5o9ctto1w/seen.db" {
		t.Errorf("seen: %s", got)
	}
	if got, _ := s.UserFilePath("nobody", "sub"); got != dir+"/user/n/nobody.sub" {
		t.Errorf("legacy sub: %s", got)
	}
	if got, _ := s.SieveDir("cassandane"); got != dir+"/sieve/uuid/e/6/e6ecm3px6o92v6k5o9ctto1w" {
		t.Errorf("sieve: %s", got)
	}
}

func TestDirHash(t *testing.T) {
	for in, want := range map[string]byte{"carol": 'c', "Zed": 'z', "5abc": 'q', "": 'q', "*U*x": 'q'} {
		if got := DirHash(in, false); got != want {
			t.Errorf("%q: %c", in, got)
		}
	}
	// fulldirhash: n = ((n<<3)^(n>>5))^b over "ab": n=97, then (776^3)^98 = 873; 873%23 = 22 -> 'W'.
	if got := DirHash("ab.cd", true); got != 'W' {
		t.Errorf("full: %c", got)
	}
}
