package protocol

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// Version is the version string of our banners. Cyrus's clients never
// parse it; people and monitoring do.
var Version = "3.6.1 (cyrus-replication)"

// Authenticator checks a password login (PLAIN, LOGIN).
type Authenticator interface {
	// CheckPassword returns nil if authcid's password is right. authzid is
	// the identity to act as ("" for authcid itself).
	CheckPassword(ctx context.Context, authzid, authcid, password string) error
}

// UserChecker is an Authenticator that also canonicalises the userid, as
// Cyrus's SASL layer does (lower case, default domain cut off): the
// session then knows the user, and checks admins, by that name.
type UserChecker interface {
	Authenticator
	// Check verifies authcid's password and returns the canonical userid.
	Check(ctx context.Context, authcid, password string) (string, error)
}

// LoginError is a refused login that knows Cyrus's texts for it: the one
// the client gets after "NO " and the detail of the badlogin log line.
type LoginError interface {
	error
	ReplyText() string
	ErrDetail(mech string) string
}

// Handler runs the replication commands (GET, APPLY, RESTORE) of an
// authenticated admin session; sync_server supplies it. APPLY CAPABILITIES
// is handled by the session itself.
type Handler interface {
	// Command runs one command and returns its data items. An error is
	// reported to the client: a *RemoteError as "NO <code text>", anything
	// else as "NO Unknown error".
	Command(ctx context.Context, s *Session, verb, key string, arg dlist.Value) ([]Item, error)
	// Files receives the file literals of APPLY MESSAGE while they stream
	// in; nil refuses them.
	Files(s *Session) dlist.FileFunc
	// Restart drops what the session staged (RESTART, and at the end).
	Restart(s *Session)
}

// ServerOptions configures a server session. Zero values mean Cyrus's
// defaults.
type ServerOptions struct {
	// ServerName is servername, shown in the banner.
	ServerName string
	// Version is the version the banner shows ("" for Version).
	Version string
	// Admins are the users allowed to replicate (admins).
	Admins []string
	// Auth checks passwords; nil refuses every login.
	Auth Authenticator
	// TLSConfig enables STARTTLS; nil means no TLS.
	TLSConfig *tls.Config
	// AllowPlaintext offers PLAIN and LOGIN without TLS (allowplaintext).
	AllowPlaintext bool
	// FailedLoginPause is slept after a failed login (failedloginpause,
	// default 3s).
	FailedLoginPause time.Duration
	// Timeout is the read timeout (sync_timeout, default 30m).
	Timeout time.Duration
	// ReplicationArchive is Cyrus 3.8+'s REPLICATION-ARCHIVE: imapd offers
	// X-REPLICATION-ARCHIVE after login whatever the configuration.
	ReplicationArchive bool
	// ArchiveEnabled is archive_enabled: with ReplicationArchive, the
	// csync banner offers REPLICATION-ARCHIVE and APPLY CAPABILITIES
	// enables it.
	ArchiveEnabled bool
	// NoLZ4 stops offering LZ4 compression to our own clients.
	NoLZ4 bool
	// Handler runs the commands; nil answers every GET, APPLY and RESTORE
	// with "NO IMAP_PROTOCOL_ERROR Protocol error" (the session alone).
	Handler Handler
	// Limits bound what a client can make us allocate.
	Limits *dlist.Limits
	// Logger receives Cyrus's syslog lines (login:, badlogin: …).
	Logger *slog.Logger
	// Trace, if set, receives the session as the transcripts show it.
	Trace *Tracer
	// PreAuth, if set, is a user the transport has already authenticated:
	// the session starts logged in as that user, an admin, and its banner
	// is only the greeting. Cyrus's sync_server does this for a peer on a
	// UNIX-domain socket, as cyrus_user.
	//
	// cyrus: imap/sync_server.c service_main (3.6.1)
	PreAuth string
	// Shutdown, once closed, ends the session as Cyrus's sync_server ends
	// on SIGTERM: at its next wait for input (at once if it is waiting)
	// it sends "BYE shutting down" and returns. A command being applied
	// is not interrupted.
	//
	// cyrus: imap/sync_server.c shut_down_via_signal (3.6.1)
	Shutdown <-chan struct{}
	// Hangup, once closed, drops the session without a word if it is
	// waiting for a command, as Cyrus 3.6's sync_server does on SIGHUP; a
	// session busy with a command goes on to its end.
	Hangup <-chan struct{}
}

// Session is one server-side connection's state.
type Session struct {
	// UserID is the authenticated user ("" before login).
	UserID string
	// IsAdmin tells whether UserID may replicate.
	IsAdmin bool
	// SieveMailbox is on once the client enabled SIEVE-MAILBOX.
	SieveMailbox bool
	// Archive is on once the client enabled REPLICATION-ARCHIVE: uploads
	// are staged on the archive partition.
	Archive bool
	// RemoteHost is the client's address, for logs.
	RemoteHost string

	conn      *Conn
	opts      *ServerOptions
	transport Transport

	// idle is set while the session waits for the first word of a
	// command; stop says why the session was told to end (stopShutdown
	// or stopHangup; 0: it was not).
	idle atomic.Bool
	stop atomic.Int32
}

// Why a session was told to end.
const (
	stopShutdown = 1 + iota
	stopHangup
)

// Conn is the session's connection.
func (s *Session) Conn() *Conn { return s.conn }

func (o *ServerOptions) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.Timeout < 3*time.Second {
		o.Timeout = 3 * time.Second
	}
	if o.FailedLoginPause < 0 {
		o.FailedLoginPause = 0
	}
}

func (s *Session) isAdmin(user string) bool {
	for _, a := range s.opts.Admins {
		if a == user {
			return true
		}
	}
	return false
}

// mechs lists the SASL mechanisms on offer now.
func (s *Session) mechs() []string {
	if s.opts.Auth == nil || (!s.opts.AllowPlaintext && !s.conn.TLS) {
		return nil
	}
	return []string{"PLAIN", "LOGIN"}
}

// run executes GET/APPLY/RESTORE with an already-decoded argument, and
// writes the items and the status line (prefixed by tag on IMAP).
func (s *Session) run(ctx context.Context, tag, verb, key string, arg dlist.Value) error {
	var items []Item
	var err error
	switch {
	case verb == "APPLY" && key == "CAPABILITIES":
		items = s.applyCapabilities(arg)
	case s.opts.Handler == nil:
		err = &RemoteError{Code: CodeProtocolError, Text: StatusText(CodeProtocolError)}
	default:
		items, err = s.opts.Handler.Command(ctx, s, verb, key, arg)
	}
	enc := dlist.NewEncoder(s.conn.Writer(), &dlist.EncodeOptions{})
	for _, it := range items {
		if werr := enc.WriteRaw("* "); werr != nil {
			return werr
		}
		if werr := enc.EncodeItem(it.Key, it.Value); werr != nil {
			return fmt.Errorf("protocol: reply to %s %s: %w", verb, key, werr)
		}
		if werr := enc.WriteRaw("\r\n"); werr != nil {
			return werr
		}
	}
	if werr := enc.Flush(); werr != nil {
		return werr
	}
	prefix := ""
	if tag != "" {
		prefix = tag + " "
	}
	status := "OK success"
	if err != nil {
		var re *RemoteError
		if errors.As(err, &re) {
			status = "NO " + StatusText(re.Code)
		} else {
			s.opts.Logger.Error(fmt.Sprintf("IOERROR: %s %s failed", verb, key), "error", err,
				"command", verb+" "+key, "user", s.UserID)
			status = "NO " + StatusText(CodeRemoteDenied)
		}
	}
	return s.conn.WriteLine("%s%s", prefix, status)
}

// applyCapabilities answers APPLY CAPABILITIES: it enables what it knows
// and always sends the ENABLED line (a Cyrus client needs it).
//
// cyrus: imap/sync_support.c sync_apply_capabilities (3.6.1, 3.10.2)
func (s *Session) applyCapabilities(arg dlist.Value) []Item {
	var on []dlist.Value
	for _, v := range arg.Items() {
		if strings.EqualFold(v.Text(), "SIEVE-MAILBOX") {
			s.SieveMailbox = true
			on = append(on, v)
		}
		if strings.EqualFold(v.Text(), "REPLICATION-ARCHIVE") && s.opts.ReplicationArchive && s.opts.ArchiveEnabled {
			s.Archive = true
			on = append(on, v)
		}
	}
	return []Item{{Key: "ENABLED", Value: dlist.List(on...)}}
}

// decodeArg reads "<key> <value>" and the line end of a GET, APPLY or
// RESTORE.
func (s *Session) decodeArg() (string, dlist.Value, error) {
	var opts dlist.DecodeOptions
	if s.opts.Limits != nil {
		opts.Limits = *s.opts.Limits
	}
	if s.opts.Handler != nil {
		opts.File = s.opts.Handler.Files(s)
	}
	dec := dlist.NewDecoder(s.conn.Reader(), &opts)
	key, v, err := dec.ReadItem()
	if err == nil {
		err = dec.ReadLineEnd()
	}
	if err != nil {
		dec.SkipLine()
		return "", dlist.Value{}, err
	}
	return strings.ToUpper(key), v, nil
}
