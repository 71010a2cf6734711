package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/cyrus-replication/cyrus-replication/spool/guid"
)

// Version is the cache format version Cyrus 3.6.1 writes into a record's
// cache_version (MAILBOX_CACHE_MINOR_VERSION).
//
// cyrus: imap/mailbox.h MAILBOX_CACHE_MINOR_VERSION (3.6.1)
const Version = 11

// Item numbers the ten items of a cache entry, in their order.
type Item int

// The items of a cache entry.
//
// cyrus: imap/mailbox.h CACHE_ENVELOPE … CACHE_SUBJECT (3.6.1)
const (
	Envelope Item = iota
	BodyStructure
	Body
	Section
	Headers
	From
	To
	Cc
	Bcc
	Subject
	NumItems
)

var itemNames = [NumItems]string{"ENVELOPE", "BODYSTRUCTURE", "BODY", "SECTION", "HEADERS", "FROM", "TO", "CC", "BCC", "SUBJECT"}

// String returns the item's name as Cyrus's documentation spells it.
func (i Item) String() string {
	if i >= 0 && i < NumItems {
		return itemNames[i]
	}
	return fmt.Sprintf("Item(%d)", int(i))
}

// Message is what Cyrus derives from a message file when it appends it.
type Message struct {
	Size       uint64 // file size
	HeaderSize uint32 // top-level header including the blank line (up to a NUL in it)
	// SentDate is the Date: header's day at 00:00 in this process's local
	// time zone, GMTime the Date: header as UTC; both 0 when Cyrus cannot
	// parse the header (the append then substitutes the internaldate,
	// see WithInternalDate). The record keeps their low 32 bits.
	SentDate, GMTime int64
	GUID             guid.GUID // SHA-1 of the file
	CacheVersion     uint16    // Version
	Entry            []byte    // the cyrus.cache entry: ten items, each length, bytes, padding
	CRC              uint32    // the record's cache_crc: CRC32 of Entry
	// Exact is false when the message holds text in a charset this
	// package cannot decode as Cyrus's ICU does (multi-byte charsets in
	// encoded words): Entry is then well formed but its SUBJECT, FROM,
	// TO, CC or BCC item may differ from Cyrus's.
	Exact bool
}

// Parse derives a message's cache entry and record fields from the bytes
// of its file, as Cyrus 3.6.1 does when appending it. It does not fail on
// malformed mail (Cyrus parses anything); it fails only on an empty
// message, which Cyrus refuses.
//
// cyrus: imap/message.c message_parse_mapped, message_create_record,
// message_write_cache (3.6.1)
func Parse(msg []byte) (*Message, error) {
	return parse(msg, nil, nil)
}

// ParseKnownGUID is Parse for a message whose GUID (the SHA-1 of msg) the
// caller has already computed, as the replication decoder does while it
// receives a file, so that the replica hashes each message once, not
// twice.
func ParseKnownGUID(msg []byte, g guid.GUID) (*Message, error) {
	return parse(msg, &g, nil)
}

// parse is Parse; mb, if not nil, decodes encoded words in multi-byte
// charsets for the FROM, TO, CC, BCC and SUBJECT items.
func parse(msg []byte, known *guid.GUID, mb MultiByte) (*Message, error) {
	if len(msg) == 0 {
		return nil, errors.New("cache: parse: empty message")
	}
	if uint64(len(msg)) > 0xffffffff {
		return nil, fmt.Errorf("cache: parse: message of %d bytes exceeds Cyrus's 32-bit sizes", len(msg))
	}
	p := &parser{msg: msg}
	top := &body{top: true}
	p.parseBody(top, defaultContentType)

	m := &Message{
		Size:         uint64(len(msg)),
		HeaderSize:   uint32(top.headerSize),
		CacheVersion: Version,
	}
	if known != nil {
		m.GUID = *known
	} else {
		m.GUID = guid.Sum(msg)
	}
	m.SentDate, _ = parseDate(top.date, true)
	m.GMTime, _ = parseDate(top.date, false)

	inexact := p.inexact
	var items [NumItems][]byte
	items[Envelope] = envelope(nil, top)
	items[BodyStructure] = bodyStructure(nil, top, true)
	items[Body] = bodyStructure(nil, top, false)
	items[Section] = section(nil, &body{typ: "MESSAGE", sub: "RFC822", msg: top})
	items[Headers] = top.cacheHeaders
	si := searchItems(top, inexact, mb)
	inexact = si.inexact
	for _, it := range []Item{From, To, Cc, Bcc, Subject} {
		items[it] = si.items[it]
	}

	for _, it := range items {
		m.Entry = binary.BigEndian.AppendUint32(m.Entry, uint32(len(it)))
		m.Entry = append(m.Entry, it...)
		m.Entry = append(m.Entry, make([]byte, pad4(len(it)))...)
	}
	m.CRC = crc32.ChecksumIEEE(m.Entry)
	m.Exact = !inexact
	return m, nil
}

type searchItemsResult struct {
	items   [NumItems][]byte // FROM, TO, CC, BCC, SUBJECT
	inexact bool
}

// searchItems makes the FROM, TO, CC, BCC and SUBJECT items of a parsed
// message; inexact is passed on, set if a charset could not be decoded.
func searchItems(top *body, inexact bool, mb MultiByte) searchItemsResult {
	var r searchItemsResult
	r.items[From] = searchAddrs(nil, top.from, &inexact, mb)
	r.items[To] = searchAddrs(nil, top.to, &inexact, mb)
	r.items[Cc] = searchAddrs(nil, top.cc, &inexact, mb)
	r.items[Bcc] = searchAddrs(nil, top.bcc, &inexact, mb)
	var subj *string
	if top.subject != nil {
		d := decodeMimeHeaderWith([]byte(*top.subject), mb)
		inexact = inexact || d.inexact
		subj = &d.s
	}
	r.items[Subject] = nstring(nil, subj)
	r.inexact = inexact
	return r
}

// ParseReader is Parse for a message file of size bytes read from r.
func ParseReader(r io.ReaderAt, size int64) (*Message, error) {
	if size < 0 || size > 0xffffffff {
		return nil, fmt.Errorf("cache: parse: bad message size %d", size)
	}
	buf := make([]byte, size)
	if _, err := r.ReadAt(buf, 0); err != nil && !(errors.Is(err, io.EOF) && size == 0) {
		return nil, fmt.Errorf("cache: parse: read message: %w", err)
	}
	return Parse(buf)
}

// WithInternalDate returns SentDate and GMTime as the append stores them
// for a message with the given internaldate: a zero GMTime becomes the
// internaldate, a zero SentDate that day's 00:00 in local time.
//
// cyrus: imap/mailbox.c mailbox_append_index_record (3.6.1)
func (m *Message) WithInternalDate(internaldate int64) (sentdate, gmtime int64) {
	sentdate, gmtime = m.SentDate, m.GMTime
	if gmtime == 0 {
		gmtime = internaldate
	}
	if sentdate == 0 {
		sentdate = localMidnight(internaldate)
	}
	return sentdate, gmtime
}

func pad4(n int) int { return (4 - n&3) & 3 }

// Items splits a cache entry into its ten items (without lengths or
// padding). It fails on an entry that does not hold ten whole items.
func Items(entry []byte) ([NumItems][]byte, error) {
	var out [NumItems][]byte
	off := 0
	for i := Item(0); i < NumItems; i++ {
		if len(entry)-off < 4 {
			return out, fmt.Errorf("cache: entry: %s item at %d: truncated length", i, off)
		}
		n := uint64(binary.BigEndian.Uint32(entry[off:]))
		if n > uint64(len(entry)-off-4) {
			return out, fmt.Errorf("cache: entry: %s item at %d: length %d past the end (%d bytes)", i, off, n, len(entry))
		}
		out[i] = entry[off+4 : off+4+int(n)]
		off += 4 + int(n) + pad4(int(n))
		if off > len(entry) {
			off = len(entry)
		}
	}
	return out, nil
}
