package squatterchannel

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestFileRetriesLockedAtTheEnd(t *testing.T) {
	rec := &recorder{script: map[string][]Result{"user.alice": {Locked}, "user.bob": {Again, Again}}}
	r, ll, dir := testRunner(t, testMailboxes, rec, &Options{Verbose: 2})
	path := writeLog(t, dir, "APPEND user.bob\nAPPEND user.alice\nAPPEND user.fred\n")
	if err := r.file(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	// bob: batch after batch at once; alice: locked, tried again last
	want := []string{"user.alice", "user.bob", "user.bob", "user.bob", "user.fred", "user.alice"}
	if got := rec.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("indexed %q\nwant %q", got, want)
	}
	if rec.ends != 1 {
		t.Errorf("%d cycles ended, want 1", rec.ends)
	}
	if !contains(ll.List(), "do_synclogfile: indexing user.fred") || !contains(ll.List(), "Reprocessing sync log file "+path) {
		t.Errorf("lines %q", ll.List())
	}
}

func TestFileSkipLimit(t *testing.T) {
	locked := make([]Result, maxSkips+1)
	for i := range locked {
		locked[i] = Locked
	}
	rec := &recorder{script: map[string][]Result{"user.alice": locked}}
	r, ll, dir := testRunner(t, testMailboxes, rec, nil)
	err := r.file(context.Background(), writeLog(t, dir, "APPEND user.alice\nAPPEND user.bob\n"))
	if !errors.Is(err, errShutdown) {
		t.Fatalf("got %v", err)
	}
	if n := len(rec.Calls()); n != maxSkips+2 {
		t.Errorf("%d calls, want %d", n, maxSkips+2)
	}
	if !contains(ll.List(), "IOERROR: skipped too many times: mailbox=<user.alice> func=<do_synclogfile>") {
		t.Errorf("lines %q", ll.List())
	}
}

func TestFileStopsAtAnError(t *testing.T) {
	rec := &recorder{errs: map[string]error{"user.alice": errBoom}}
	r, ll, dir := testRunner(t, testMailboxes, rec, nil)
	err := r.file(context.Background(), writeLog(t, dir, "APPEND user.alice\nAPPEND user.bob\n"))
	if !errors.Is(err, errShutdown) {
		t.Fatalf("got %v", err)
	}
	if got := rec.Calls(); !reflect.DeepEqual(got, []string{"user.alice"}) {
		t.Errorf("indexed %q", got)
	}
	if !contains(ll.List(), "IOERROR: failed to index: mailbox=<user.alice> error=<System I/O error> func=<do_synclogfile>") {
		t.Errorf("lines %q", ll.List())
	}
}

func TestFileMissing(t *testing.T) {
	rec := &recorder{}
	r, ll, dir := testRunner(t, testMailboxes, rec, nil)
	if err := r.file(context.Background(), dir+"/nope"); err == nil {
		t.Fatal("a missing file succeeded")
	}
	if !contains(ll.List(), "No sync log filename") {
		t.Errorf("lines %q", strings.Join(ll.List(), "\n"))
	}
}
