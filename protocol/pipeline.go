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
	// ahead: sent with SendAhead, its reply read whenever one after it is
	// wanted and kept for Collect.
	ahead bool
	// read, resp and err are an ahead reply once read.
	read bool
	resp *Response
	err  error
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
	c.readAhead(ctx, nil)
	if c.broken != nil {
		return nil, c.broken
	}
	if len(c.pending) == 0 || c.pending[0] != p || p.ahead {
		return nil, fmt.Errorf("protocol: reply to %s %s read out of order", p.Verb, p.Key)
	}
	return c.readPending(ctx)
}

// readPending reads the reply to the oldest command sent.
func (c *Client) readPending(ctx context.Context) (*Response, error) {
	p := c.pending[0]
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

// SendAhead is Send for a command whose reply is wanted later (a user's
// GET USER sent while the previous user's replies are awaited): it need
// not be received in turn. Its reply is read, and kept for Collect, when
// a reply after it or a waiting command needs the connection.
func (c *Client) SendAhead(ctx context.Context, req Request, files dlist.FileSource) (*Pending, error) {
	p, err := c.Send(ctx, req, files)
	if err != nil {
		return nil, err
	}
	p.ahead = true
	return p, nil
}

// Collect returns the reply to p, sent with SendAhead, reading it if it
// is not yet read; the replies to the commands sent before p must have
// been received.
func (c *Client) Collect(ctx context.Context, p *Pending) (*Response, error) {
	if !p.ahead {
		return nil, fmt.Errorf("protocol: %s %s was not sent ahead", p.Verb, p.Key)
	}
	if !p.read {
		c.readAhead(ctx, p)
	}
	if p.read {
		return p.resp, p.err
	}
	if c.broken != nil {
		return nil, c.broken
	}
	return nil, fmt.Errorf("protocol: reply to %s %s read out of order", p.Verb, p.Key)
}

// readAhead reads the replies to commands sent ahead at the head of the
// queue, up to and including upTo if it is given, keeping each with its
// command.
func (c *Client) readAhead(ctx context.Context, upTo *Pending) {
	for c.broken == nil && len(c.pending) > 0 && c.pending[0].ahead {
		p := c.pending[0]
		p.resp, p.err = c.readPending(ctx)
		if c.broken != nil {
			p.err = c.broken
		}
		p.read = true
		if p == upTo {
			return
		}
	}
}

// InFlight is how many sent commands still wait for Receive (those sent
// ahead not counted).
func (c *Client) InFlight() int {
	n := 0
	for _, p := range c.pending {
		if !p.ahead {
			n++
		}
	}
	return n
}

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
	c.readAhead(context.Background(), nil)
	if c.broken != nil {
		return c.broken
	}
	if len(c.pending) > 0 {
		return fmt.Errorf("protocol: %s %s sent while %d pipelined replies are unread", verb, key, c.InFlight())
	}
	return nil
}

// Err is the error that put the session out of step with the server
// (nil while it is usable).
func (c *Client) Err() error { return c.broken }
