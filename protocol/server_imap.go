package protocol

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// ServeIMAP runs the replication part of an IMAP server (what a Cyrus
// sync_client uses of imapd): greeting, CAPABILITY, AUTHENTICATE,
// STARTTLS, NOOP, LOGOUT and the SYNC* commands.
//
// cyrus: imap/imapd.c (cmd_syncapply, cmd_syncget, cmd_syncrestart,
// cmd_syncrestore) (3.6.1)
func ServeIMAP(ctx context.Context, nc net.Conn, opts ServerOptions) error {
	s, end := newSession(ctx, nc, &opts, IMAP)
	defer end()
	if err := s.conn.WriteLine("* OK [CAPABILITY %s] %s Cyrus IMAP %s server ready", s.imapCaps(), opts.ServerName, Version); err != nil {
		return err
	}
	return s.loop(ctx, func(ctx context.Context, tag string, c byte) (bool, error) {
		if c != ' ' || tag == "" {
			s.eatLine(c)
			return false, s.conn.WriteLine("* BAD Invalid tag")
		}
		word, c, err := readWord(s.conn)
		if err != nil {
			return true, err
		}
		return s.imapCommand(ctx, tag, capitalize(word), c)
	})
}

// imapCaps is the CAPABILITY list for the session's state.
func (s *Session) imapCaps() string {
	caps := []string{"IMAP4rev1", "LITERAL+", "ID", "ENABLE"}
	if s.UserID == "" {
		for _, m := range s.mechs() {
			caps = append(caps, "AUTH="+m)
		}
		caps = append(caps, "SASL-IR")
		if s.opts.TLSConfig != nil && !s.conn.TLS {
			caps = append(caps, "STARTTLS")
		}
		return strings.Join(caps, " ")
	}
	caps = append(caps, "X-REPLICATION")
	if s.opts.ReplicationArchive {
		// cyrus: imap/imapd.c base_capabilities (3.10.2): offered whether
		// or not archive_enabled, which only APPLY CAPABILITIES looks at
		caps = append(caps, "X-REPLICATION-ARCHIVE")
	}
	return strings.Join(append(caps, "X-SIEVE-MAILBOX"), " ")
}

func (s *Session) imapCommand(ctx context.Context, tag, cmd string, c byte) (done bool, err error) {
	reply := func(format string, args ...any) error { return s.conn.WriteLine(tag+" "+format, args...) }
	switch cmd {
	case "Capability", "Noop", "Logout", "Starttls":
		if !s.lineEnd(c) {
			s.eatLine(c)
			return false, reply("BAD Unexpected extra arguments to %s", cmd)
		}
	}
	switch cmd {
	case "Capability":
		if err := s.conn.WriteLine("* CAPABILITY %s", s.imapCaps()); err != nil {
			return false, err
		}
		return false, reply("OK Completed")
	case "Noop":
		return false, reply("OK Completed")
	case "Logout":
		if err := s.conn.WriteLine("* BYE LOGOUT received"); err != nil {
			return true, err
		}
		return true, reply("OK Completed")
	case "Starttls":
		if s.opts.TLSConfig == nil || s.conn.TLS || s.UserID != "" {
			return false, reply("BAD Unrecognized command")
		}
		if err := reply("OK Begin TLS negotiation now"); err != nil {
			return false, err
		}
		return false, s.conn.StartTLS(s.opts.TLSConfig, false)
	case "Authenticate":
		line, err := s.conn.ReadLine()
		if err != nil {
			return false, err
		}
		f := strings.Fields(line)
		if c != ' ' || len(f) == 0 || len(f) > 2 {
			return false, reply("BAD Missing required argument to Authenticate")
		}
		if s.UserID != "" {
			return false, reply("BAD Already authenticated")
		}
		var ir *string
		if len(f) == 2 {
			ir = &f[1]
		}
		return false, s.authenticate(ctx, tag, f[0], ir)
	case "Syncapply", "Syncget", "Syncrestore", "Syncrestart":
		if s.UserID == "" || !s.IsAdmin {
			// 3.6–3.10 hide the commands from non-admins.
			s.eatLine(c)
			s.opts.Logger.Log(ctx, cyruslog.LevelNotice, fmt.Sprintf("%s: %s by %q refused: not an authenticated admin", s.RemoteHost, cmd, s.UserID),
				"user", s.UserID, "command", cmd)
			return false, reply("BAD Unrecognized command")
		}
		verb := strings.ToUpper(strings.TrimPrefix(cmd, "Sync"))
		if verb == "RESTART" {
			if !s.lineEnd(c) {
				s.eatLine(c)
				return false, reply("BAD Unexpected extra arguments to %s", cmd)
			}
			if s.opts.Handler != nil {
				s.opts.Handler.Restart(s)
			}
			return false, reply("OK Restarting")
		}
		if c != ' ' {
			s.eatLine(c)
			return false, reply("BAD Replication parse failure in %s", cmd)
		}
		key, arg, err := s.decodeArg()
		if err != nil {
			return false, reply("BAD Replication parse failure in %s", cmd)
		}
		return false, s.run(ctx, tag, verb, key, arg)
	}
	s.eatLine(c)
	return false, reply("BAD Unrecognized command")
}
