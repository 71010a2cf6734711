package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSyncClientUsageLikeCyrus runs bad command lines through Cyrus's
// sync_client and ours: same exit status (64), same stderr (the program
// path mapped), rolling mode's included.
func TestSyncClientUsageLikeCyrus(t *testing.T) {
	RequireCyrus(t)
	dir := TempDir(t)
	link := filepath.Join(dir, "sync_client")
	if err := os.Symlink(Ours(t), link); err != nil {
		t.Fatal(err)
	}
	cy := DefaultCyrus(t)
	cyrus := cy.Prog("sync_client")
	for _, args := range [][]string{
		{},
		{"-v", "fred"},
		{"-u", "-m", "fred"},
		{"-A", "-s"},
		{"-1", "fred"},
		{"-X", "-u", "fred"},
		{"-u", "-C"},
		{"-vv", "-nchan"},
		// The first problem in command-line order is the one reported.
		{"-u", "-m", "-X", "fred"},
		{"-X", "-u", "-m", "fred"},
		{"-u", "-w5", "-t"},
		{"-r", "-R"},
		{"-R", "-u", "fred"},
		{"-1", "-d", "5"},
		{"-r", "-X"},
	} {
		want := cy.Run(t, nil, cyrus, args...)
		got := cy.Run(t, nil, link, args...)
		w := strings.ReplaceAll(want.Stderr, cyrus, "PROG")
		g := strings.ReplaceAll(got.Stderr, link, "PROG")
		if want.Code != got.Code || w != g {
			t.Errorf("%q:\n ours:  exit %d %q\n Cyrus: exit %d %q", args, got.Code, g, want.Code, w)
		}
	}
}
