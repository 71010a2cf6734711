package protocol_test

import (
	"bytes"
	"crypto/sha1"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/protocol/internal/transcript"
)

// TestTranscripts decodes every dlist line of the recorded Cyrus 3.6.1
// sessions (commands from sync_client, data lines from both servers) and
// checks that re-encoding gives the same bytes, file literals included.
func TestDlistTranscripts(t *testing.T) {
	total := 0
	for _, name := range transcript.Names() {
		t.Run(name, func(t *testing.T) {
			streams, order, err := transcript.Streams(name)
			if err != nil {
				t.Fatal(err)
			}
			want, err := transcript.CountDlistLines(name)
			if err != nil {
				t.Fatal(err)
			}
			got, nfiles := 0, 0
			for _, id := range order {
				client := id[0] == 'C'
				files := map[string][]byte{}
				lines, err := transcript.Decode(streams[id], client, files)
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				for _, l := range lines {
					enc, err := transcript.Encode(l.Prefix, l.Key, l.Value, client, files)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(enc, l.Raw) {
						t.Errorf("%s: re-encoding differs\n got: %q\nwant: %q", id, transcript.Trunc(enc), transcript.Trunc(l.Raw))
					}
				}
				got += len(lines)
				nfiles += len(files)
			}
			t.Logf("%d dlist lines, %d file literals (SHA-1 checked)", got, nfiles)
			if got != want {
				t.Errorf("decoded %d dlist lines, transcript has %d", got, want)
			}
			total += got
		})
	}
	if total < 40 {
		t.Errorf("only %d dlist lines in all transcripts", total)
	}
}

var updateDlistSeeds = flag.Bool("update-dlist-seeds", false, "rewrite ../dlist/testdata/fuzz/FuzzDecode seeds from the transcripts")

// TestFuzzSeeds checks (and with -update-seeds writes) the FuzzDecode seed
// corpus: every dlist line of the transcripts, verb prefix removed.
func TestDlistFuzzSeeds(t *testing.T) {
	dir := filepath.Join("..", "dlist", "testdata", "fuzz", "FuzzDecode")
	var seeds [][]byte
	for _, name := range transcript.Names() {
		streams, order, err := transcript.Streams(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range order {
			lines, err := transcript.Decode(streams[id], id[0] == 'C', map[string][]byte{})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lines {
				seeds = append(seeds, l.Raw[len(l.Prefix):])
			}
		}
	}
	if *updateDlistSeeds {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, s := range seeds {
			name := fmt.Sprintf("transcript-%x", sha1.Sum(s))[:27]
			if seen[name] {
				continue
			}
			seen[name] = true
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) < 20 {
		t.Fatalf("seed corpus %s: %d files, %v (run go test -run TestDlistFuzzSeeds -update-dlist-seeds)", dir, len(ents), err)
	}
}
