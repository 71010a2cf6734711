package pwcheck

import (
	"context"
	"net"
	"os/user"
	"strings"
)

// How an authentication id becomes the user libsasl checks. PLAIN and
// LOGIN canonicalise it (Cyrus's canon_user callback, then libsasl's
// INTERNAL plugin), and auxprop_verify_password canonicalises the result
// once more; so do we.
//
// cyrus: imap/global.c mysasl_canon_user, canonify_userid,
// is_userid_anonymous; lib/auth_unix.c mycanonifyid (3.6.1)
// libsasl: lib/canonusr.c _sasl_canon_user, _canonuser_internal (2.1.28)

// canonBufSize is libsasl's CANON_BUF_SIZE.
const canonBufSize = 1024

// unixIDMax is the size of auth_unix's static buffer: ids of 81 bytes or
// more are refused.
const unixIDMax = 81

// allowedChar is auth_unix's table of the bytes a userid may hold:
// printable ASCII except % & * / : ? DEL.
func allowedChar(c byte) bool {
	if c < 0x20 || c >= 0x7f {
		return false
	}
	return strings.IndexByte("%&*/:?", c) < 0
}

// canonCfg is what canonicalisation reads from imapd.conf.
type canonCfg struct {
	virtdomains string // off, userid, on
	defdomain   string
	hasDefdom   bool
	tolower     bool
}

type localAddrKey struct{}

// WithLocalAddr records the local address of the connection a login
// comes on. With virtdomains: on, Cyrus appends to a userid without a
// domain the domain of the name its local address resolves to (what
// getsockname on its standard input gives); without it none is appended.
func WithLocalAddr(ctx context.Context, addr net.Addr) context.Context {
	return context.WithValue(ctx, localAddrKey{}, addr)
}

// lookupAddr resolves an address to names; a variable for tests.
var lookupAddr = net.DefaultResolver.LookupAddr

// localDomain is the domain canonify_userid takes from the local address:
// what follows the first '.' of the name it resolves to.
func localDomain(ctx context.Context) string {
	addr, _ := ctx.Value(localAddrKey{}).(net.Addr)
	if addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	names, err := lookupAddr(ctx, host)
	if err != nil || len(names) == 0 {
		return ""
	}
	_, dom, ok := strings.Cut(strings.TrimSuffix(names[0], "."), ".")
	if !ok {
		return ""
	}
	return dom
}

// cyrusCanon is mysasl_canon_user: canonify_userid, then the auth_unix
// rules. It fails with BUFOVER or BADAUTH.
func (c *canonCfg) cyrusCanon(ctx context.Context, id string) (string, *Error) {
	if len(id)+1 > canonBufSize {
		return "", &Error{Code: BufOver, Detail: "buffer overflow while canonicalizing", why: "userid too long"}
	}
	if i := strings.IndexByte(id, 0); i >= 0 {
		id = id[:i] // the callback copies ulen bytes, then works on a C string
	}
	bad := &Error{Code: BadAuth, Detail: "bad userid authenticated", why: "userid refused by Cyrus's canonify_userid"}
	n := len(id)
	dom := -1
	if c.virtdomains != "off" {
		if dom = strings.LastIndexByte(id, '@'); dom < 0 {
			dom = strings.LastIndexByte(id, '%')
		}
		if dom >= 0 {
			id = id[:dom] + "@" + id[dom+1:]
			n = dom
		}
	}
	switch {
	case n == 9 && strings.EqualFold(id[:n], "anonymous"):
		return "anonymous", nil
	case n == 7 && strings.EqualFold(id[:n], "anybody"), n == 6 && strings.EqualFold(id[:n], "anyone"):
		return "anyone", nil
	}
	if c.virtdomains != "off" {
		switch {
		case dom >= 0:
			if c.hasDefdom && strings.EqualFold(c.defdomain, id[dom+1:]) {
				id = id[:dom]
			}
		case c.virtdomains != "userid":
			if d := localDomain(ctx); d != "" && !(c.hasDefdom && strings.EqualFold(c.defdomain, d)) {
				id = id + "@" + d
				if len(id) > unixIDMax-1 {
					id = id[:unixIDMax-1] // snprintf into char[81]
				}
			}
		}
	}
	if len(id) >= unixIDMax {
		return "", bad
	}
	if g, ok := strings.CutPrefix(id, "group:"); ok {
		grp, err := user.LookupGroup(g)
		if err != nil || len(grp.Name) >= unixIDMax-6 {
			return "", bad
		}
		return "group:" + grp.Name, nil
	}
	b := []byte(id)
	for i, ch := range b {
		if c.tolower && ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
			b[i] = ch
		}
		if !allowedChar(ch) {
			return "", bad
		}
	}
	return string(b), nil
}

// internalCanon is libsasl's INTERNAL canon_user plugin for Cyrus (no
// user_realm to append): white space stripped. Its test for an
// all-white-space name compares the count of leading blanks with the
// stripped length, so "  ab" fails too and "   " passes as "".
func internalCanon(id string) (string, *Error) {
	i := 0
	for i < len(id) && isCSpace(id[i]) {
		i++
	}
	rest := strings.TrimRight(id[i:], cSpace)
	if i == len(rest) {
		return "", &Error{Code: Fail, Detail: "All-whitespace username.", why: "userid is white space"}
	}
	return rest, nil
}

// canon is one _sasl_canon_user of an authentication id.
func (c *canonCfg) canon(ctx context.Context, id string) (string, *Error) {
	id, err := c.cyrusCanon(ctx, id)
	if err != nil {
		return "", err
	}
	return internalCanon(id)
}
