package pwcheck

import "bytes"

// A sasldb2 maps "authcid NUL realm NUL property" to the property's value
// (sasldb/allockey.c _sasldb_alloc_key, 2.1.28); saslpasswd2 stores the
// password as the property userPassword.

// PasswordProp is the property holding a plaintext password
// (SASL_AUX_PASSWORD_PROP).
const PasswordProp = "userPassword"

// secretPlainProp holds a salted MD5 secret, written by SASL v1 era tools
// and still checked by libsasl (checkpw.c auxprop_verify_password).
const secretPlainProp = "cmusaslsecretPLAIN"

// Entry is one key of a sasldb2.
type Entry struct {
	User, Realm, Prop string
}

// String is the entry as sasldblistusers2 prints it.
func (e Entry) String() string { return e.User + "@" + e.Realm + ": " + e.Prop }

func sasldbKey(user, realm, prop string) []byte {
	k := make([]byte, 0, len(user)+len(realm)+len(prop)+2)
	k = append(k, user...)
	k = append(k, 0)
	k = append(k, realm...)
	k = append(k, 0)
	return append(k, prop...)
}

// parseSasldbKey splits a key as _sasldb_parse_key does: exactly two NULs.
func parseSasldbKey(k []byte) (Entry, bool) {
	if bytes.Count(k, []byte{0}) != 2 {
		return Entry{}, false
	}
	user, rest, _ := bytes.Cut(k, []byte{0})
	realm, prop, _ := bytes.Cut(rest, []byte{0})
	return Entry{User: string(user), Realm: string(realm), Prop: string(prop)}, true
}

// ListSasldb lists the entries of the sasldb2 at path in the order
// sasldblistusers2 prints them. Keys that are not user NUL realm NUL
// property are skipped and counted.
func ListSasldb(path string) (entries []Entry, malformed int, err error) {
	db, err := OpenHash(path)
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	err = db.Each(func(k, _ []byte) error {
		if e, ok := parseSasldbKey(k); ok {
			entries = append(entries, e)
		} else {
			malformed++
		}
		return nil
	})
	return entries, malformed, err
}
