package protocol

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/protocol/internal/transcript"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzTypedParse seeds from the transcripts and samples")

// fuzzLimits keep a fuzz run's memory small.
var fuzzLimits = dlist.Limits{
	MaxAtom: 4096, MaxQuoted: 4096, MaxLiteral: 1 << 16, MaxFileSize: 1 << 16,
	MaxDepth: 32, MaxListItems: 4096, MaxTotal: 4 << 20,
}

// FuzzTypedParse feeds wire lines ("* KEY value" replies, "VERB KEY value"
// commands) to the typed parsers. Whatever parses must encode, and the
// encoding must parse to a value that encodes to the same bytes.
func FuzzTypedParse(f *testing.F) {
	for _, b := range typedSamples() {
		f.Add(wire(f, b))
	}
	f.Fuzz(checkTypedRoundTrip)
}

// fuzzParse decodes one line and parses it; ok is false if either fails.
func fuzzParse(t *testing.T, line []byte, files map[string][]byte) (b Body, prefix string, ok bool) {
	verb, n := transcript.CommandPrefix(line)
	if n == 0 {
		if !bytes.HasPrefix(line, []byte("* ")) {
			return nil, "", false
		}
		n = 2
	}
	d := dlist.NewDecoder(bufio.NewReader(bytes.NewReader(line[n:])), &dlist.DecodeOptions{
		Limits: fuzzLimits,
		File: func(_, g string, _ int64, r io.Reader) error {
			c, err := io.ReadAll(r)
			if err == nil {
				files[g] = c
			}
			return err
		},
	})
	key, v, err := d.ReadItem()
	if err != nil {
		return nil, "", false
	}
	if verb != "" {
		b, err = ParseRequest(verb, key, v)
	} else {
		b, err = ParseItem(Item{Key: key, Value: v})
	}
	if err != nil {
		return nil, "", false
	}
	return b, string(line[:n]), true
}

// checkTypedRoundTrip is the body of FuzzTypedParse.
func checkTypedRoundTrip(t *testing.T, line []byte) {
	files := map[string][]byte{}
	b, prefix, ok := fuzzParse(t, line, files)
	if !ok {
		return
	}
	// A file literal whose content does not hash to its GUID was already
	// refused by the decoder; one the test cannot supply is skipped.
	client := prefix != "* "
	enc1 := encodeWire(t, prefix, b.Key(), b.Value(), client, files)
	b2, _, ok := fuzzParse(t, enc1, files)
	if !ok {
		t.Fatalf("encoding of a parsed %T does not parse:\n in: %q\nenc: %q", b, line, enc1)
	}
	enc2 := encodeWire(t, prefix, b2.Key(), b2.Value(), client, files)
	if !bytes.Equal(enc1, enc2) {
		t.Fatalf("%T encoding not stable:\n in: %q\n1st: %q\n2nd: %q", b, line, enc1, enc2)
	}
}

// TestFuzzSeeds runs the committed seeds (transcript lines and samples)
// and, with -update-seeds, rewrites them.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzTypedParse")
	if *updateSeeds {
		var seeds [][]byte
		for _, p := range transcript.Names() {
			streams, order := transcriptStreams(t, p)
			for _, id := range order {
				for _, l := range readWireLines(t, streams[id], id[0] == 'C', map[string][]byte{}) {
					if len(l.Raw) < 4096 {
						seeds = append(seeds, l.Raw)
					}
				}
			}
		}
		for _, b := range typedSamples() {
			seeds = append(seeds, wire(t, b))
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range seeds {
			sum := sha1.Sum(s)
			name := filepath.Join(dir, "seed-"+hex.EncodeToString(sum[:8]))
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s)))
			if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) < 40 {
		t.Fatalf("seed corpus %s: %d files, %v", dir, len(ents), err)
	}
}
