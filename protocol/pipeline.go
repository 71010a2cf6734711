package protocol

import (
	"context"
	"errors"
	"fmt"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// Pipelining: Send writes a command without waiting for its reply, and
// Receive reads the replies in the order the commands went, each to the
// command it belongs to. Cyrus's sync_server and imapd read one command,
// answer it and read the next, whatever is already waiting in their input,
// and a NO (or BAD) ends only that command (integration/pipeline_test.go
// shows it on both transports, DEFLATE included), so replies come in
// command order and a failed command leaves the following ones to be
// processed. Cyrus's own sync_client never does this: it waits for each
// reply.
//
// cyrus: imap/sync_server.c cmdloop, imap/imapd.c cmdloop (3.6.1)

// Pending is a command sent whose reply has not been read.
type Pending struct {
	// Verb and Key name the command: APPLY MAILBOX.
	Verb, Key string
	tag       string
}

// Send writes req (its file literals from files, as CommandFiles) and
// returns at once; its reply must then be read with Receive, after the
// replies of the commands sent before it. Until every reply is read, the
// waiting calls (Command, Do, Noop …) fail.
func (c *Client) Send(ctx context.Context, req Request, files dlist.FileSource) (*Pending, error) {
	if c.broken != nil {
		return nil, c.broken
	}
	arg := req.Value()
	tag, err := c.send(ctx, req.Verb(), req.Key(), &arg, files)
	if err != nil {
		// Part of the command may be on the wire, replies to others
		// are unread: the session is lost.
		c.broken = err
		return nil, err
	}
	p := &Pending{Verb: req.Verb(), Key: req.Key(), tag: tag}
	c.pending = append(c.pending, p)
	return p, nil
}

// Receive reads the reply to p, which must be the oldest command sent and
// not yet received. A NO comes back as *RemoteError, BYE as ErrBye, as
// from Command; after any other error (the connection failed, a reply
// that cannot be read) the session is out of step and every later command
// fails.
func (c *Client) Receive(ctx context.Context, p *Pending) (*Response, error) {
	if c.broken != nil {
		return nil, c.broken
	}
	if len(c.pending) == 0 || c.pending[0] != p {
		return nil, fmt.Errorf("protocol: reply to %s %s read out of order", p.Verb, p.Key)
	}
	c.pending = c.pending[1:]
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetDeadline(dl)
	} else {
		c.conn.Timeout(c.opts.Timeout)
	}
	resp, err := c.readResponse(p.tag, nil)
	if err != nil && !replyComplete(err) {
		c.broken = fmt.Errorf("protocol: reply to %s %s: %w", p.Verb, p.Key, err)
	}
	return resp, err
}

// InFlight is how many sent commands still wait for Receive.
func (c *Client) InFlight() int { return len(c.pending) }

// replyComplete tells whether err came with a whole reply read (a NO, a
// BYE, a status other than OK), after which the next reply can be read.
func replyComplete(err error) bool {
	var re *RemoteError
	var pe *ProtocolError
	return errors.As(err, &re) || errors.Is(err, ErrBye) ||
		errors.As(err, &pe) && pe.Why == "bad status"
}

// usable tells whether a command that waits for its reply may be sent now.
func (c *Client) usable(verb, key string) error {
	if c.broken != nil {
		return c.broken
	}
	if len(c.pending) > 0 {
		return fmt.Errorf("protocol: %s %s sent while %d pipelined replies are unread", verb, key, len(c.pending))
	}
	return nil
}

// Err is the error that put the session out of step with the server
// (nil while it is usable).
func (c *Client) Err() error { return c.broken }
