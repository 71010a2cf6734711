package protocol

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/cyrus-replication/cyrus-replication/internal/cyruslog"
)

// loginServer is the server side of SASL LOGIN (go-sasl has only the
// client): "Username:" and "Password:" challenges.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if response != nil {
			l.user = string(response)
			l.step = 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(response)
		l.step = 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.user, string(response))
	}
	return nil, false, errors.New("unexpected response")
}

// errAuthFailed is Cyrus SASL's text for a bad password.
var errAuthFailed = errors.New("authentication failure")

// authenticate runs one SASL exchange as Cyrus's saslserver does and, on
// success, records the user and answers "OK Success (<protection>)". tag is
// "" on csync, the IMAP tag otherwise; ir is the initial response if given.
//
// cyrus: imap/saslserver.c saslserver, imap/sync_server.c cmd_authenticate (3.6.1)
func (s *Session) authenticate(ctx context.Context, tag, mech string, ir *string) error {
	prefix := ""
	if tag != "" {
		prefix = tag + " "
	}
	mech = strings.ToUpper(mech)
	offered := false
	for _, m := range s.mechs() {
		offered = offered || m == mech
	}
	if !offered {
		if tag != "" {
			return s.conn.WriteLine("%sNO Invalid authentication mechanism", prefix)
		}
		return s.conn.WriteLine("NO no mechanism available")
	}
	var authcid string
	var loginErr LoginError
	check := func(authzid, user, pass string) error {
		authcid = user
		if authzid != "" && authzid != user {
			return errors.New("authorization failure")
		}
		var err error
		if uc, ok := s.opts.Auth.(UserChecker); ok {
			var canon string
			if canon, err = uc.Check(ctx, user, pass); err == nil {
				authcid = canon
			}
		} else {
			err = s.opts.Auth.CheckPassword(ctx, authzid, user, pass)
		}
		if err != nil {
			if !errors.As(err, &loginErr) {
				return errAuthFailed
			}
			return err
		}
		return nil
	}
	var srv sasl.Server
	if mech == "PLAIN" {
		srv = sasl.NewPlainServer(func(identity, user, pass string) error { return check(identity, user, pass) })
	} else {
		srv = &loginServer{check: func(user, pass string) error { return check("", user, pass) }}
	}
	var resp []byte
	if ir != nil {
		if *ir != "=" {
			b, err := base64.StdEncoding.DecodeString(*ir)
			if err != nil {
				return s.conn.WriteLine("%sNO Error reading client response: invalid base64", prefix)
			}
			resp = b
		} else {
			resp = []byte{}
		}
	}
	for {
		chal, done, err := srv.Next(resp)
		if err != nil {
			detail, reply := err.Error(), errAuthFailed.Error()
			if loginErr != nil {
				detail, reply = loginErr.ErrDetail(mech), loginErr.ReplyText()
			}
			// Cyrus's line: the cause is in its words only (cyruslog's rule).
			s.opts.Logger.Log(ctx, cyruslog.LevelNotice, fmt.Sprintf("badlogin: %s %s (%s) [%s]", s.RemoteHost, mech, orNotSet(authcid), detail))
			if s.opts.FailedLoginPause > 0 {
				select {
				case <-time.After(s.opts.FailedLoginPause):
				case <-ctx.Done():
				}
			}
			return s.conn.WriteLine("%sNO %s", prefix, reply)
		}
		if done {
			break
		}
		if err := s.conn.WriteLine("+ %s", base64.StdEncoding.EncodeToString(chal)); err != nil {
			return err
		}
		line, err := s.conn.ReadLine()
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "*") {
			return s.conn.WriteLine("%sBAD Client canceled authentication", prefix)
		}
		if resp, err = base64.StdEncoding.DecodeString(line); err != nil {
			return s.conn.WriteLine("%sNO Error reading client response: invalid base64", prefix)
		}
	}
	s.UserID = authcid
	s.IsAdmin = s.isAdmin(authcid)
	tlsNote := ""
	protection := "no protection"
	if s.conn.TLS {
		tlsNote, protection = "+TLS", "tls protection"
	}
	s.opts.Logger.Log(ctx, cyruslog.LevelNotice, fmt.Sprintf("login: %s %s %s%s %s", s.RemoteHost, s.UserID, mech, tlsNote, "User logged in"),
		"user", s.UserID)
	if tag != "" {
		return s.conn.WriteLine("%sOK [CAPABILITY %s] Success (%s)", prefix, s.imapCaps(), protection)
	}
	return s.conn.WriteLine("OK Success (%s)", protection)
}

func orNotSet(s string) string {
	if s == "" {
		return "-notset-"
	}
	return s
}
