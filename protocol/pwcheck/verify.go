package pwcheck

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// The password verifiers of libsasl's checkpw.c as Checker runs them, and
// Cyrus's cross-realm rule.

// auxprop is auxprop_verify_password with the sasldb plugin: the userid
// canonicalised again, split at its first '@' (realm servername without
// one), then userPassword compared, or the salted MD5 of
// cmusaslsecretPLAIN.
//
// libsasl: lib/checkpw.c auxprop_verify_password; plugins/sasldb.c
// sasldb_auxprop_lookup; common/plugin_common.c _plug_parseuser (2.1.28)
func (c *Checker) auxprop(ctx context.Context, user, pass string) (string, *Error) {
	user, e := c.canon.canon(ctx, user)
	if e != nil {
		return "", e
	}
	err := c.sasldb(ctx, user, pass)
	return user, err
}

// sasldb is the sasldb plugin's lookup and auxprop_verify_password's
// comparisons for a canonical userid.
func (c *Checker) sasldb(ctx context.Context, user, pass string) *Error {
	userid, realm, ok := strings.Cut(user, "@")
	if !ok {
		realm = c.serverFQDN
	}
	name := userid + "@" + realm
	db, err := OpenHash(c.sasldbPath)
	if errors.Is(err, fs.ErrNotExist) {
		return &Error{Code: NoUser, why: fmt.Sprintf("%s not in %s: the file does not exist", name, c.sasldbPath)}
	}
	if err != nil {
		c.log(ctx, saslLogErr, fmt.Sprintf("unable to open Berkeley db %s: %v", c.sasldbPath, err))
		return &Error{Code: Fail, why: "sasldb unreadable", err: err}
	}
	defer db.Close()
	// sasldb_auxprop_lookup fetches both properties, stopping at a hard
	// error; the user is unknown only if neither is there.
	var vals [2][]byte
	var found [2]bool
	for i, prop := range []string{PasswordProp, secretPlainProp} {
		v, ok, err := db.Get(sasldbKey(userid, realm, prop))
		switch {
		case err != nil:
			return &Error{Code: Fail, why: "sasldb unreadable", err: err}
		case ok && len(v) > 8192+1: // _sasldb_getdata's buffer
			return &Error{Code: BufOver, why: fmt.Sprintf("%s in %s: %s of %d bytes is too long", name, c.sasldbPath, prop, len(v))}
		}
		vals[i], found[i] = v, ok
	}
	if !found[0] && !found[1] {
		return &Error{Code: NoUser, why: fmt.Sprintf("no such user %s in %s", name, c.sasldbPath)}
	}
	if found[0] && subtle.ConstantTimeCompare([]byte(cString(string(vals[0]))), []byte(pass)) == 1 {
		return nil
	}
	if found[1] && plainSecretMatches(vals[1], pass) {
		return nil
	}
	return &Error{Code: BadAuth, why: fmt.Sprintf("wrong password for %s in %s", name, c.sasldbPath)}
}

// crossRealm is Cyrus's refusal of a userid in another realm, after the
// password is checked: with virtdomains off, or loginrealms set, the realm
// after the first '@' must be one of loginrealms.
//
// cyrus: imap/global.c mysasl_proxy_policy (3.6.1)
func (c *Checker) crossRealm(user string) error {
	at := strings.IndexByte(user, '@')
	if at < 0 || c.canon.virtdomains != "off" && c.loginRealms == "" {
		return nil
	}
	realm := user[at+1:]
	// the realm is compared with the rest of the list at each token, as
	// Cyrus does, not with the token
	for val := c.loginRealms; val != ""; {
		if len(val) >= len(realm) && strings.EqualFold(val[:len(realm)], realm) &&
			(len(val) == len(realm) || isCSpace(val[len(realm)])) {
			return nil
		}
		for val != "" && !isCSpace(val[0]) {
			val = val[1:]
		}
		val = strings.TrimLeft(val, cSpace)
	}
	return &Error{Code: BadAuth, Detail: "cross-realm login " + user + " denied",
		why: fmt.Sprintf("userid %q: realm %q is not in loginrealms %q", user, realm, c.loginRealms)}
}

// plainSecretMatches checks a cmusaslsecretPLAIN value: 16 bytes of salt,
// a NUL, MD5(salt "sasldb" password) (checkpw.c _sasl_make_plain_secret).
func plainSecretMatches(secret []byte, pass string) bool {
	if len(secret) < 33 {
		return false
	}
	h := md5.New()
	h.Write(secret[:16])
	h.Write([]byte("sasldb"))
	h.Write([]byte(pass))
	want := append(append(append([]byte{}, secret[:16]...), 0), h.Sum(nil)...)
	return subtle.ConstantTimeCompare(secret[:33], want) == 1
}

// saslauthd is saslauthd_verify_password: the userid split at its last
// '@' into login and realm (no realm without one: Cyrus gives libsasl no
// user realm).
func (c *Checker) saslauthd(ctx context.Context, user, pass string) *Error {
	login, realm := user, ""
	if i := strings.LastIndexByte(user, '@'); i >= 0 {
		login, realm = user[:i], user[i+1:]
	}
	ok, answer, err := SaslauthdQuery(ctx, c.saslauthdPath, login, pass, Service, realm)
	if err != nil {
		return &Error{Code: Fail, why: "saslauthd " + c.saslauthdPath, err: err}
	}
	if !ok {
		return &Error{Code: BadAuth, why: fmt.Sprintf("saslauthd %s refused %q realm %q: %s", c.saslauthdPath, login, realm, answer)}
	}
	return nil
}

// authdaemond is authdaemon_verify_password: the whole userid.
func (c *Checker) authdaemond(ctx context.Context, user, pass string) *Error {
	ok, err := authdaemondQuery(ctx, c.authdaemondPath, user, pass, Service)
	if err != nil {
		return &Error{Code: Fail, why: "authdaemond " + c.authdaemondPath, err: err}
	}
	if !ok {
		return &Error{Code: BadAuth, why: fmt.Sprintf("authdaemond %s refused %q", c.authdaemondPath, user)}
	}
	return nil
}
