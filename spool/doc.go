// Package spool reads and writes a live Cyrus IMAP 3.6 mail store, found
// through imapd.conf, beside running Cyrus imapd and lmtpd, under Cyrus's
// own locks taken in Cyrus's order (docs/locking.md).
//
// Reading: mailboxes.db, both mailbox directory layouts
// (docs/spool-layout.md), consistent mailbox snapshots, message files,
// annotations, seen state, subscriptions, quota and sieve scripts, sync
// CRCs, and the model types the replication protocol encodes. Reading never
// writes to the spool except for creating a missing empty named-lock file,
// as Cyrus's own readers do.
//
// Writing, each store as Cyrus 3.6.1 writes it:
//   - a mailbox's records and message files (MailboxWriter: append, copy,
//     rewrite, flags, message and mailbox annotations, quota root, silent
//     changes), with cyrus.index, cyrus.cache, cyrus.header and the quota
//     usage kept in step;
//   - mailboxes.db and the mailbox directories (CreateMailbox,
//     RenameMailbox, DeleteMailbox);
//   - seen state (SetSeen, DeleteSeen) and subscriptions (Subscribe,
//     Unsubscribe);
//   - server annotations (WriteServerAnnotation);
//   - quota roots and limits (SetQuotaLimits, RemoveQuotaRoot,
//     UpdateQuotaUsed);
//   - what a user leaves behind when deleted: per-user files, sieve
//     scripts, quota roots (DeleteUserData, DeleteUserQuotaRoots).
//
// The file formats are handled by the subpackages: twoskip (read and
// write), skiplist (read), flat (read and write), index (cyrus.index,
// decode and encode), header (cyrus.header, read and encode), cache
// (cyrus.cache entries derived from a message, and read back), guid
// (message GUIDs) and internal/ofd (the fcntl OFD locks); values in
// dlist form go through package dlist. This package ties them together the
// way Cyrus does (paths, names, locks). Comments cite the Cyrus 3.6.1
// source each fact was checked against.
package spool
