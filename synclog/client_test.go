package synclog

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestClientState(t *testing.T) {
	dir := t.TempDir()
	if st, err := ReadClientState(dir); st != nil || err != nil {
		t.Fatalf("no file: %v, %v", st, err)
	}
	want := ClientState{PID: 42, Started: time.Unix(1000, 0).UTC(), LastCycle: time.Unix(2000, 5).UTC(), LastItems: 7}
	if err := WriteClientState(dir, &want); err != nil {
		t.Fatal(err)
	}
	want.LastItems = 8
	want.Retrying = []RetryUser{{User: "fred", Attempts: 2, Since: time.Unix(1500, 0).UTC(), Next: time.Unix(2100, 0).UTC(),
		Error: "Mailbox does not exist", Items: 3}}
	if err := WriteClientState(dir, &want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadClientState(dir)
	if err != nil || !reflect.DeepEqual(*got, want) {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	// Only the state file is left: no temporary file.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != ClientStateName {
		t.Errorf("directory holds %v", ents)
	}
	os.WriteFile(filepath.Join(dir, ClientStateName), []byte("{"), 0o644)
	if _, err := ReadClientState(dir); err == nil {
		t.Error("a broken state file is no error")
	}
}

func TestHoldChannel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "chan") // created by HoldChannel
	if held, err := ChannelHeld(dir); held || err != nil {
		t.Fatalf("before: %v, %v", held, err)
	}
	f, err := HoldChannel(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A second client may follow the channel too (shared lock).
	g, err := HoldChannel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if held, err := ChannelHeld(dir); !held || err != nil {
		t.Errorf("held by two: %v, %v", held, err)
	}
	f.Close()
	if held, _ := ChannelHeld(dir); !held {
		t.Error("held by one: not seen")
	}
	g.Close()
	if held, err := ChannelHeld(dir); held || err != nil {
		t.Errorf("after: %v, %v", held, err)
	}
}
