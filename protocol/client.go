package protocol

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cyrus-replication/cyrus-replication/dlist"
	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// Transport is the protocol a client talks to its replica.
type Transport int

const (
	// CSync is sync_server's own protocol (port csync, 2005 by convention).
	CSync Transport = iota
	// IMAP is imapd's SYNC* commands (X-REPLICATION).
	IMAP
)

func (t Transport) String() string {
	if t == IMAP {
		return "imap"
	}
	return "csync"
}

// ClientOptions configures Dial. Zero values mean Cyrus's defaults.
type ClientOptions struct {
	// Target is where to connect (from sync_host).
	Target Target
	// Port is sync_port: used by both attempts when Target has no port.
	Port string
	// TryIMAP tries the IMAP transport first (sync_try_imap, default on).
	TryIMAP bool
	// AuthName, Password, Realm are sync_authname, sync_password,
	// sync_realm.
	AuthName, Password, Realm string
	// Mechs restricts the SASL mechanisms (force_sasl_client_mech); empty
	// means any we support (PLAIN, LOGIN).
	Mechs []string
	// TLSConfig is used for STARTTLS and implicit TLS; nil means TLS is
	// never started.
	TLSConfig *tls.Config
	// ConnectTimeout is client_timeout (default 10s): connecting, greeting
	// and authentication.
	ConnectTimeout time.Duration
	// Timeout is sync_timeout (default 30m, at least 3s) once logged in.
	Timeout time.Duration
	// RequireCompression is -z: fail unless the session is compressed.
	RequireCompression bool
	// NoLZ4 keeps to DEFLATE even when the peer is ours and offers LZ4.
	NoLZ4 bool
	// NoCompression never asks for compression (ours: Cyrus's sync_client
	// always compresses a csync session whose server offers it).
	NoCompression bool
	// Trace, if set, receives the session as `-v -v` prints it.
	Trace *Tracer
	// Logger receives Cyrus's syslog lines.
	Logger *slog.Logger
	// StageToArchive is sync_client -a (Cyrus 3.8+): ask the replica to
	// enable REPLICATION-ARCHIVE, so that it stages uploads on its archive
	// partition.
	StageToArchive bool
	// OnEnable, if set, is told the CAPA_* bits of the APPLY CAPABILITIES
	// about to be sent (sync_client prints them as "ENABLE 0x…").
	OnEnable func(capabilities uint)
}

// Cyrus's CAPA_* bits of the features APPLY CAPABILITIES asks for, as
// sync_do_enable prints them.
//
// cyrus: imap/imap_proxy.h (3.10.2)
const (
	CapaSieveMailbox       uint = 1 << 11
	CapaReplicationArchive uint = 1 << 12
)

// Client is an established, authenticated replication session.
type Client struct {
	conn *Conn
	// Transport is the protocol in use.
	Transport Transport
	// Caps are the server's capabilities (names upper-cased).
	Caps map[string][]string
	// Enabled is what APPLY CAPABILITIES turned on, once its reply is
	// read (SieveMailbox and ReplicationArchive read it).
	Enabled []string
	// enabling is APPLY CAPABILITIES while its reply is unread, and
	// enableAsked the CAPA_* bits it asked for.
	enabling    *Pending
	enableAsked uint
	opts        ClientOptions
	// pending are the pipelined commands whose replies are still to be
	// read, oldest first (see Send).
	pending []*Pending
	// broken, once set, is the error that left the session out of step
	// with the server (a reply half read, a command half sent): every
	// later command fails with it.
	broken error
}

// tagCounter numbers IMAP-transport commands S0, S1 … per process, never
// reset on reconnect, as Cyrus's sync_client does.
var tagCounter atomic.Int64

// Dial connects, authenticates and negotiates as Cyrus's sync_connect does:
// the IMAP transport first if TryIMAP (falling back to csync unless the
// server offers X-REPLICATION), then COMPRESS on csync, then APPLY
// CAPABILITIES.
//
// cyrus: imap/sync_support.c sync_connect (3.6.1)
func Dial(ctx context.Context, o ClientOptions) (*Client, error) {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.Timeout < 3*time.Second {
		o.Timeout = 3 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.TryIMAP && o.Target.Socket == "" {
		c, err := dialIMAP(ctx, o)
		if err == nil {
			return c, c.afterLogin()
		}
		if !errors.Is(err, errNoReplication) {
			o.Logger.Debug("IMAP transport failed, trying csync", "error", err)
		}
	}
	c, err := dialCSync(ctx, o)
	if err != nil {
		return nil, err
	}
	return c, c.afterLogin()
}

// defaultPorts are used when /etc/services does not name the service.
var defaultPorts = map[string]string{"csync": "2005", "imap": "143"}

// ErrNoCompression is -z's failure: Cyrus logs "Failed to enable compression".
//
//lint:ignore ST1005 Cyrus's wording
var ErrNoCompression = errors.New("Failed to enable compression")

var errNoReplication = errors.New("protocol: server does not offer X-REPLICATION")

func connect(ctx context.Context, o ClientOptions, defPort string) (*Conn, error) {
	d := net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
	var nc net.Conn
	var err error
	if o.Target.Socket != "" {
		nc, err = d.DialContext(ctx, "unix", o.Target.Socket)
	} else {
		port := o.Port
		if port == "" {
			port = defPort
		}
		addr := o.Target.Address(port)
		if _, err := net.LookupPort("tcp", port); err != nil && o.Target.Port == "" {
			// No /etc/services entry for csync: Cyrus's conventional port.
			addr = o.Target.Address(defaultPorts[port])
		}
		nc, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("protocol: connect: %w", err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	c := NewConn(nc)
	if o.Trace != nil {
		o.Trace.IsClient = true
		c.SetTrace(o.Trace)
	}
	c.Timeout(o.ConnectTimeout)
	if o.Target.ImplicitTLS {
		if o.TLSConfig == nil {
			c.Close()
			return nil, errors.New("protocol: /tls given but no TLS configuration")
		}
		if err := c.StartTLS(o.TLSConfig, true); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// afterLogin compresses (csync) and sends APPLY CAPABILITIES.
func (c *Client) afterLogin() error {
	// COMPRESS waits for AUTHENTICATE's reply although PLAIN is one
	// message: Cyrus 3.6's sync_server, on login, passes the input it has
	// already read through the SASL layer from the start of its buffer,
	// not from where it reads (prot_setsasl, prot_sasldecode), so a
	// command that arrived with AUTHENTICATE is read wrong and the session
	// hangs.
	//
	// cyrus: lib/prot.c prot_setsasl, prot_sasldecode (3.6.1)
	if alg := c.compressAlg(); alg != "" {
		if err := c.conn.WriteLine("COMPRESS %s", alg); err != nil {
			return c.fail(err)
		}
		line, err := c.conn.ReadLine()
		if err != nil {
			return c.fail(err)
		}
		if strings.HasPrefix(line, "OK") {
			if err := c.conn.StartCompression(alg); err != nil {
				return c.fail(err)
			}
		} else {
			c.opts.Logger.Log(context.Background(), cyruslog.LevelNotice, "Failed to enable compression, continuing uncompressed")
		}
	}
	if c.opts.RequireCompression && c.conn.Compression == "" {
		return c.fail(ErrNoCompression)
	}
	if err := c.enable(); err != nil {
		return c.fail(err)
	}
	c.conn.Timeout(0)
	return nil
}

// compressAlg is the compression COMPRESS asks for on csync ("" for none).
func (c *Client) compressAlg() string {
	switch {
	case c.Transport != CSync || c.opts.NoCompression:
		return ""
	case c.has("COMPRESS", LZ4) && !c.opts.NoLZ4:
		return LZ4
	case c.has("COMPRESS", Deflate):
		return Deflate
	}
	return ""
}

// enable sends APPLY CAPABILITIES for what the server offers and the
// client wants, logging Cyrus's lines. Its reply is not waited for: it is
// read before the reply to the next command, or when a feature is first
// asked about (settleEnable), so that a session's first command goes with
// it, a round trip earlier over a long link.
func (c *Client) enable() error {
	sieve, archive := "SIEVE-MAILBOX", "REPLICATION-ARCHIVE"
	if c.Transport == IMAP {
		sieve, archive = "X-SIEVE-MAILBOX", "X-REPLICATION-ARCHIVE"
	}
	log := c.opts.Logger
	var capabilities uint
	var features []string
	if _, ok := c.Caps[sieve]; ok {
		log.Info("Destination supports #sieve mailbox")
		capabilities |= CapaSieveMailbox
		features = append(features, "SIEVE-MAILBOX")
	}
	if c.opts.StageToArchive {
		if _, ok := c.Caps[archive]; ok {
			log.Info("Destination supports replication to archive")
			capabilities |= CapaReplicationArchive
			features = append(features, "REPLICATION-ARCHIVE")
		} else {
			log.Log(context.Background(), cyruslog.LevelNotice, "Destination doesn't support replication to archive")
		}
	}
	if capabilities == 0 {
		return nil
	}
	if c.opts.OnEnable != nil {
		c.opts.OnEnable(capabilities)
	}
	p, err := c.SendAhead(context.Background(), &ApplyCapabilities{Features: features}, nil)
	if err != nil {
		return fmt.Errorf("APPLY CAPABILITIES: %w", err)
	}
	c.enabling, c.enableAsked = p, capabilities
	if capabilities&CapaReplicationArchive != 0 {
		// Its notices are the connection's, in order.
		c.settleEnable()
	}
	return nil
}

// settleEnable reads the reply to APPLY CAPABILITIES if it is not yet
// read. A NO leaves nothing enabled and the session goes on, as Cyrus's
// does (logging its line); a replica that offers REPLICATION-ARCHIVE but does not enable it
// gets Cyrus's NOTICE (Cyrus's sync_connect then returns
// IMAP_REMOTE_DENIED with the session already attached, which
// replica_connect does not look at: the run carries on).
//
// cyrus: imap/sync_support.c sync_connect, sync_do_enable (3.6.1, 3.10.2)
func (c *Client) settleEnable() {
	p := c.enabling
	if p == nil {
		return
	}
	c.enabling = nil
	resp, err := c.Collect(context.Background(), p)
	var re *RemoteError
	if errors.As(err, &re) {
		c.opts.Logger.Error(fmt.Sprintf("ENABLED received NO response: %s", re.Text))
	}
	if err == nil {
		for _, it := range resp.Items {
			if it.Key == "ENABLED" {
				for _, v := range it.Value.Items() {
					c.Enabled = append(c.Enabled, v.Text())
				}
			}
		}
	}
	if c.enableAsked&CapaReplicationArchive != 0 && !c.isEnabled("REPLICATION-ARCHIVE") {
		c.opts.Logger.Log(context.Background(), cyruslog.LevelNotice, "Replication to archive requested but destination didn't enable it")
	}
}

func (c *Client) fail(err error) error {
	c.conn.Close()
	return err
}

// has reports whether capability name lists param (or exists, if param is
// "").
func (c *Client) has(name, param string) bool {
	ps, ok := c.Caps[name]
	if !ok {
		return false
	}
	if param == "" {
		return true
	}
	for _, p := range ps {
		if strings.EqualFold(p, param) {
			return true
		}
	}
	return false
}

// SieveMailbox tells whether the #sieve mailbox is replicated like mail.
func (c *Client) SieveMailbox() bool { return c.isEnabled("SIEVE-MAILBOX") }

// ReplicationArchive tells whether the replica stages uploads on its
// archive partition (sync_client -a, enabled).
func (c *Client) ReplicationArchive() bool { return c.isEnabled("REPLICATION-ARCHIVE") }

func (c *Client) isEnabled(feature string) bool {
	c.settleEnable()
	for _, e := range c.Enabled {
		if strings.EqualFold(e, feature) {
			return true
		}
	}
	return false
}

// Compression is the compression in use ("" for none).
func (c *Client) Compression() string { return c.conn.Compression }

// Item is one "* KEY value" data line of a response.
type Item struct {
	// Key is the item's name, e.g. MAILBOX.
	Key string
	// Value is its dlist.
	Value dlist.Value
}

// Response is what a GET, APPLY or RESTORE returned before its OK.
type Response struct {
	// Items are the data lines.
	Items []Item
}

// Command sends `<verb> <key> <arg>` (GET USER fred, APPLY MAILBOX %(…))
// and reads the response. A NO comes back as *RemoteError, BYE as ErrBye.
func (c *Client) Command(ctx context.Context, verb, key string, arg dlist.Value) (*Response, error) {
	return c.command(ctx, verb, key, &arg, nil)
}

// CommandFiles is Command with file literals inside arg streamed from
// files (APPLY MESSAGE).
func (c *Client) CommandFiles(ctx context.Context, verb, key string, arg dlist.Value, files dlist.FileSource) (*Response, error) {
	return c.command(ctx, verb, key, &arg, files)
}

func (c *Client) command(ctx context.Context, verb, key string, arg *dlist.Value, files dlist.FileSource) (*Response, error) {
	return c.commandRecv(ctx, verb, key, arg, files, nil)
}

// commandRecv is command with file literals of the reply given to recv
// (GET FETCH); without recv they are an error. It waits for the reply, so
// no pipelined reply may be outstanding.
func (c *Client) commandRecv(ctx context.Context, verb, key string, arg *dlist.Value, files dlist.FileSource, recv dlist.FileFunc) (*Response, error) {
	if err := c.usable(verb, key); err != nil {
		return nil, err
	}
	tag, err := c.send(ctx, verb, key, arg, files)
	if err != nil {
		return nil, err
	}
	return c.readResponse(tag, recv)
}

// send writes one command and flushes it; it returns the IMAP tag ("" on
// csync).
func (c *Client) send(ctx context.Context, verb, key string, arg *dlist.Value, files dlist.FileSource) (string, error) {
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetDeadline(dl)
	} else {
		c.conn.Timeout(c.opts.Timeout)
	}
	tag := ""
	w := c.conn.Writer()
	if c.Transport == IMAP {
		tag = fmt.Sprintf("S%d", tagCounter.Add(1)-1)
		fmt.Fprintf(w, "%s SYNC%s", tag, verb)
	} else {
		fmt.Fprintf(w, "%s", verb)
	}
	enc := dlist.NewEncoder(w, &dlist.EncodeOptions{NonSyncLiterals: true, File: files})
	var err error
	if arg != nil {
		if err = enc.WriteRaw(" "); err == nil {
			err = enc.EncodeItem(key, *arg)
		}
	}
	if err == nil {
		err = enc.WriteRaw("\r\n")
	}
	if err == nil {
		err = enc.Flush()
	}
	if err == nil {
		err = c.conn.Flush()
	}
	if err != nil {
		return "", fmt.Errorf("protocol: send %s %s: %w", verb, key, err)
	}
	return tag, nil
}

// readResponse reads "* KEY value" lines up to the status line.
func (c *Client) readResponse(tag string, recv dlist.FileFunc) (*Response, error) {
	r := c.conn.Reader()
	var opts *dlist.DecodeOptions
	if recv != nil {
		opts = &dlist.DecodeOptions{File: recv}
	}
	dec := dlist.NewDecoder(r, opts)
	resp := &Response{}
	for {
		b, err := r.Peek(2)
		if err != nil {
			return nil, fmt.Errorf("protocol: read response: %w", err)
		}
		if string(b) == "* " {
			r.Discard(2)
			key, v, err := dec.ReadItem()
			if err == nil {
				err = dec.ReadLineEnd()
			}
			if err != nil {
				return nil, fmt.Errorf("protocol: response item: %w", err)
			}
			resp.Items = append(resp.Items, Item{Key: key, Value: v})
			continue
		}
		line, err := c.conn.ReadLine()
		if err != nil {
			return nil, fmt.Errorf("protocol: read response: %w", err)
		}
		status := line
		if tag != "" {
			t, rest, _ := strings.Cut(line, " ")
			if t != tag {
				return nil, &ProtocolError{Line: line, Why: "expected tag " + tag, Response: t, ErrMsg: rest}
			}
			status = rest
		}
		word, text, _ := strings.Cut(status, " ")
		switch word {
		case "OK":
			return resp, nil
		case "NO":
			return resp, parseNo(text)
		case "BYE":
			return resp, ErrBye
		}
		return resp, &ProtocolError{Line: line, Why: "bad status", Response: word, ErrMsg: text}
	}
}

// Noop pings the server.
func (c *Client) Noop(ctx context.Context) error { return c.simple(ctx, "NOOP", "N01 NOOP") }

// Restart asks the server to drop its staged files.
func (c *Client) Restart(ctx context.Context) error {
	if c.Transport == IMAP {
		_, err := c.command(ctx, "RESTART", "", nil, nil)
		return err
	}
	return c.simple(ctx, "RESTART", "")
}

func (c *Client) simple(ctx context.Context, csync, imap string) error {
	if err := c.usable(csync, ""); err != nil {
		return err
	}
	c.conn.Timeout(c.opts.Timeout)
	line := csync
	tag := ""
	if c.Transport == IMAP {
		line = imap
		tag, _, _ = strings.Cut(imap, " ")
	}
	if err := c.conn.WriteLine("%s", line); err != nil {
		return err
	}
	_, err := c.readResponse(tag, nil)
	return err
}

// Close ends the session politely (EXIT, or LOGOUT on IMAP) and closes.
func (c *Client) Close() error {
	c.conn.Timeout(c.opts.ConnectTimeout)
	if c.Transport == IMAP {
		if c.conn.WriteLine("Q01 LOGOUT") == nil {
			for {
				l, err := c.conn.ReadLine()
				if err != nil || !strings.HasPrefix(l, "* ") {
					break
				}
			}
		}
	} else if c.conn.WriteLine("EXIT") == nil {
		c.conn.ReadLine()
	}
	return c.conn.Close()
}
