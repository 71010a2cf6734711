package protocol

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"sync"
)

// Tracer writes a connection's traffic as lines, the way the project's
// transcripts show it: "C <line>" for what the client sent, "S <line>" for
// what the server sent, CRLF removed, after decompression. Literal payloads
// longer than Elide bytes are replaced by a note.
type Tracer struct {
	// W receives the trace.
	W io.Writer
	// Elide is the longest literal printed in full (0: 1024).
	Elide int
	// IsClient tells which side this process is: our writes are then "C"
	// lines and our reads "S" lines; on a server the other way round.
	IsClient bool
	// ID, if not 0, numbers the connection as the transcripts do: "C1",
	// "S1".
	ID int

	mu     sync.Mutex
	c, s   *traceDir
	inited bool
}

func (t *Tracer) init() {
	if t.inited {
		return
	}
	t.inited = true
	limit := t.Elide
	if limit <= 0 {
		limit = 1024
	}
	id := ""
	if t.ID != 0 {
		id = strconv.Itoa(t.ID)
	}
	t.c = &traceDir{t: t, tag: "C" + id, limit: limit}
	t.s = &traceDir{t: t, tag: "S" + id, limit: limit}
}

// client is the writer for what the client sends.
func (t *Tracer) client() io.Writer {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if t.IsClient {
		return t.c
	}
	return t.s
}

// server is the writer for what the peer sends to us.
func (t *Tracer) server() io.Writer {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.init()
	if t.IsClient {
		return t.s
	}
	return t.c
}

type traceDir struct {
	t     *Tracer
	tag   string
	limit int
	line  []byte
	skip  int64 // literal bytes still to elide
}

var literalAtEnd = regexp.MustCompile(`(?:\{(\d+)\+?\}|%\{\S+ \S+ (\d+)\})$`)

func (d *traceDir) Write(p []byte) (int, error) {
	d.t.mu.Lock()
	defer d.t.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		if d.skip > 0 {
			k := min(int64(len(p)), d.skip)
			d.skip -= k
			p = p[k:]
			if d.skip == 0 {
				// The line goes on after the literal.
				d.line = append(d.line, "<literal elided>"...)
			}
			continue
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			d.line = append(d.line, p...)
			return n, nil
		}
		d.line = append(d.line, p[:i]...)
		p = p[i+1:]
		line := bytes.TrimSuffix(d.line, []byte("\r"))
		fmt.Fprintf(d.t.W, "%s %s\n", d.tag, line)
		if m := literalAtEnd.FindSubmatch(line); m != nil {
			s := m[1]
			if s == nil {
				s = m[2]
			}
			if size, err := strconv.ParseInt(string(s), 10, 64); err == nil && size > int64(d.limit) {
				d.skip = size
				fmt.Fprintf(d.t.W, "%s <%d bytes>\n", d.tag, size)
			}
		}
		d.line = d.line[:0]
	}
	return n, nil
}
