package protocol

import (
	"context"
	"fmt"
	"strings"
)

// dialIMAP opens an IMAP-transport session: greeting, CAPABILITY,
// AUTHENTICATE; it fails with errNoReplication (after logging out) when the
// server does not offer X-REPLICATION after login.
//
// cyrus: imap/backend.c (imap_csync_protocol) (3.6.1)
func dialIMAP(ctx context.Context, o ClientOptions) (*Client, error) {
	conn, err := connect(ctx, o, "imap")
	if err != nil {
		return nil, err
	}
	c := &Client{conn: conn, Transport: IMAP, opts: o}
	greeting, err := c.conn.ReadLine()
	if err != nil {
		return nil, c.fail(fmt.Errorf("protocol: greeting: %w", err))
	}
	if !strings.HasPrefix(greeting, "* OK") {
		// Probably a csync banner: not an IMAP server.
		return nil, c.fail(&ProtocolError{Line: greeting, Why: "not an IMAP greeting"})
	}
	if !c.capsFromCode(greeting) {
		if err := c.imapCapability(); err != nil {
			return nil, c.fail(err)
		}
	}
	if o.Target.NoAuth {
		return c, nil
	}
	mech := chooseMech(c.Caps["AUTH"], o.Mechs)
	if mech == "" && c.has("STARTTLS", "") && o.TLSConfig != nil {
		if err := c.conn.WriteLine("S01 STARTTLS"); err != nil {
			return nil, c.fail(err)
		}
		line, err := c.conn.ReadLine()
		if err != nil || !strings.HasPrefix(line, "S01 OK") {
			return nil, c.fail(fmt.Errorf("protocol: STARTTLS: %q %v", line, err))
		}
		if err := c.conn.StartTLS(o.TLSConfig, true); err != nil {
			return nil, c.fail(err)
		}
		if err := c.imapCapability(); err != nil {
			return nil, c.fail(err)
		}
		mech = chooseMech(c.Caps["AUTH"], o.Mechs)
	}
	if mech == "" {
		return nil, c.fail(fmt.Errorf("protocol: no usable SASL mechanism (server offers %v)", c.Caps["AUTH"]))
	}
	if err := c.authenticate(mech, "A01 AUTHENTICATE", "A01", c.has("SASL-IR", "")); err != nil {
		return nil, c.fail(err)
	}
	if _, ok := c.Caps["X-REPLICATION"]; !ok {
		c.Close()
		return nil, errNoReplication
	}
	return c, nil
}

// capsFromCode takes the capabilities from a "[CAPABILITY …]" response
// code in line, if it has one.
func (c *Client) capsFromCode(line string) bool {
	i := strings.Index(strings.ToUpper(line), "[CAPABILITY ")
	if i < 0 {
		return false
	}
	rest := line[i+len("[CAPABILITY "):]
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return false
	}
	c.setIMAPCaps(strings.Fields(rest[:end]))
	return true
}

// setIMAPCaps files NAME and NAME=VALUE atoms: AUTH=PLAIN AUTH=LOGIN
// become Caps["AUTH"] = [PLAIN LOGIN].
func (c *Client) setIMAPCaps(atoms []string) {
	c.Caps = map[string][]string{}
	for _, a := range atoms {
		name, val, hasVal := strings.Cut(a, "=")
		name = strings.ToUpper(name)
		if hasVal {
			c.Caps[name] = append(c.Caps[name], val)
		} else if _, ok := c.Caps[name]; !ok {
			c.Caps[name] = nil
		}
	}
}

func (c *Client) imapCapability() error {
	if err := c.conn.WriteLine("C01 CAPABILITY"); err != nil {
		return err
	}
	for {
		line, err := c.conn.ReadLine()
		if err != nil {
			return fmt.Errorf("protocol: CAPABILITY: %w", err)
		}
		if strings.HasPrefix(strings.ToUpper(line), "* CAPABILITY ") {
			c.setIMAPCaps(strings.Fields(line)[2:])
		}
		if strings.HasPrefix(line, "C01 ") {
			if !strings.HasPrefix(line, "C01 OK") {
				return &ProtocolError{Line: line, Why: "CAPABILITY failed"}
			}
			return nil
		}
	}
}
