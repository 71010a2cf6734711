package cache

import (
	"errors"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// TopLevel is what Cyrus's mailbox code reads back from a record's cache
// entry about the message as a whole (message_read_bodystructure): the
// ENVELOPE subject, the Content-Disposition parameters and the content
// GUID of the top-level part. The #sieve bookkeeping takes a script's
// name, id and content id from them.
type TopLevel struct {
	// Subject is the Subject header as the ENVELOPE holds it (unfolded,
	// encoded words left as they are); nil without a Subject header.
	Subject *string
	// DispositionParams are the Content-Disposition parameters, names
	// upper-cased, values unquoted, RFC 2231 continuations joined.
	DispositionParams []Param
	// ContentGUID is the SHA-1 of the top-level content after transfer
	// decoding; zero where Cyrus leaves it null (unknown encoding).
	ContentGUID guid.GUID
	// HeaderSize is the size of the top-level header with its blank line.
	HeaderSize int
}

// Param is one MIME parameter.
type Param struct {
	Name, Value string
}

// ParseTopLevel parses msg as Parse does and returns its top-level part's
// fields.
//
// cyrus: imap/message.c message_read_bodystructure, message_parse_body (3.6.1)
func ParseTopLevel(msg []byte) (TopLevel, error) {
	if len(msg) == 0 {
		return TopLevel{}, errors.New("cache: parse: empty message")
	}
	p := &parser{msg: msg}
	top := &body{top: true}
	p.parseBody(top, defaultContentType)
	tl := TopLevel{Subject: top.subject, HeaderSize: top.headerSize}
	for _, pr := range top.dispParams {
		tl.DispositionParams = append(tl.DispositionParams, Param{Name: pr.attr, Value: pr.value})
	}
	if top.hasGUID {
		tl.ContentGUID = top.guid
	}
	return tl, nil
}
