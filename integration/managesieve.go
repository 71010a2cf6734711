package integration

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ManageSieve is a minimal ManageSieve (RFC 5804) client for an instance's
// timsieved: enough to upload, activate, deactivate, delete and list a
// user's scripts. Every failure fails the test.
type ManageSieve struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// Sieve connects to the instance's timsieved and authenticates as user
// with SASL PLAIN; the test's cleanup logs out.
func (in *Instance) Sieve(t testing.TB, user, password string) *ManageSieve {
	t.Helper()
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(in.SievePort), 10*time.Second)
	if err != nil {
		t.Fatalf("sieve dial %s: %v", in.Name, err)
	}
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	s := &ManageSieve{t: t, conn: conn, r: bufio.NewReader(conn)}
	t.Cleanup(func() { fmt.Fprintf(conn, "LOGOUT\r\n"); conn.Close() })
	s.response("greeting")
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	s.cmd("authenticate", "AUTHENTICATE \"PLAIN\" \"%s\"", auth)
	return s
}

// Put uploads (or replaces) a script.
func (s *ManageSieve) Put(name, script string) {
	s.t.Helper()
	s.cmd("putscript", "PUTSCRIPT %s {%d+}\r\n%s", quoteSieve(name), len(script), script)
}

// SetActive makes a script the active one; "" deactivates all.
func (s *ManageSieve) SetActive(name string) {
	s.t.Helper()
	s.cmd("setactive", "SETACTIVE %s", quoteSieve(name))
}

// Delete removes a script.
func (s *ManageSieve) Delete(name string) {
	s.t.Helper()
	s.cmd("deletescript", "DELETESCRIPT %s", quoteSieve(name))
}

// Dump lists the user's scripts, sorted, one line each: name, "ACTIVE"
// for the active one, and the script's text.
func (s *ManageSieve) Dump() string {
	s.t.Helper()
	var names []string
	active := map[string]bool{}
	for _, l := range s.cmd("listscripts", "LISTSCRIPTS") {
		name, rest, _ := strings.Cut(strings.TrimPrefix(l, `"`), `"`)
		names = append(names, name)
		active[name] = strings.Contains(strings.ToUpper(rest), "ACTIVE")
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		body := s.cmd("getscript", "GETSCRIPT %s", quoteSieve(n))
		fmt.Fprintf(&b, "%s active=%v %q\n", n, active[n], strings.Join(body, ""))
	}
	return b.String()
}

// cmd sends one command and returns the response lines before OK, a
// literal's content as one element.
func (s *ManageSieve) cmd(what, format string, args ...any) []string {
	s.t.Helper()
	if _, err := fmt.Fprintf(s.conn, format+"\r\n", args...); err != nil {
		s.t.Fatalf("sieve %s: %v", what, err)
	}
	return s.response(what)
}

func (s *ManageSieve) response(what string) []string {
	s.t.Helper()
	var out []string
	for {
		l, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("sieve %s: %v", what, err)
		}
		l = strings.TrimRight(l, "\r\n")
		switch {
		case strings.HasPrefix(l, "OK"):
			return out
		case strings.HasPrefix(l, "NO"), strings.HasPrefix(l, "BYE"):
			s.t.Fatalf("sieve %s: %s", what, l)
		case strings.HasPrefix(l, "{") && strings.HasSuffix(l, "}"):
			n, err := strconv.Atoi(strings.TrimSuffix(l[1:len(l)-1], "+"))
			if err != nil {
				s.t.Fatalf("sieve %s: bad literal %q", what, l)
			}
			buf := make([]byte, n)
			if _, err := io.ReadFull(s.r, buf); err != nil {
				s.t.Fatalf("sieve %s: %v", what, err)
			}
			out = append(out, string(buf))
		case l != "":
			out = append(out, l)
		}
	}
}

// quoteSieve writes a script name as a ManageSieve string: quoted, or a
// literal when it holds 8-bit bytes, CR or LF (timsieved's quoted strings
// take neither).
func quoteSieve(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r >= 0x80 || r == '\r' || r == '\n' }) >= 0 {
		return "{" + strconv.Itoa(len(s)) + "+}\r\n" + s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
