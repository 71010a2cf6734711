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
	"MAILBOX":    func(v dlist.Value) (Body, error) { return nilBody(ParseMailbox(v)) },
	"QUOTA":      func(v dlist.Value) (Body, error) { return nilBody(ParseQuota(v)) },
	"SEEN":       func(v dlist.Value) (Body, error) { return nilBody(ParseSeen(v)) },
	"LSUB":       func(v dlist.Value) (Body, error) { return nilBody(ParseLSub(v)) },
	"SIEVE":      func(v dlist.Value) (Body, error) { return nilBody(ParseSieve(v)) },
	"ANNOTATION": func(v dlist.Value) (Body, error) { return nilBody(ParseMailboxAnnotation(v)) },
	"MISSING":    func(v dlist.Value) (Body, error) { return nilBody(ParseMissing(v)) },
	"MESSAGE":    func(v dlist.Value) (Body, error) { return nilBody(ParseMessage(v)) },
	"ENABLED":    func(v dlist.Value) (Body, error) { return nilBody(ParseEnabled(v)) },
}

// nilBody turns a typed nil into a nil interface on error.
func nilBody[T Body](b T, err error) (Body, error) {
	if err != nil {
		return nil, err
	}
	return b, nil
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
	"GET USER":        func(v dlist.Value) (Request, error) { return nilReq(ParseGetUser(v)) },
	"GET META":        func(v dlist.Value) (Request, error) { return nilReq(ParseGetMeta(v)) },
	"GET MAILBOXES":   func(v dlist.Value) (Request, error) { return nilReq(ParseGetMailboxes(v)) },
	"GET UNIQUEIDS":   func(v dlist.Value) (Request, error) { return nilReq(ParseGetUniqueIDs(v)) },
	"GET FULLMAILBOX": func(v dlist.Value) (Request, error) { return nilReq(ParseGetFullMailbox(v)) },
	"GET QUOTA":       func(v dlist.Value) (Request, error) { return nilReq(ParseGetQuota(v)) },
	"GET ANNOTATION":  func(v dlist.Value) (Request, error) { return nilReq(ParseGetAnnotation(v)) },
	"GET FETCH":       func(v dlist.Value) (Request, error) { return nilReq(ParseGetFetch(v)) },
	"GET FETCH_SIEVE": func(v dlist.Value) (Request, error) { return nilReq(ParseGetFetchSieve(v)) },

	"APPLY MESSAGE": func(v dlist.Value) (Request, error) { return nilReq(ParseApplyMessage(v)) },
	"APPLY RESERVE": func(v dlist.Value) (Request, error) { return nilReq(ParseApplyReserve(v)) },
	"APPLY MAILBOX": func(v dlist.Value) (Request, error) { return nilReq(ParseApplyMailbox(v)) },
	"APPLY LOCAL_MAILBOX": func(v dlist.Value) (Request, error) {
		a, err := ParseApplyMailbox(v)
		if err != nil {
			return nil, err
		}
		a.Local = true
		return a, nil
	},
	"APPLY RENAME": func(v dlist.Value) (Request, error) { return nilReq(ParseApplyRename(v)) },
	"APPLY LOCAL_RENAME": func(v dlist.Value) (Request, error) {
		a, err := ParseApplyRename(v)
		if err != nil {
			return nil, err
		}
		a.Local = true
		return a, nil
	},
	"APPLY UNMAILBOX": func(v dlist.Value) (Request, error) { return nilReq(ParseApplyUnmailbox(v)) },
	"APPLY LOCAL_UNMAILBOX": func(v dlist.Value) (Request, error) {
		a, err := ParseApplyUnmailbox(v)
		if err != nil {
			return nil, err
		}
		a.Local = true
		return a, nil
	},
	"APPLY EXPUNGE":      func(v dlist.Value) (Request, error) { return nilReq(ParseApplyExpunge(v)) },
	"APPLY QUOTA":        func(v dlist.Value) (Request, error) { return nilReq(ParseApplyQuota(v)) },
	"APPLY UNQUOTA":      func(v dlist.Value) (Request, error) { return nilReq(ParseApplyUnquota(v)) },
	"APPLY ANNOTATION":   func(v dlist.Value) (Request, error) { return nilReq(ParseApplyAnnotation(v)) },
	"APPLY UNANNOTATION": func(v dlist.Value) (Request, error) { return nilReq(ParseApplyUnannotation(v)) },
	"APPLY SEEN":         func(v dlist.Value) (Request, error) { return nilReq(ParseApplySeen(v)) },
	"APPLY SUB":          func(v dlist.Value) (Request, error) { return nilReq(ParseApplySub(v)) },
	"APPLY UNSUB": func(v dlist.Value) (Request, error) {
		a, err := ParseApplySub(v)
		if err != nil {
			return nil, err
		}
		a.Unsub = true
		return a, nil
	},
	"APPLY SIEVE":   func(v dlist.Value) (Request, error) { return nilReq(ParseApplySieve(v)) },
	"APPLY UNSIEVE": func(v dlist.Value) (Request, error) { return nilReq(ParseApplyUnsieve(v)) },
	"APPLY ACTIVATE_SIEVE": func(v dlist.Value) (Request, error) {
		a, err := ParseApplyUnsieve(v)
		if err != nil {
			return nil, err
		}
		a.Activate = true
		return a, nil
	},
	"APPLY UNACTIVATE_SIEVE": func(v dlist.Value) (Request, error) { return nilReq(ParseApplyUnactivateSieve(v)) },
	"APPLY UNUSER":           func(v dlist.Value) (Request, error) { return nilReq(ParseApplyUnuser(v)) },
	"APPLY LOCAL_UNUSER": func(v dlist.Value) (Request, error) {
		a, err := ParseApplyUnuser(v)
		if err != nil {
			return nil, err
		}
		a.Local = true
		return a, nil
	},
	"APPLY FORCE":        func(v dlist.Value) (Request, error) { return nilReq(ParseApplyForce(v)) },
	"APPLY CAPABILITIES": func(v dlist.Value) (Request, error) { return nilReq(ParseApplyCapabilities(v)) },
	"RESTORE MAILBOX":    func(v dlist.Value) (Request, error) { return nilReq(ParseRestoreMailbox(v)) },
	"RESTORE LOCAL_MAILBOX": func(v dlist.Value) (Request, error) {
		a, err := ParseRestoreMailbox(v)
		if err != nil {
			return nil, err
		}
		a.Local = true
		return a, nil
	},
}

func nilReq[T Request](r T, err error) (Request, error) {
	if err != nil {
		return nil, err
	}
	return r, nil
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
