package dlist

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
)

// The transcripts in testdata were recorded by capture.sh of the cyrus-pair
// harness: one wire line per transcript line, CRLF removed, prefixed with
// "C<n> " (sync_client to replica) or "S<n> " (replica to sync_client),
// literal and file literal content shown as the raw lines it contains.

var linePrefix = regexp.MustCompile(`^([CS])([0-9]+) (.*)$`)

// transcriptStreams rebuilds the byte stream of each direction of each
// connection ("C1", "S1", …) by putting the CRLFs back.
func transcriptStreams(t testing.TB, path string) (map[string][]byte, []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	streams := map[string][]byte{}
	var order []string
	for _, line := range strings.Split(string(data), "\n") {
		m := linePrefix.FindStringSubmatch(line)
		if m == nil {
			if line != "" && !strings.HasPrefix(line, "#") {
				t.Fatalf("%s: unexpected line %q", path, line)
			}
			continue
		}
		id := m[1] + m[2]
		if _, ok := streams[id]; !ok {
			order = append(order, id)
		}
		text := m[3]
		if strings.Contains(text, "[LF only]") {
			t.Fatalf("%s: bare-LF marker not handled: %q", path, line)
		}
		streams[id] = append(append(streams[id], text...), '\r', '\n')
	}
	return streams, order
}

// syncPrefix returns the length of the command prefix before the item of a
// sync command line ("APPLY ", "GET ", "RESTORE " on csync, "<tag> SYNCAPPLY "
// etc. on the IMAP transport), or 0 if the line is not a sync command.
func syncPrefix(line []byte) int {
	words := strings.SplitN(string(line), " ", 3)
	verbs := map[string]bool{"APPLY": true, "GET": true, "RESTORE": true}
	if len(words) >= 2 && verbs[words[0]] {
		return len(words[0]) + 1
	}
	if len(words) == 3 && strings.HasPrefix(words[1], "SYNC") && verbs[words[1][4:]] {
		return len(words[0]) + len(words[1]) + 2
	}
	return 0
}

// dataPrefix returns 2 for a "* " data line carrying a dlist item, else 0.
// Banner lines up to and including the "* OK" greeting, and "* BYE", are
// plain text (protocol.md §2.11, §3.2.1).
func dataPrefix(line []byte, inBanner bool) int {
	if inBanner || !bytes.HasPrefix(line, []byte("* ")) || bytes.HasPrefix(line, []byte("* BYE ")) {
		return 0
	}
	return 2
}

type decodedLine struct {
	raw  []byte // the whole wire line, CRLF included
	verb string // command prefix or "* "
	key  string
	val  Value
}

// decodeStream decodes every dlist line of one direction of a connection.
func decodeStream(t testing.TB, stream []byte, client bool, files map[string][]byte) []decodedLine {
	t.Helper()
	rd := bytes.NewReader(stream)
	br := bufio.NewReader(rd)
	pos := func() int { return len(stream) - rd.Len() - br.Buffered() }
	dec := NewDecoder(br, &DecodeOptions{File: func(part, guid string, size int64, r io.Reader) error {
		b, err := io.ReadAll(r)
		files[guid] = b
		return err
	}})
	var out []decodedLine
	inBanner := !client
	for {
		start := pos()
		if start == len(stream) {
			return out
		}
		rest := stream[start:]
		eol := bytes.IndexByte(rest, '\n')
		first := rest[:eol+1]
		var n int
		if client {
			n = syncPrefix(first)
		} else {
			n = dataPrefix(first, inBanner)
			if inBanner && bytes.HasPrefix(first, []byte("* OK")) {
				inBanner = false
			}
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
		out = append(out, decodedLine{raw: stream[start:pos()], verb: string(first[:n]), key: key, val: v})
	}
}

func encodeLine(t testing.TB, l decodedLine, client bool, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := NewEncoder(&buf, &EncodeOptions{
		NonSyncLiterals: client,
		VerifyFiles:     true,
		File: func(part, guid string, size int64) (io.Reader, error) {
			b, ok := files[guid]
			if !ok {
				return nil, fmt.Errorf("no content for %s", guid)
			}
			return bytes.NewReader(b), nil
		},
	})
	if err := enc.WriteRaw(l.verb); err != nil {
		t.Fatal(err)
	}
	if err := enc.EncodeItem(l.key, l.val); err != nil {
		t.Fatal(err)
	}
	if err := enc.WriteRaw("\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTranscripts decodes every dlist line of the recorded Cyrus 3.6.1
// sessions (commands from sync_client, data lines from both servers) and
// checks that re-encoding gives the same bytes, file literals included.
func TestTranscripts(t *testing.T) {
	paths, err := filepath.Glob("testdata/*-*.txt")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, path := range paths {
		if strings.HasPrefix(filepath.Base(path), "synclog-") {
			continue // the sync log is not a dlist format
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			streams, order := transcriptStreams(t, path)
			want := countDlistLines(t, path)
			got, nfiles := 0, 0
			for _, id := range order {
				client := id[0] == 'C'
				files := map[string][]byte{}
				lines := decodeStream(t, streams[id], client, files)
				for _, l := range lines {
					enc := encodeLine(t, l, client, files)
					if !bytes.Equal(enc, l.raw) {
						t.Errorf("%s: re-encoding differs\n got: %q\nwant: %q", id, trunc(enc), trunc(l.raw))
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

// countDlistLines counts, independently of the decoder, the transcript lines
// that start a sync command or a data line.
func countDlistLines(t testing.TB, path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := regexp.MustCompile(`^C[0-9]+ ((APPLY|GET|RESTORE)|[A-Za-z0-9]+ SYNC(APPLY|GET|RESTORE)) `)
	n := 0
	banner := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		m := linePrefix.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if cmd.MatchString(line) {
			n++
		}
		if m[1] == "S" {
			if !banner[m[2]] {
				banner[m[2]] = strings.HasPrefix(m[3], "* OK")
				continue
			}
			if strings.HasPrefix(m[3], "* ") && !strings.HasPrefix(m[3], "* BYE ") {
				n++
			}
		}
	}
	return n
}

func trunc(b []byte) []byte {
	if len(b) > 300 {
		return append(b[:300:300], "..."...)
	}
	return b
}
