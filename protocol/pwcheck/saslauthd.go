package pwcheck

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// The saslauthd and Courier authdaemond clients of libsasl's checkpw.c
// (saslauthd_verify_password, authdaemon_verify_password, 2.1.28).

// sunPathMax is sizeof(sockaddr_un.sun_path) on Linux.
const sunPathMax = 108

// SaslauthdQuery asks the saslauthd listening on the unix socket path
// whether password is right for login in service and realm. The request is
// four counted strings (16-bit big-endian lengths): login, password,
// service, realm; the answer one counted string starting "OK" or "NO".
// It returns the answer (at most 1023 bytes, as libsasl reads it); ok says
// whether it starts with "OK". err is a failure to ask or a malformed
// answer. ctx bounds the exchange (libsasl waits forever).
func SaslauthdQuery(ctx context.Context, path, login, password, service, realm string) (ok bool, answer string, err error) {
	req, err := saslauthdRequest(login, password, service, realm)
	if err != nil {
		return false, "", err
	}
	if len(path) >= sunPathMax {
		return false, "", fmt.Errorf("saslauthd socket path %q too long", path)
	}
	conn, err := dialUnix(ctx, path)
	if err != nil {
		return false, "", fmt.Errorf("cannot connect to saslauthd server: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write(req); err != nil {
		return false, "", fmt.Errorf("write to saslauthd %s: %w", path, err)
	}
	var n [2]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return false, "", fmt.Errorf("size read from saslauthd %s failed: %w", path, err)
	}
	count := int(binary.BigEndian.Uint16(n[:]))
	if count < 2 {
		return false, "", fmt.Errorf("bad response from saslauthd %s (length %d)", path, count)
	}
	count = min(count, 1023)
	resp := make([]byte, count)
	if _, err := io.ReadFull(conn, resp); err != nil {
		return false, "", fmt.Errorf("read from saslauthd %s failed: %w", path, err)
	}
	answer = cString(string(resp))
	return strings.HasPrefix(answer, "OK"), answer, nil
}

// saslauthdRequest builds the query with libsasl's limits: each string
// under 64 KiB, the whole under 8192 bytes less 30.
func saslauthdRequest(login, password, service, realm string) ([]byte, error) {
	login, password, service, realm = cString(login), cString(password), cString(service), cString(realm)
	const maxLen = 8192
	reqLen := 30
	for _, s := range []string{login, password, service} {
		if len(s) > 0xffff || maxLen-reqLen < len(s) {
			return nil, fmt.Errorf("saslauthd request too large")
		}
		reqLen += len(s)
	}
	if len(realm) > 0xffff || maxLen-reqLen < len(realm) {
		return nil, fmt.Errorf("saslauthd request too large")
	}
	var b []byte
	for _, s := range []string{login, password, service, realm} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// dialUnix connects to a unix stream socket; the connection is closed when
// ctx ends.
func dialUnix(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return &stopConn{Conn: conn, stop: stop}, nil
}

type stopConn struct {
	net.Conn
	stop func() bool
}

func (c *stopConn) Close() error { c.stop(); return c.Conn.Close() }

// cString is s as C sees it: up to its first NUL.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// authdaemondTimeout is libsasl's AUTHDAEMON_IO_TIMEOUT.
const authdaemondTimeout = 30 * time.Second

// authdaemondQuery asks Courier's authdaemond: "AUTH <n>\n" then service,
// "login", user and password on lines and an empty line; it answers with
// lines, "." for yes and "FAIL" for no, and closes.
func authdaemondQuery(ctx context.Context, path, user, password, service string) (ok bool, err error) {
	if len(path) >= sunPathMax {
		return false, fmt.Errorf("unix socket path %q too large", path)
	}
	user, password, service = cString(user), cString(password), cString(service)
	n := len(service) + 1 + len("login") + 1 + len(user) + 1 + len(password) + 1
	if n > 9999 {
		return false, fmt.Errorf("authdaemond request too large")
	}
	conn, err := dialUnix(ctx, path)
	if err != nil {
		return false, fmt.Errorf("cannot connect to Courier authdaemond: %w", err)
	}
	defer conn.Close()
	dl := time.Now().Add(authdaemondTimeout)
	if cdl, ok := ctx.Deadline(); ok && cdl.Before(dl) {
		dl = cdl
	}
	conn.SetDeadline(dl)
	q := fmt.Sprintf("AUTH %d\n%s\nlogin\n%s\n%s\n\n", n, service, user, password)
	if _, err := io.WriteString(conn, q); err != nil {
		return false, fmt.Errorf("could not verify password (write to %s: %v)", path, err)
	}
	buf := make([]byte, 8192)
	got, err := io.ReadFull(conn, buf[:len(buf)-1])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, fmt.Errorf("could not verify password (read from %s: %v)", path, err)
	}
	if got+1 >= len(buf) {
		return false, fmt.Errorf("could not verify password (answer from %s too long)", path)
	}
	for _, line := range strings.Split(cString(string(buf[:got])), "\n") {
		switch line {
		case ".":
			return true, nil
		case "FAIL":
			return false, nil
		}
	}
	return false, fmt.Errorf("could not verify password (no verdict from %s)", path)
}
