package protocol

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// ServeCSync runs a csync (sync_server) session on nc until the client
// says EXIT, the connection ends or ctx is cancelled.
//
// cyrus: imap/sync_server.c dobanner, cmdloop (3.6.1)
func ServeCSync(ctx context.Context, nc net.Conn, opts ServerOptions) error {
	s, end := newSession(ctx, nc, &opts, CSync)
	defer end()
	if err := s.banner(); err != nil {
		return err
	}
	return s.loop(ctx, s.csyncCommand)
}

// newSession sets a session up on nc; end releases it (and whatever the
// handler staged).
func newSession(ctx context.Context, nc net.Conn, opts *ServerOptions, t Transport) (s *Session, end func()) {
	opts.defaults()
	s = &Session{conn: NewConn(nc), opts: opts, transport: t, RemoteHost: hostOf(nc)}
	if opts.PreAuth != "" {
		s.UserID, s.IsAdmin = opts.PreAuth, true
	}
	if opts.Trace != nil {
		opts.Trace.IsClient = false
		s.conn.SetTrace(opts.Trace)
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	watched := make(chan struct{})
	go s.watchStop(watched)
	return s, func() {
		close(watched)
		stop()
		if opts.Handler != nil {
			opts.Handler.Restart(s)
		}
		s.conn.Close()
	}
}

// loop reads a word at a time and hands it to command until a command says
// it is done, the connection ends, ctx is cancelled or the session is
// told to stop (ServerOptions.Shutdown, Hangup).
func (s *Session) loop(ctx context.Context, command func(ctx context.Context, word string, c byte) (bool, error)) error {
	for {
		if s.stop.Load() == stopShutdown {
			return s.bye()
		}
		s.conn.Timeout(s.opts.Timeout)
		s.idle.Store(true)
		if s.stop.Load() != 0 {
			s.conn.SetReadDeadline(time.Now()) // told to stop before idle was set
		}
		word, c, err := readWord(s.conn)
		s.idle.Store(false)
		if err != nil {
			switch {
			case s.stop.Load() == stopShutdown:
				return s.bye()
			case s.stop.Load() == stopHangup && s.stoppedIdle(err):
				return nil
			case errors.Is(err, io.EOF) || ctx.Err() != nil:
				return nil
			}
			return err
		}
		done, err := command(ctx, word, c)
		if s.stop.Load() == stopShutdown && !done {
			return s.bye()
		}
		if err != nil || done {
			return err
		}
	}
}

// watchStop turns ServerOptions.Shutdown and Hangup into a stop reason and
// interrupts the read of a session waiting for a command (Shutdown also
// interrupts a command reading its arguments, as Cyrus's reads poll for
// the signal) until done is closed.
func (s *Session) watchStop(done <-chan struct{}) {
	select {
	case <-s.opts.Shutdown:
		s.stop.Store(stopShutdown)
		s.conn.SetReadDeadline(time.Now())
	case <-s.opts.Hangup:
		s.stop.Store(stopHangup)
		if s.idle.Load() {
			s.conn.SetReadDeadline(time.Now())
		}
	case <-done:
	}
}

// stoppedIdle tells whether err is the read deadline watchStop set.
func (s *Session) stoppedIdle(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// bye ends the session as Cyrus's shut_down_via_signal does: an untagged
// "BYE shutting down" (no "*").
func (s *Session) bye() error {
	s.conn.WriteLine("BYE shutting down")
	return nil
}

func hostOf(nc net.Conn) string {
	if a := nc.RemoteAddr(); a != nil {
		return a.String()
	}
	return "unix"
}

// banner sends the capability lines and "* OK".
func (s *Session) banner() error {
	w := s.conn.Writer()
	if s.UserID == "" && s.opts.PreAuth == "" {
		if m := s.mechs(); len(m) > 0 {
			fmt.Fprintf(w, "* SASL %s\r\n", strings.Join(m, " "))
		}
		if s.opts.TLSConfig != nil && !s.conn.TLS {
			fmt.Fprintf(w, "* STARTTLS\r\n")
		}
		if s.conn.Compression == "" && !s.conn.TLS {
			fmt.Fprintf(w, "* COMPRESS DEFLATE\r\n")
			if !s.opts.NoLZ4 {
				// Ours; Cyrus's clients ignore a COMPRESS line that is not DEFLATE.
				fmt.Fprintf(w, "* COMPRESS LZ4\r\n")
			}
		}
		fmt.Fprintf(w, "* SIEVE-MAILBOX\r\n")
		if s.opts.ReplicationArchive && s.opts.ArchiveEnabled {
			// cyrus: imap/sync_server.c cmdloop (3.10.2)
			fmt.Fprintf(w, "* REPLICATION-ARCHIVE\r\n")
		}
	}
	v := s.opts.Version
	if v == "" {
		v = Version
	}
	return s.conn.WriteLine("* OK %s Cyrus sync server %s", s.opts.ServerName, v)
}

// readWord reads a command word as Cyrus's getword does: up to white space,
// '(', ')' or '"', returning the word and the byte that ended it.
func readWord(c *Conn) (string, byte, error) {
	var b []byte
	for {
		ch, err := c.Reader().ReadByte()
		if err != nil {
			return "", 0, err
		}
		switch ch {
		case ' ', '\t', '\r', '\n', '\v', '\f', '(', ')', '"':
			return string(b), ch, nil
		}
		b = append(b, ch)
		if len(b) > MaxLine {
			return "", 0, ErrLineTooLong
		}
	}
}

// eatLine discards the rest of a line whose first word ended with c.
func (s *Session) eatLine(c byte) {
	if c == '\n' {
		return
	}
	s.conn.ReadLine()
}

// lineEnd checks that c (and maybe one more byte) ends the line.
func (s *Session) lineEnd(c byte) bool {
	if c == '\r' {
		b, err := s.conn.Reader().ReadByte()
		if err != nil {
			return false
		}
		c = b
	}
	return c == '\n'
}

func capitalize(w string) string {
	if w == "" {
		return w
	}
	return strings.ToUpper(w[:1]) + strings.ToLower(w[1:])
}

// csyncCommand runs one command; done is true after EXIT.
func (s *Session) csyncCommand(ctx context.Context, word string, c byte) (done bool, err error) {
	cmd := capitalize(word)
	reply := func(format string, args ...any) error { return s.conn.WriteLine(format, args...) }
	switch {
	case cmd == "":
		s.eatLine(c)
		return false, reply("BAD Null command")
	case s.UserID != "" && !s.IsAdmin:
		s.eatLine(c)
		s.opts.Logger.Log(ctx, cyruslog.LevelNotice, fmt.Sprintf("%s: %s is not an admin: %s refused", s.RemoteHost, s.UserID, cmd),
			"user", s.UserID, "command", cmd)
		return false, reply("NO Permission denied")
	}
	switch cmd {
	case "Authenticate":
		if c != ' ' {
			s.eatLine(c)
			return false, reply("BAD Missing required argument to %s", cmd)
		}
		line, err := s.conn.ReadLine()
		if err != nil {
			return false, err
		}
		f := strings.Fields(line)
		if len(f) == 0 || len(f) > 2 {
			return false, reply("BAD Unexpected extra arguments to %s", cmd)
		}
		if s.UserID != "" {
			return false, reply("BAD Already authenticated")
		}
		var ir *string
		if len(f) == 2 {
			ir = &f[1]
		}
		return false, s.authenticate(ctx, "", f[0], ir)
	case "Starttls":
		if s.opts.TLSConfig == nil {
			break
		}
		if !s.lineEnd(c) {
			return false, reply("BAD Unexpected extra arguments to %s", cmd)
		}
		if s.UserID != "" {
			return false, reply("BAD Can't Starttls after authentication")
		}
		if s.conn.TLS {
			return false, reply("BAD Already did a successful Starttls")
		}
		if err := reply("OK Begin TLS negotiation now"); err != nil {
			return false, err
		}
		if err := s.conn.StartTLS(s.opts.TLSConfig, false); err != nil {
			return true, err
		}
		return false, s.banner()
	case "Compress":
		if c != ' ' {
			s.eatLine(c)
			return false, reply("BAD Missing required argument to %s", cmd)
		}
		alg, c2, err := readWord(s.conn)
		if err != nil {
			return false, err
		}
		if !s.lineEnd(c2) {
			s.eatLine(c2)
			return false, reply("BAD Unexpected extra arguments to %s", cmd)
		}
		return false, s.compress(alg)
	case "Noop", "Restart", "Exit":
		if !s.lineEnd(c) {
			s.eatLine(c)
			return false, reply("BAD Unexpected extra arguments to %s", cmd)
		}
		switch cmd {
		case "Noop":
			return false, reply("OK Noop completed")
		case "Restart":
			if s.opts.Handler != nil {
				s.opts.Handler.Restart(s)
			}
			return false, reply("OK Restarting")
		}
		return true, reply("OK Finished")
	case "Get", "Apply", "Restore":
		if s.UserID == "" {
			s.eatLine(c)
			s.opts.Logger.Log(ctx, cyruslog.LevelNotice, fmt.Sprintf("%s: %s before authentication refused", s.RemoteHost, cmd), "command", cmd)
			return false, reply("NO Please authenticate first")
		}
		if c != ' ' {
			s.eatLine(c)
			return false, reply("BAD IMAP_PROTOCOL_ERROR Failed to parse %s line", strings.ToUpper(cmd))
		}
		key, arg, err := s.decodeArg()
		if err != nil && s.stop.Load() == stopShutdown {
			return false, err // the read was cut short to shut down
		}
		if err != nil {
			// Cyrus logs no cause; ours is added as error=<…>.
			cyruslog.Xsyslog(s.opts.Logger, cyruslog.LevelErr, "IOERROR: received bad command", "cmdloop",
				"command", cmd, "error", err)
			return false, reply("BAD IMAP_PROTOCOL_ERROR Failed to parse %s line", strings.ToUpper(cmd))
		}
		return false, s.run(ctx, "", strings.ToUpper(cmd), key, arg)
	}
	cyruslog.Xsyslog(s.opts.Logger, cyruslog.LevelErr, "IOERROR: received bad command", "cmdloop", "command", cmd)
	s.eatLine(c)
	return false, reply("BAD IMAP_PROTOCOL_ERROR Unrecognized command")
}

// compress switches compression on after "OK <alg> active".
//
// cyrus: imap/sync_server.c cmd_compress (3.6.1)
func (s *Session) compress(alg string) error {
	alg = strings.ToUpper(alg)
	switch {
	case s.conn.Compression != "":
		return s.conn.WriteLine("NO Compression already active: %s", alg)
	case alg != Deflate && (alg != LZ4 || s.opts.NoLZ4):
		return s.conn.WriteLine("NO Unknown compression algorithm: %s", alg)
	}
	if err := s.conn.WriteLine("OK %s active", alg); err != nil {
		return err
	}
	return s.conn.StartCompression(alg)
}
