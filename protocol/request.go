package protocol

import (
	"context"
	"fmt"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

// Do sends a typed request and returns the raw reply (see ParseItem).
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	return c.Command(ctx, req.Verb(), req.Key(), req.Value())
}

// itemParsers decode the reply items by key.
var itemParsers = map[string]func(dlist.Value) (Body, error){
	"MAILBOX":    body(ParseMailbox),
	"QUOTA":      body(ParseQuota),
	"SEEN":       body(ParseSeen),
	"LSUB":       body(ParseLSub),
	"SIEVE":      body(ParseSieve),
	"ANNOTATION": body(ParseMailboxAnnotation),
	"MISSING":    body(ParseMissing),
	"MESSAGE":    body(ParseMessage),
	"ENABLED":    body(ParseEnabled),
}

// body adapts a typed parser to itemParsers (a nil interface on error,
// not a typed nil).
func body[T Body](p func(dlist.Value) (T, error)) func(dlist.Value) (Body, error) {
	return func(v dlist.Value) (Body, error) {
		b, err := p(v)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
}

// ParseItem decodes a `* KEY value` reply item into its typed value:
// *Mailbox, *Quota, *Seen, *LSub, *Sieve, *MailboxAnnotation, *Missing,
// *Message or *Enabled.
func ParseItem(it Item) (Body, error) {
	p, ok := itemParsers[it.Key]
	if !ok {
		return nil, fmt.Errorf("protocol: unknown reply item %q", it.Key)
	}
	return p(it.Value)
}

// requestParsers decode command arguments by "VERB KEY".
var requestParsers = map[string]func(dlist.Value) (Request, error){
	"GET USER":        req(ParseGetUser),
	"GET META":        req(ParseGetMeta),
	"GET MAILBOXES":   req(ParseGetMailboxes),
	"GET UNIQUEIDS":   req(ParseGetUniqueIDs),
	"GET FULLMAILBOX": req(ParseGetFullMailbox),
	"GET QUOTA":       req(ParseGetQuota),
	"GET ANNOTATION":  req(ParseGetAnnotation),
	"GET FETCH":       req(ParseGetFetch),
	"GET FETCH_SIEVE": req(ParseGetFetchSieve),

	"APPLY MESSAGE":          req(ParseApplyMessage),
	"APPLY RESERVE":          req(ParseApplyReserve),
	"APPLY MAILBOX":          req(ParseApplyMailbox),
	"APPLY LOCAL_MAILBOX":    variant(ParseApplyMailbox, func(a *ApplyMailbox) { a.Local = true }),
	"APPLY RENAME":           req(ParseApplyRename),
	"APPLY LOCAL_RENAME":     variant(ParseApplyRename, func(a *ApplyRename) { a.Local = true }),
	"APPLY UNMAILBOX":        req(ParseApplyUnmailbox),
	"APPLY LOCAL_UNMAILBOX":  variant(ParseApplyUnmailbox, func(a *ApplyUnmailbox) { a.Local = true }),
	"APPLY EXPUNGE":          req(ParseApplyExpunge),
	"APPLY QUOTA":            req(ParseApplyQuota),
	"APPLY UNQUOTA":          req(ParseApplyUnquota),
	"APPLY ANNOTATION":       req(ParseApplyAnnotation),
	"APPLY UNANNOTATION":     req(ParseApplyUnannotation),
	"APPLY SEEN":             req(ParseApplySeen),
	"APPLY SUB":              req(ParseApplySub),
	"APPLY UNSUB":            variant(ParseApplySub, func(a *ApplySub) { a.Unsub = true }),
	"APPLY SIEVE":            req(ParseApplySieve),
	"APPLY UNSIEVE":          req(ParseApplyUnsieve),
	"APPLY ACTIVATE_SIEVE":   variant(ParseApplyUnsieve, func(a *ApplyUnsieve) { a.Activate = true }),
	"APPLY UNACTIVATE_SIEVE": req(ParseApplyUnactivateSieve),
	"APPLY UNUSER":           req(ParseApplyUnuser),
	"APPLY LOCAL_UNUSER":     variant(ParseApplyUnuser, func(a *ApplyUnuser) { a.Local = true }),
	"APPLY FORCE":            req(ParseApplyForce),
	"APPLY CAPABILITIES":     req(ParseApplyCapabilities),
	"RESTORE MAILBOX":        req(ParseRestoreMailbox),
	"RESTORE LOCAL_MAILBOX":  variant(ParseRestoreMailbox, func(a *RestoreMailbox) { a.Local = true }),
}

// req adapts a typed parser to requestParsers.
func req[T Request](p func(dlist.Value) (T, error)) func(dlist.Value) (Request, error) {
	return variant(p, nil)
}

// variant is req for the key that selects a variant of a command
// (LOCAL_MAILBOX, UNSUB, ACTIVATE_SIEVE): set marks it on the parsed value.
func variant[T Request](p func(dlist.Value) (T, error), set func(T)) func(dlist.Value) (Request, error) {
	return func(v dlist.Value) (Request, error) {
		r, err := p(v)
		if err != nil {
			return nil, err
		}
		if set != nil {
			set(r)
		}
		return r, nil
	}
}

// ErrUnknownCommand is wrapped by ParseRequest's error for a sub-command
// Cyrus 3.6 does not have (a server answers NO IMAP_PROTOCOL_ERROR).
var ErrUnknownCommand = fmt.Errorf("protocol: unknown sub-command")

// ParseRequest decodes the argument of a GET, APPLY or RESTORE command into
// its typed value. Verb and key are matched case-insensitively, as the
// Cyrus server upper-cases them.
//
// cyrus: imap/sync_support.c sync_apply, sync_get, sync_restore (3.6.1)
func ParseRequest(verb, key string, v dlist.Value) (Request, error) {
	p, ok := requestParsers[strings.ToUpper(verb)+" "+strings.ToUpper(key)]
	if !ok {
		return nil, fmt.Errorf("%w: %s %s", ErrUnknownCommand, verb, key)
	}
	return p(v)
}
