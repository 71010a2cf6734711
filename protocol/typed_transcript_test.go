package protocol

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cyrus-replication/cyrus-replication/spool/dlist"
)

// The transcripts in testdata are copies of the cyrus-pair captures (also
// in spool/dlist/testdata): one wire line per transcript line, CRLF
// removed, prefixed "C<n> " (sync_client to replica) or "S<n> " (replica
// to sync_client); literal contents shown as the lines they contain.

var transcriptLine = regexp.MustCompile(`^([CS])([0-9]+) (.*)$`)

// transcriptStreams rebuilds each direction of each connection.
func transcriptStreams(t testing.TB, path string) (map[string][]byte, []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	streams := map[string][]byte{}
	var order []string
	for _, line := range strings.Split(string(data), "\n") {
		m := transcriptLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		id := m[1] + m[2]
		if _, ok := streams[id]; !ok {
			order = append(order, id)
		}
		streams[id] = append(append(streams[id], m[3]...), '\r', '\n')
	}
	return streams, order
}

// wireLine is one dlist line of a transcript.
type wireLine struct {
	raw    []byte // the whole line, CRLF included
	prefix string // "APPLY ", "S3 SYNCAPPLY ", "* "
	verb   string // GET, APPLY, RESTORE; "" for a reply item
	key    string
	val    dlist.Value
}

// commandPrefix returns the verb and prefix length of a sync command line.
func commandPrefix(line []byte) (string, int) {
	w := strings.SplitN(string(line), " ", 3)
	verbs := map[string]bool{"APPLY": true, "GET": true, "RESTORE": true}
	if len(w) >= 2 && verbs[w[0]] {
		return w[0], len(w[0]) + 1
	}
	if len(w) == 3 && strings.HasPrefix(w[1], "SYNC") && verbs[w[1][4:]] {
		return w[1][4:], len(w[0]) + len(w[1]) + 2
	}
	return "", 0
}

// readWireLines decodes every dlist line of one direction; file literal
// contents are collected in files by GUID.
func readWireLines(t testing.TB, stream []byte, client bool, files map[string][]byte) []wireLine {
	t.Helper()
	rd := bytes.NewReader(stream)
	br := bufio.NewReader(rd)
	pos := func() int { return len(stream) - rd.Len() - br.Buffered() }
	dec := dlist.NewDecoder(br, &dlist.DecodeOptions{File: func(_, g string, _ int64, r io.Reader) error {
		b, err := io.ReadAll(r)
		files[g] = b
		return err
	}})
	var out []wireLine
	inBanner := !client
	for {
		start := pos()
		if start == len(stream) {
			return out
		}
		rest := stream[start:]
		first := rest[:bytes.IndexByte(rest, '\n')+1]
		verb, n := "", 0
		if client {
			verb, n = commandPrefix(first)
		} else if !inBanner && bytes.HasPrefix(first, []byte("* ")) && !bytes.HasPrefix(first, []byte("* BYE ")) {
			n = 2
		}
		if !client && inBanner && bytes.HasPrefix(first, []byte("* OK")) {
			inBanner = false
		}
		if n == 0 {
			if _, err := br.ReadSlice('\n'); err != nil {
				t.Fatal(err)
			}
			continue
		}
		br.Discard(n)
		key, v, err := dec.ReadItem()
		if err == nil {
			err = dec.ReadLineEnd()
		}
		if err != nil {
			t.Fatalf("line at %d %q: %v", start, first, err)
		}
		out = append(out, wireLine{raw: stream[start:pos()], prefix: string(first[:n]), verb: verb, key: key, val: v})
	}
}

// encodeWire encodes prefix, key and value as one wire line.
func encodeWire(t testing.TB, prefix, key string, v dlist.Value, client bool, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := dlist.NewEncoder(&buf, &dlist.EncodeOptions{
		NonSyncLiterals: client,
		VerifyFiles:     true,
		File: func(_, g string, _ int64) (io.Reader, error) {
			b, ok := files[g]
			if !ok {
				return nil, fmt.Errorf("no content for %s", g)
			}
			return bytes.NewReader(b), nil
		},
	})
	for _, err := range []error{enc.WriteRaw(prefix), enc.EncodeItem(key, v), enc.WriteRaw("\r\n"), enc.Flush()} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestTypedTranscripts parses every command and reply item of the recorded
// Cyrus 3.6.1 sessions into its typed value and checks that the typed
// value re-encodes to the same bytes.
func TestTypedTranscripts(t *testing.T) {
	paths, err := filepath.Glob("testdata/*-*.txt")
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	total := 0
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			streams, order := transcriptStreams(t, path)
			for _, id := range order {
				client := id[0] == 'C'
				files := map[string][]byte{}
				for _, l := range readWireLines(t, streams[id], client, files) {
					var b Body
					var err error
					if client {
						b, err = ParseRequest(l.verb, l.key, l.val)
					} else {
						b, err = ParseItem(Item{Key: l.key, Value: l.val})
					}
					if err != nil {
						t.Fatalf("%s %s%s: %v", id, l.prefix, l.key, err)
					}
					if b.Key() != l.key {
						t.Errorf("%s: key %s became %s", id, l.key, b.Key())
					}
					types[fmt.Sprintf("%s %T", l.verb, b)]++
					got := encodeWire(t, l.prefix, b.Key(), b.Value(), client, files)
					if !bytes.Equal(got, l.raw) {
						t.Errorf("%s: typed re-encoding differs\n got: %q\nwant: %q", id, trunc(got), trunc(l.raw))
					}
					total++
				}
			}
		})
	}
	t.Logf("%d lines; types: %v", total, types)
	for _, want := range []string{"APPLY *protocol.ApplyMailbox", " *protocol.Mailbox", " *protocol.Missing",
		"APPLY *protocol.ApplyReserve", "APPLY *protocol.ApplyMessage", " *protocol.LSub", " *protocol.Enabled",
		"GET *protocol.GetUser", "GET *protocol.GetMailboxes", "APPLY *protocol.ApplySub"} {
		if types[want] == 0 {
			t.Errorf("no %q line in the transcripts", want)
		}
	}
}

func trunc(b []byte) []byte {
	if len(b) > 400 {
		return append(b[:400:400], "..."...)
	}
	return b
}

// TestTranscriptCRCs checks that the SYNC_CRC and SYNC_CRC_ANNOT a real
// Cyrus 3.6.1 sync_client sent with each complete APPLY MAILBOX (first
// sync: every record) equal what spool's CRC code computes from the typed
// RECORDs of the same command.
func TestTranscriptCRCs(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*-full-sync.txt")
	n := 0
	for _, path := range paths {
		streams, order := transcriptStreams(t, path)
		for _, id := range order {
			if id[0] != 'C' {
				continue
			}
			for _, l := range readWireLines(t, streams[id], true, map[string][]byte{}) {
				if l.key != "MAILBOX" {
					continue
				}
				m, err := ParseMailbox(l.val)
				if err != nil {
					t.Fatal(err)
				}
				basic, annot := m.ToSpool().ComputeSyncCRCs()
				if basic != m.SyncCRC || annot != m.SyncCRCAnnot {
					t.Errorf("%s %s: computed CRCs %d/%d, Cyrus sent %d/%d", path, m.Name, basic, annot, m.SyncCRC, m.SyncCRCAnnot)
				}
				n++
			}
		}
	}
	if n < 6 {
		t.Errorf("only %d complete mailboxes checked", n)
	}
}
