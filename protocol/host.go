package protocol

import (
	"fmt"
	"strings"
)

// Target is where a sync client connects, parsed from sync_host (and
// sync_port).
type Target struct {
	// Host is the host name or address; empty for a UNIX socket.
	Host string
	// Port is the port from sync_host ("" if none: sync_port or the
	// transport's default applies).
	Port string
	// Socket is the path of a UNIX-domain socket (csync only, no
	// authentication).
	Socket string
	// ImplicitTLS is "/tls": TLS right after connecting.
	ImplicitTLS bool
	// NoAuth is "/noauth": no SASL.
	NoAuth bool
}

// ParseTarget reads sync_host as Cyrus's backend_connect does: "/path" is a
// UNIX socket; otherwise "host[:port[/tls][/noauth]]" — the options are
// recognised only after an explicit port, and the first ':' splits host and
// port (IPv6 literals are not supported, as in Cyrus).
//
// cyrus: imap/backend.c backend_connect (3.6.1)
func ParseTarget(syncHost string) (Target, error) {
	if syncHost == "" {
		return Target{}, fmt.Errorf("sync_host not defined")
	}
	if strings.HasPrefix(syncHost, "/") {
		return Target{Socket: syncHost}, nil
	}
	host, rest, hasPort := strings.Cut(syncHost, ":")
	t := Target{Host: host}
	if !hasPort {
		return t, nil
	}
	parts := strings.Split(rest, "/")
	t.Port = parts[0]
	for _, opt := range parts[1:] {
		switch opt {
		case "tls":
			t.ImplicitTLS = true
		case "noauth":
			t.NoAuth = true
		}
	}
	return t, nil
}

// Address is host:port for dialing, port defaulting to def.
func (t Target) Address(def string) string {
	port := t.Port
	if port == "" {
		port = def
	}
	return t.Host + ":" + port
}
