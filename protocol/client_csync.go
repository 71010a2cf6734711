package protocol

import (
	"context"
	"fmt"
	"strings"
)

// dialCSync opens a csync session: banner, STARTTLS if needed, AUTHENTICATE.
//
// cyrus: imap/backend.c (csync_protocol), imap/sync_server.c dobanner (3.6.1)
func dialCSync(ctx context.Context, o ClientOptions) (*Client, error) {
	conn, err := connect(ctx, o, "csync")
	if err != nil {
		return nil, err
	}
	c := &Client{conn: conn, Transport: CSync, opts: o}
	if err := c.readBanner(); err != nil {
		return nil, c.fail(err)
	}
	if o.Target.Socket != "" || o.Target.NoAuth {
		return c, nil
	}
	mech := chooseMech(c.Caps["SASL"], o.Mechs)
	if mech == "" && c.has("STARTTLS", "") && o.TLSConfig != nil {
		if err := c.conn.WriteLine("STARTTLS"); err != nil {
			return nil, c.fail(err)
		}
		line, err := c.conn.ReadLine()
		if err != nil || !strings.HasPrefix(line, "OK") {
			return nil, c.fail(fmt.Errorf("protocol: STARTTLS: %q %v", line, err))
		}
		if err := c.conn.StartTLS(o.TLSConfig, true); err != nil {
			return nil, c.fail(err)
		}
		if err := c.readBanner(); err != nil {
			return nil, c.fail(err)
		}
		mech = chooseMech(c.Caps["SASL"], o.Mechs)
	}
	if mech == "" {
		return nil, c.fail(fmt.Errorf("protocol: no usable SASL mechanism (server offers %v)", c.Caps["SASL"]))
	}
	if err := c.authenticate(mech, "AUTHENTICATE", "", true); err != nil {
		return nil, c.fail(err)
	}
	return c, nil
}

// readBanner reads capability lines up to "* OK".
func (c *Client) readBanner() error {
	c.Caps = map[string][]string{}
	for {
		line, err := c.conn.ReadLine()
		if err != nil {
			return fmt.Errorf("protocol: banner: %w", err)
		}
		f := strings.Fields(line)
		if len(f) >= 2 && strings.EqualFold(f[0]+" "+f[1], "* OK") {
			return nil
		}
		if len(f) < 2 || f[0] != "*" {
			return &ProtocolError{Line: line, Why: "not a csync banner"}
		}
		// A name may come on several lines (COMPRESS DEFLATE, COMPRESS LZ4).
		name := strings.ToUpper(f[1])
		c.Caps[name] = append(c.Caps[name], f[2:]...)
	}
}
