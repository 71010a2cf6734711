// Package protocol speaks Cyrus's replication protocol: the csync transport
// of sync_server and the IMAP transport (SYNCAPPLY, SYNCGET … on imapd),
// client and server side, with SASL, STARTTLS and COMPRESS DEFLATE as Cyrus
// does them, and LZ4 as our own extension between our peers. The values on
// the wire are dlists (package dlist).
//
// It holds:
//   - sessions: Dial for sync_client's side (a Client connected,
//     authenticated and negotiated as Cyrus's sync_connect does),
//     ServeCSync and ServeIMAP for the replica's
//     (Session, with the Authenticator and Handler sync_server supplies),
//     Conn for one connection with TLS and compression layered on,
//     Tracer for a readable copy of the traffic;
//   - typed messages: one type per GET, APPLY and RESTORE command
//     (ParseRequest) and per reply item (ParseItem: Mailbox, Record,
//     Quota, Seen, LSub, Message, Missing …), each bound to its dlist by a
//     table of keys in Cyrus's order, with its required keys checked;
//   - the conversions between those items and package spool's model
//     (spool never imports protocol);
//   - status lines and Cyrus's error codes (Code, RemoteError, StatusText);
//   - subpackages pwcheck (password checks as Cyrus SASL makes them for
//     sync_server, and the sasldb2 reader) and internal/transcript
//     (recorded sessions of real Cyrus, the tests' ground truth).
//
// cyrus: imap/sync_support.c, imap/sync_server.c, imap/sync_client.c,
// imap/backend.c, imap/imapd.c (3.6.1)
package protocol

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// MaxLine bounds a protocol line we read as text (banners, status lines,
// SASL exchanges): Cyrus's own limit for AUTHENTICATE lines is 65535.
const MaxLine = 65536

// ErrLineTooLong is returned for a text line over MaxLine bytes.
var ErrLineTooLong = errors.New("protocol: line too long")

// Conn is one replication connection: a net.Conn with buffered reading and
// writing, onto which TLS and compression can be layered as the session
// negotiates them. Reading and writing are each for one goroutine.
type Conn struct {
	raw net.Conn // the TCP (or TLS) connection

	// r and w read and write the current layer (plain, TLS, compressed).
	r *bufio.Reader
	w *bufio.Writer
	// flush pushes the compression layer's pending output, if any.
	flushLayer func() error
	// closeLayer releases the compression layer.
	closeLayer func() error

	// Compression is "" or the algorithm in use: "DEFLATE" or "LZ4".
	Compression string
	// TLS tells whether TLS is active.
	TLS bool

	trace *Tracer
}

// NewConn wraps an established connection.
func NewConn(c net.Conn) *Conn {
	cn := &Conn{raw: c}
	cn.setLayer(c, c, nil, nil)
	return cn
}

func (c *Conn) setLayer(r io.Reader, w io.Writer, flush, closeFn func() error) {
	var tr io.Reader = r
	var tw io.Writer = w
	if c.trace != nil {
		tr = io.TeeReader(r, c.trace.server())
		tw = io.MultiWriter(w, c.trace.client())
	}
	c.r = bufio.NewReaderSize(tr, 64<<10)
	c.w = bufio.NewWriterSize(tw, 64<<10)
	c.flushLayer, c.closeLayer = flush, closeFn
}

// SetTrace makes the connection copy everything it reads and writes (after
// decompression) to t, as `-v -v` shows it. Call it before the session
// starts.
func (c *Conn) SetTrace(t *Tracer) {
	c.trace = t
	c.setLayer(c.raw, c.raw, nil, nil)
}

// Reader is the buffered reader of the current layer; dlist decoders read
// from it.
func (c *Conn) Reader() *bufio.Reader { return c.r }

// Writer is the buffered writer of the current layer.
func (c *Conn) Writer() *bufio.Writer { return c.w }

// SetDeadline sets the read and write deadline of the underlying connection.
func (c *Conn) SetDeadline(t time.Time) error { return c.raw.SetDeadline(t) }

// SetReadDeadline sets the read deadline of the underlying connection.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.raw.SetReadDeadline(t) }

// Timeout sets a deadline d from now (0: none).
func (c *Conn) Timeout(d time.Duration) {
	if d <= 0 {
		c.raw.SetDeadline(time.Time{})
		return
	}
	c.raw.SetDeadline(time.Now().Add(d))
}

// ReadLine reads one text line and returns it without its CRLF (or LF).
func (c *Conn) ReadLine() (string, error) {
	var b []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		b = append(b, chunk...)
		if err == bufio.ErrBufferFull {
			if len(b) > MaxLine {
				return "", ErrLineTooLong
			}
			continue
		}
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		break
	}
	if len(b) > MaxLine {
		return "", ErrLineTooLong
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// WriteLine writes one line followed by CRLF and flushes.
func (c *Conn) WriteLine(format string, args ...any) error {
	if _, err := fmt.Fprintf(c.w, format+"\r\n", args...); err != nil {
		return err
	}
	return c.Flush()
}

// Flush sends everything buffered, through the compression layer if any
// (with a sync flush, so the peer can decode it on arrival).
func (c *Conn) Flush() error {
	if err := c.w.Flush(); err != nil {
		return err
	}
	if c.flushLayer != nil {
		return c.flushLayer()
	}
	return nil
}

// StartTLS switches to TLS; as a client if isClient.
func (c *Conn) StartTLS(cfg *tls.Config, isClient bool) error {
	if c.Compression != "" {
		return errors.New("protocol: STARTTLS under compression")
	}
	var t *tls.Conn
	if isClient {
		t = tls.Client(c.raw, cfg)
	} else {
		t = tls.Server(c.raw, cfg)
	}
	if err := t.Handshake(); err != nil {
		return fmt.Errorf("protocol: TLS handshake: %w", err)
	}
	c.raw, c.TLS = t, true
	c.setLayer(t, t, nil, nil)
	return nil
}

// Close closes the connection.
func (c *Conn) Close() error {
	if c.closeLayer != nil {
		c.closeLayer()
	}
	return c.raw.Close()
}

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }
