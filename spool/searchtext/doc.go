// Package searchtext derives, from a message file, the documents Cyrus
// IMAP 3.6.1's squatter writes into a mailbox's SQUAT index for it: up to
// one per part class, named <c><uid> with c one of f (From), t (To),
// c (Cc), b (Bcc), s (Subject), h (other headers) and m (each text body
// part), each holding text in Cyrus's search normal form (decoded,
// converted to UTF-8, HTML stripped, case and compatibility folded by
// Cyrus's own tables, spaces per search_whitespace, diacritics per
// search_skipdiacrit).
//
// Cyrus's SQUAT receiver names a document after the last part class it
// knows, so text of classes it does not (List-Id, Mailing-List,
// X-Delivered-To, content types, attachment names) lands in extra
// documents under the previous name; Documents reproduces that too.
//
// text/calendar and text/vcard parts are indexed as Cyrus does through
// libical and its vCard parser, with a simple parser of their content
// lines: Extract reports them as inexact. Attachments are not extracted
// (Cyrus does only with search_attachment_extractor_url, which Options
// cannot carry).
//
// cyrus: imap/index.c index_getsearchtext, imap/search_squat.c
// begin_part, append_text, end_part; lib/charset.c (3.6.1)
package searchtext
