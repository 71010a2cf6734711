// Package spool reads a live Cyrus IMAP 3.6 mail store, found through
// imapd.conf, safely beside running Cyrus imapd and lmtpd: mailboxes.db,
// both mailbox directory layouts, consistent mailbox snapshots under Cyrus's
// own locks, annotations, seen state, subscriptions, quota and sieve scripts,
// and the model types the replication protocol encodes.
//
// The file formats themselves are decoded by the subpackages dlist, twoskip,
// index, header, guid and flat; this package ties them together the way
// Cyrus does (paths, names, locks). Reading never writes to the spool except
// for creating a missing empty named-lock file, exactly as Cyrus's own
// readers do.
//
// The writers live beside the reader and share its path, name and lock
// helpers: MailboxWriter (records, messages, message and mailbox
// annotations, quota root), and the stores sync_server changes — seen
// (SetSeen), subscriptions (Subscribe), server annotations
// (WriteServerAnnotation), quota limits (SetQuotaLimits, RemoveQuotaRoot)
// and user data (DeleteUserData) — each as Cyrus 3.6.1 writes it.
//
// Facts are from ../shared/spec/spool.md; comments cite the Cyrus 3.6.1
// source they were checked against.
package spool
