// Package transcript gives tests the recorded sessions of real Cyrus 3.6.1
// replication (captured through a logging proxy between Cyrus's sync_client
// and a Cyrus replica; each file's header says how) and the dlist lines in
// them: the ground truth that the dlist codec and the typed protocol
// messages must re-encode byte for byte.
//
// Transcript format: one wire line per line, CRLF removed, prefixed
// "C<n> " (sync_client to replica) or "S<n> " (replica to sync_client), n
// the connection; literal contents appear as the lines they contain.
package transcript

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

//go:embed testdata/*.txt
var files embed.FS

// Names lists the session transcripts (not the sync log captures), sorted.
func Names() []string {
	entries, _ := files.ReadDir("testdata")
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "synclog-") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Text returns one transcript.
func Text(name string) (string, error) {
	b, err := files.ReadFile(path.Join("testdata", name))
	return string(b), err
}

var lineRe = regexp.MustCompile(`^([CS])([0-9]+) (.*)$`)

// Streams rebuilds each direction of each connection of a transcript, by id
// ("C1", "S1" …), with the ids in order of appearance.
func Streams(name string) (map[string][]byte, []string, error) {
	text, err := Text(name)
	if err != nil {
		return nil, nil, err
	}
	streams := map[string][]byte{}
	var order []string
	for _, line := range strings.Split(text, "\n") {
		m := lineRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if strings.Contains(m[3], "[LF only]") {
			return nil, nil, fmt.Errorf("%s: bare-LF marker not handled: %q", name, line)
		}
		id := m[1] + m[2]
		if _, ok := streams[id]; !ok {
			order = append(order, id)
		}
		streams[id] = append(append(streams[id], m[3]...), '\r', '\n')
	}
	return streams, order, nil
}

// Line is one dlist line of a stream.
type Line struct {
	// Raw is the whole wire line, CRLF included.
	Raw []byte
	// Prefix is what precedes the item: "APPLY ", "S3 SYNCAPPLY ", "* ".
	Prefix string
	// Verb is GET, APPLY or RESTORE; "" for a reply item.
	Verb string
	// Key and Value are the item.
	Key   string
	Value dlist.Value
}

var verbs = map[string]bool{"APPLY": true, "GET": true, "RESTORE": true}

// CommandPrefix returns the verb and prefix length of a sync command line
// ("APPLY …" on csync, "<tag> SYNCAPPLY …" on IMAP), or 0.
func CommandPrefix(line []byte) (string, int) {
	w := strings.SplitN(string(line), " ", 3)
	if len(w) >= 2 && verbs[w[0]] {
		return w[0], len(w[0]) + 1
	}
	if len(w) == 3 && strings.HasPrefix(w[1], "SYNC") && verbs[w[1][4:]] {
		return w[1][4:], len(w[0]) + len(w[1]) + 2
	}
	return "", 0
}

// Decode reads every dlist line of one direction (client: commands;
// server: "* " data lines after the banner, not "* BYE"). File literal
// contents go to files, by GUID.
func Decode(stream []byte, client bool, files map[string][]byte) ([]Line, error) {
	rd := bytes.NewReader(stream)
	br := bufio.NewReader(rd)
	pos := func() int { return len(stream) - rd.Len() - br.Buffered() }
	dec := dlist.NewDecoder(br, &dlist.DecodeOptions{File: func(_, g string, _ int64, r io.Reader) error {
		b, err := io.ReadAll(r)
		files[g] = b
		return err
	}})
	var out []Line
	inBanner := !client
	for {
		start := pos()
		if start == len(stream) {
			return out, nil
		}
		rest := stream[start:]
		first := rest[:bytes.IndexByte(rest, '\n')+1]
		verb, n := "", 0
		if client {
			verb, n = CommandPrefix(first)
		} else if !inBanner && bytes.HasPrefix(first, []byte("* ")) && !bytes.HasPrefix(first, []byte("* BYE ")) {
			n = 2
		}
		if !client && inBanner && bytes.HasPrefix(first, []byte("* OK")) {
			inBanner = false
		}
		if n == 0 {
			if _, err := br.ReadSlice('\n'); err != nil {
				return nil, err
			}
			continue
		}
		br.Discard(n)
		key, v, err := dec.ReadItem()
		if err == nil {
			err = dec.ReadLineEnd()
		}
		if err != nil {
			return nil, fmt.Errorf("line at %d %q: %w", start, first, err)
		}
		out = append(out, Line{Raw: stream[start:pos()], Prefix: string(first[:n]), Verb: verb, Key: key, Value: v})
	}
}

// Encode writes prefix, key and value as one wire line, literals as the
// client ({n+}) or the server ({n}) sends them, file contents from files.
func Encode(prefix, key string, v dlist.Value, client bool, files map[string][]byte) ([]byte, error) {
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
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// CountDlistLines counts, independently of the decoder, the transcript
// lines that start a sync command or a data line.
func CountDlistLines(name string) (int, error) {
	text, err := Text(name)
	if err != nil {
		return 0, err
	}
	cmd := regexp.MustCompile(`^C[0-9]+ ((APPLY|GET|RESTORE)|[A-Za-z0-9]+ SYNC(APPLY|GET|RESTORE)) `)
	n := 0
	banner := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		m := lineRe.FindStringSubmatch(line)
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
	return n, nil
}

// Trunc shortens a line for an error message.
func Trunc(b []byte) []byte {
	if len(b) > 400 {
		return append(b[:400:400], "..."...)
	}
	return b
}
