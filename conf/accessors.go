package conf

import (
	"strings"
	"time"
)

// Typed accessors for the options the replication tools read, with Cyrus's
// defaults. Every other part of the project asks these, never a key by its
// string.
//
// cyrus: lib/imapoptions (3.6.1)

func (c *Config) str(name string) string { v, _ := c.String(name); return v }

// ConfigDirectory is configdirectory (required).
func (c *Config) ConfigDirectory() string { return c.dir }

// SyncLog is sync_log, the master switch of the sync log writer.
func (c *Config) SyncLog() bool { return c.Switch("sync_log") }

// SyncLogChannels is sync_log_channels split as Cyrus splits it: on single
// spaces, "" meaning the default channel (returned as ""). Unset means the
// default channel only.
//
// cyrus: imap/sync_log.c sync_log_init (3.6.1)
func (c *Config) SyncLogChannels() []string {
	v, ok := c.String("sync_log_channels")
	if !ok {
		return []string{""}
	}
	return splitChannels(v)
}

// SyncLogUnsuppressableChannels is sync_log_unsuppressable_channels
// (default "squatter"), split like SyncLogChannels.
func (c *Config) SyncLogUnsuppressableChannels() []string {
	v, ok := c.String("sync_log_unsuppressable_channels")
	if !ok {
		return nil
	}
	return splitChannels(v)
}

// splitChannels is strarray_split(v, " ", 0) followed by mapping the first
// `""` token to the default channel. strarray_split uses strtok, so repeated
// spaces give no empty names; only a space separates (a TAB is part of a
// name); only the first `""` is mapped.
//
// cyrus: lib/strarray.c strarray_splitm (3.6.1)
func splitChannels(v string) []string {
	var out []string
	for _, ch := range strings.Split(v, " ") {
		if ch != "" {
			out = append(out, ch)
		}
	}
	for i, ch := range out {
		if ch == `""` {
			out[i] = ""
			break
		}
	}
	return out
}

// SyncLogChain is sync_log_chain: whether sync_server logs what it applies.
func (c *Config) SyncLogChain() bool { return c.Switch("sync_log_chain") }

// SyncRightnowChannel is sync_rightnow_channel.
func (c *Config) SyncRightnowChannel() (string, bool) { return c.String("sync_rightnow_channel") }

// SyncTimeout is sync_timeout (default 30m), at least 3 seconds as Cyrus
// enforces.
func (c *Config) SyncTimeout() time.Duration {
	d := c.Duration("sync_timeout", 's')
	if d < 3*time.Second {
		d = 3 * time.Second
	}
	return d
}

// SyncReconnectMaxWait is sync_reconnect_maxwait (default 20m); <= 0 means
// no cap.
func (c *Config) SyncReconnectMaxWait() time.Duration {
	return c.Duration("sync_reconnect_maxwait", 's')
}

// SyncBatchSize is sync_batchsize (default 8192).
func (c *Config) SyncBatchSize() int64 { return c.Int("sync_batchsize") }

// SyncCacheDB is sync_cache_db (default twoskip).
func (c *Config) SyncCacheDB() string { return c.str("sync_cache_db") }

// ArchiveEnabled is archive_enabled.
func (c *Config) ArchiveEnabled() bool { return c.Switch("archive_enabled") }

// DebugWriteFailGUID is debug_writefail_guid.
func (c *Config) DebugWriteFailGUID() (string, bool) { return c.String("debug_writefail_guid") }

// DebugLogSyncPartitionChoice is debug_log_sync_partition_choice, a 3.8
// option: false for a version that has none (3.6 reads it as an unknown key).
func (c *Config) DebugLogSyncPartitionChoice() bool {
	return c.Has("debug_log_sync_partition_choice") && c.Switch("debug_log_sync_partition_choice")
}

// DefaultPartition is defaultpartition, lower-cased.
func (c *Config) DefaultPartition() (string, bool) {
	v, ok := c.String("defaultpartition")
	return strings.ToLower(v), ok
}

// PartitionDir is partition-<name>.
func (c *Config) PartitionDir(name string) (string, bool) { return c.Overflow("partition-" + name) }

// MetaPartitionDir is metapartition-<name>.
func (c *Config) MetaPartitionDir(name string) (string, bool) {
	return c.Overflow("metapartition-" + name)
}

// ArchivePartitionDir is archivepartition-<name>, only when archive_enabled.
func (c *Config) ArchivePartitionDir(name string) (string, bool) {
	if !c.ArchiveEnabled() {
		return "", false
	}
	return c.Overflow("archivepartition-" + name)
}

// Partitions lists the names of all partition-<name> keys, sorted.
func (c *Config) Partitions() []string {
	var out []string
	for _, k := range c.OverflowKeys() {
		if name, ok := strings.CutPrefix(k, "partition-"); ok {
			out = append(out, name)
		}
	}
	return out
}

// PartitionSelectMode is partition_select_mode.
func (c *Config) PartitionSelectMode() string { return c.str("partition_select_mode") }

// ServerName is servername, or the host name when unset.
func (c *Config) ServerName() string {
	if v, ok := c.String("servername"); ok {
		return v
	}
	h, _ := osHostname()
	return h
}

// Admins is admins, split on white space.
func (c *Config) Admins() []string { return strings.Fields(c.str("admins")) }

// ProxyServers is proxyservers, split on white space.
func (c *Config) ProxyServers() []string { return strings.Fields(c.str("proxyservers")) }

// UnixHierarchySep is unixhierarchysep (default on).
func (c *Config) UnixHierarchySep() bool { return c.Switch("unixhierarchysep") }

// VirtDomains is virtdomains: "off", "userid" or "on".
func (c *Config) VirtDomains() string { return c.str("virtdomains") }

// DefaultDomain is defaultdomain.
func (c *Config) DefaultDomain() (string, bool) { return c.String("defaultdomain") }

// AltNamespace is altnamespace (never used by the sync tools, which always
// use the admin namespace).
func (c *Config) AltNamespace() bool { return c.Switch("altnamespace") }

// DeletedPrefix is deletedprefix (default DELETED).
func (c *Config) DeletedPrefix() string { return c.str("deletedprefix") }

// DeleteMode is delete_mode: "immediate" or "delayed".
func (c *Config) DeleteMode() string { return c.str("delete_mode") }

// ExpungeMode is expunge_mode.
func (c *Config) ExpungeMode() string { return c.str("expunge_mode") }

// HashIMAPSpool is hashimapspool.
func (c *Config) HashIMAPSpool() bool { return c.Switch("hashimapspool") }

// FullDirHash is fulldirhash.
func (c *Config) FullDirHash() bool { return c.Switch("fulldirhash") }

// MboxnameLockPath is mboxname_lockpath, {configdirectory}/lock if unset.
func (c *Config) MboxnameLockPath() string {
	if v, ok := c.String("mboxname_lockpath"); ok {
		return v
	}
	return c.dir + "/lock"
}

// MailboxLegacyDirs is mailbox_legacy_dirs.
func (c *Config) MailboxLegacyDirs() bool { return c.Switch("mailbox_legacy_dirs") }

// ReverseACLs is reverseacls.
func (c *Config) ReverseACLs() bool { return c.Switch("reverseacls") }

// Conversations is conversations.
func (c *Config) Conversations() bool { return c.Switch("conversations") }

// SieveDir is sievedir.
func (c *Config) SieveDir() string { return c.str("sievedir") }

// SieveUseHomeDir is sieveusehomedir.
func (c *Config) SieveUseHomeDir() bool { return c.Switch("sieveusehomedir") }

// SearchEngine is search_engine: "none", "squat" or "xapian".
func (c *Config) SearchEngine() string { return c.str("search_engine") }

// SearchBatchSize is search_batchsize.
func (c *Config) SearchBatchSize() int64 { return c.Int("search_batchsize") }

// SearchIndexSkipUsers is search_index_skip_users, split on white space.
func (c *Config) SearchIndexSkipUsers() []string {
	return strings.Fields(c.str("search_index_skip_users"))
}

// SearchIndexSkipDomains is search_index_skip_domains.
func (c *Config) SearchIndexSkipDomains() []string {
	return strings.Fields(c.str("search_index_skip_domains"))
}

// ClientTimeout is client_timeout (default 10s).
func (c *Config) ClientTimeout() time.Duration { return c.Duration("client_timeout", 's') }

// ClientBind is client_bind.
func (c *Config) ClientBind() bool { return c.Switch("client_bind") }

// ClientBindName is client_bind_name.
func (c *Config) ClientBindName() (string, bool) { return c.String("client_bind_name") }

// ForceSASLClientMech is force_sasl_client_mech.
func (c *Config) ForceSASLClientMech() (string, bool) { return c.String("force_sasl_client_mech") }

// TLSClientCert is tls_client_cert.
func (c *Config) TLSClientCert() (string, bool) { return c.String("tls_client_cert") }

// TLSClientKey is tls_client_key.
func (c *Config) TLSClientKey() (string, bool) { return c.String("tls_client_key") }

// TLSServerCAFile is tls_server_ca_file.
func (c *Config) TLSServerCAFile() (string, bool) { return c.String("tls_server_ca_file") }

// TLSServerCADir is tls_server_ca_dir.
func (c *Config) TLSServerCADir() (string, bool) { return c.String("tls_server_ca_dir") }

// TLSServerCert is tls_server_cert.
func (c *Config) TLSServerCert() (string, bool) { return c.String("tls_server_cert") }

// TLSServerKey is tls_server_key.
func (c *Config) TLSServerKey() (string, bool) { return c.String("tls_server_key") }

// AllowPlaintext is allowplaintext.
func (c *Config) AllowPlaintext() bool { return c.Switch("allowplaintext") }

// FailedLoginPause is failedloginpause (default 3s).
func (c *Config) FailedLoginPause() time.Duration { return c.Duration("failedloginpause", 's') }

// MaxWord is maxword (an INT in 3.6, a BYTESIZE in bytes since 3.8).
func (c *Config) MaxWord() int64 { return c.sizeLimit("maxword") }

// MaxQuoted is maxquoted (an INT in 3.6, a BYTESIZE since 3.8).
func (c *Config) MaxQuoted() int64 { return c.sizeLimit("maxquoted") }

// MaxLiteral is maxliteral (an INT in Debian's 3.6.1, which backports it
// from 3.6.5; a BYTESIZE in 3.10).
func (c *Config) MaxLiteral() int64 { return c.sizeLimit("maxliteral") }

// sizeLimit reads a protocol limit, whichever type the version gives it.
//
// cyrus: lib/libconfig.c config_read (3.6.1, 3.10.2)
func (c *Config) sizeLimit(name string) int64 {
	if t, _ := c.TypeOf(name); t == TypeByteSize {
		return c.ByteSize(name, 'B')
	}
	return c.Int(name)
}

// Umask is the umask option read as Cyrus reads it: octal digits, anything
// else skipped.
func (c *Config) Umask() int {
	m := 0
	for _, ch := range []byte(c.str("umask")) {
		if ch >= '0' && ch <= '7' {
			m = m*8 + int(ch-'0')
		}
	}
	return m
}

// SyslogPrefix is syslog_prefix.
func (c *Config) SyslogPrefix() (string, bool) { return c.String("syslog_prefix") }

// SyslogFacility is syslog_facility.
func (c *Config) SyslogFacility() (string, bool) { return c.String("syslog_facility") }

// Debug is debug: LOG_DEBUG lines are dropped unless it is on.
func (c *Config) Debug() bool { return c.Switch("debug") }

// TempPath is temp_path.
func (c *Config) TempPath() string { return c.str("temp_path") }

// CyrusUser is the user to run as: $CYRUS_USER, cyrus_user, or "cyrus".
func (c *Config) CyrusUser() string {
	if v := osGetenv("CYRUS_USER"); v != "" {
		return v
	}
	if v, ok := c.String("cyrus_user"); ok {
		return v
	}
	return "cyrus"
}

// CyrusGroup is the group to run as: $CYRUS_GROUP or cyrus_group; empty
// means the user's primary group.
func (c *Config) CyrusGroup() string {
	if v := osGetenv("CYRUS_GROUP"); v != "" {
		return v
	}
	return c.str("cyrus_group")
}

// DBBackend is the backend of one of Cyrus's databases (mboxlist_db,
// annotation_db, seenstate_db, subscription_db, quota_db, userdeny_db).
func (c *Config) DBBackend(option string) string {
	switch option {
	case "mboxlist_db", "annotation_db", "seenstate_db", "subscription_db", "quota_db", "userdeny_db", "conversations_db":
		return c.str(option)
	}
	panic("conf: not a database option: " + option)
}
