package protocol

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// clientMechs are the mechanisms we can do as a client, best first.
var clientMechs = []string{sasl.Plain, sasl.Login}

// chooseMech picks our best mechanism among those offered (and, if
// restricted, allowed).
func chooseMech(offered, allowed []string) string {
	for _, m := range clientMechs {
		if !containsFold(offered, m) {
			continue
		}
		if len(allowed) > 0 && !containsFold(allowed, m) {
			continue
		}
		return m
	}
	return ""
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func (c *Client) saslClient(mech string) sasl.Client {
	switch mech {
	case sasl.Login:
		return sasl.NewLoginClient(c.opts.AuthName, c.opts.Password)
	}
	return sasl.NewPlainClient("", c.opts.AuthName, c.opts.Password)
}

// authenticate runs one SASL exchange. cmd is "AUTHENTICATE" (csync) or
// "A01 AUTHENTICATE" (IMAP); tag is "" or "A01"; ir says whether the initial
// response may go on the command line (csync always; IMAP with SASL-IR).
// On IMAP, the capabilities of the A01 OK line replace the pre-login ones.
//
// cyrus: imap/saslclient.c saslclient (3.6.1)
func (c *Client) authenticate(mech, cmd, tag string, ir bool) error {
	sc := c.saslClient(mech)
	_, initial, err := sc.Start()
	if err != nil {
		return fmt.Errorf("protocol: SASL %s: %w", mech, err)
	}
	line := cmd + " " + mech
	pending := initial
	if ir && initial != nil {
		enc := base64.StdEncoding.EncodeToString(initial)
		if enc == "" {
			enc = "="
		}
		line += " " + enc
		pending = nil
	}
	if err := c.conn.WriteLine("%s", line); err != nil {
		return err
	}
	for {
		resp, err := c.conn.ReadLine()
		if err != nil {
			return fmt.Errorf("protocol: AUTHENTICATE: %w", err)
		}
		if strings.HasPrefix(resp, "+") {
			var out []byte
			if pending != nil {
				out, pending = pending, nil
			} else {
				chal, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(resp, "+")))
				if err != nil {
					c.conn.WriteLine("*")
					return fmt.Errorf("protocol: bad SASL challenge %q", resp)
				}
				if out, err = sc.Next(chal); err != nil {
					c.conn.WriteLine("*")
					return fmt.Errorf("protocol: SASL %s: %w", mech, err)
				}
			}
			if err := c.conn.WriteLine("%s", base64.StdEncoding.EncodeToString(out)); err != nil {
				return err
			}
			continue
		}
		status := resp
		if tag != "" {
			t, rest, _ := strings.Cut(resp, " ")
			if t != tag {
				if strings.HasPrefix(resp, "* ") {
					continue // untagged data before the tagged reply
				}
				return &ProtocolError{Line: resp, Why: "unexpected reply to AUTHENTICATE"}
			}
			status = rest
		}
		switch {
		case strings.HasPrefix(status, "OK"):
			if tag != "" && !c.capsFromCode(status) {
				if err := c.imapCapability(); err != nil {
					return err
				}
			}
			return nil
		case strings.HasPrefix(status, "NO"):
			return &AuthError{Mech: mech, Text: strings.TrimSpace(strings.TrimPrefix(status, "NO"))}
		}
		return &ProtocolError{Line: resp, Why: "unexpected reply to AUTHENTICATE"}
	}
}

// AuthError is a refused login.
type AuthError struct {
	// Mech is the mechanism tried.
	Mech string
	// Text is the server's reason.
	Text string
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("authentication with %s failed: %s", e.Mech, e.Text)
}
