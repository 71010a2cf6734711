package cache

// neverCached are the header names Cyrus's table marks "never cached"
// (BIT32_MAX); every other name in the table has a version ≤ 11 and is
// cached.
//
// cyrus: imap/mailbox_header_cache.gperf (3.6.1)
var neverCached = map[string]bool{
	"bcc": true, "cc": true, "date": true, "delivery-date": true,
	"envelope-to": true, "from": true, "in-reply-to": true,
	"mime-version": true, "received": true, "return-path": true,
	"subject": true, "to": true, "dkim-signature": true,
	"domainkey-signature": true, "domainkey-x509": true, "message-id": true,
	"arc-seal": true, "arc-message-signature": true,
	"arc-authentication-results": true, "authentication-results": true,
	"received-spf": true, "archived-at": true,
	"listbox-message-date": true, "topicbox-message-uuid": true,
	"topicbox-policy-reasoning": true,
}

// tableCached are the X- names the table lists with a version (X- names
// not listed are never cached).
var tableCached = map[string]bool{
	"x-mailer": true, "x-trace": true, "x-ref": true, "x-priority": true,
	"x-msmail-priority": true, "x-msoesrec": true, "x-spam-score": true,
	"x-resolved-to": true, "x-delivered-to": true, "x-mail-from": true,
	"x-truedomain-domain": true, "x-me-message-id": true,
	"x-cyrus-session-id": true, "x-universally-unique-identifier": true,
	"x-uniform-type-identifier": true, "x-apple-base-url": true,
	"x-apple-mail-remote-attachments": true,
}

// maxCachedHeaderSize bounds a cached header name (MAX_CACHED_HEADER_SIZE).
const maxCachedHeaderSize = 32

// cachedHeader reports whether the header line starting line goes into
// the HEADERS item: its name (everything before ':', found within the
// first 31 bytes and before any CR, LF or NUL) is not "never cached" and,
// for X- names, is in the table.
//
// cyrus: imap/mailbox.c mailbox_cached_header_inline, is_cached_header (3.6.1)
func cachedHeader(line []byte) bool {
	for i := 0; i < maxCachedHeaderSize && i < len(line); i++ {
		switch line[i] {
		case 0, '\r', '\n':
			return false
		case ':':
			name := lower(string(line[:i]))
			if neverCached[name] {
				return false
			}
			if tableCached[name] {
				return true
			}
			return !(len(name) >= 2 && name[0] == 'x' && name[1] == '-')
		}
	}
	return false
}
