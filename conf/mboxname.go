package conf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Namespace converts mailbox names between Cyrus's internal form (used by
// mailboxes.db, the sync log and the sync protocol) and the external form an
// administrator types (sync_client -m, cyr_synclog users). It is always the
// admin, standard (non-alt) namespace: the sync tools never use altnamespace.
//
// Internal names separate levels with '.' and store a '.' inside a level as
// '^'; a domain is written "domain!" in front; a delayed-delete name is
// "<deletedprefix>.<name>.<HEXTIME>". External names separate levels with
// '/' under unixhierarchysep, else '.', and carry a domain as "@domain".
//
// cyrus: imap/mboxname.c mbname_from_intname, mbname_from_extname,
// mbname_extname, mbname_intname (3.6.1)
type Namespace struct {
	// Sep is the external hierarchy separator: '/' or '.'.
	Sep byte
	// VirtDomains is true unless virtdomains is off.
	VirtDomains bool
	// DefaultDomain is defaultdomain: a domain Cyrus leaves out of names.
	DefaultDomain string
	// DeletedPrefix is deletedprefix.
	DeletedPrefix string
}

// Namespace returns the admin namespace of this configuration.
func (c *Config) Namespace() Namespace {
	ns := Namespace{Sep: '.', VirtDomains: c.VirtDomains() != "off", DeletedPrefix: c.DeletedPrefix()}
	if c.UnixHierarchySep() {
		ns.Sep = '/'
	}
	ns.DefaultDomain, _ = c.DefaultDomain()
	return ns
}

// MboxName is a mailbox name taken apart.
type MboxName struct {
	// Domain is the mailbox's domain, "" for the default domain.
	Domain string
	// LocalPart is the owner's user name without domain, "" for a shared
	// mailbox.
	LocalPart string
	// Boxes are the levels below user.<localpart> (or all levels of a shared
	// mailbox), with '.' as a plain character.
	Boxes []string
	// Deleted is the delayed-delete time (seconds since the epoch), 0 if the
	// mailbox is not a DELETED one.
	Deleted int64
}

// ErrBadName is returned for an external name that cannot be converted.
var ErrBadName = errors.New("invalid mailbox name")

// ParseInternal takes an internal name apart.
func (ns Namespace) ParseInternal(intname string) MboxName {
	var m MboxName
	if intname == "" {
		return m
	}
	if i := strings.IndexByte(intname, '!'); i >= 0 {
		m.Domain = intname[:i]
		if m.Domain == ns.DefaultDomain {
			m.Domain = ""
		}
		intname = intname[i+1:]
	}
	boxes := strings.Split(intname, ".")
	for i := range boxes {
		boxes[i] = strings.ReplaceAll(boxes[i], "^", ".")
	}
	if len(boxes) > 2 && boxes[0] == ns.DeletedPrefix {
		m.Deleted = hexTime(boxes[len(boxes)-1])
		boxes = boxes[1 : len(boxes)-1]
	}
	if len(boxes) > 1 && boxes[0] == "user" {
		m.LocalPart, boxes = boxes[1], boxes[2:]
	}
	m.Boxes = boxes
	return m
}

// hexTime is strtoul(s, NULL, 16): leading hex digits, the rest ignored.
func hexTime(s string) int64 {
	end := 0
	for end < len(s) && hexDigit(s[end]) >= 0 {
		end++
	}
	v, _ := strconv.ParseUint(s[:end], 16, 64)
	return int64(v)
}

// Internal puts a name together in internal form.
func (ns Namespace) Internal(m MboxName) string {
	var b strings.Builder
	if m.Domain != "" {
		b.WriteString(m.Domain)
		b.WriteByte('!')
	}
	sep := false
	put := func(s string) {
		if sep {
			b.WriteByte('.')
		}
		b.WriteString(s)
		sep = true
	}
	if m.Deleted != 0 {
		put(ns.DeletedPrefix)
	}
	if m.LocalPart != "" {
		put("user." + strings.ReplaceAll(m.LocalPart, ".", "^"))
	}
	for _, box := range m.Boxes {
		put(strings.ReplaceAll(box, ".", "^"))
	}
	if m.Deleted != 0 {
		put(fmt.Sprintf("%X", uint32(m.Deleted)))
	}
	return b.String()
}

// UserID is the owner of a mailbox: "localpart" or "localpart@domain", ""
// for a shared mailbox. DELETED mailboxes still belong to their user.
func (m MboxName) UserID() string {
	if m.LocalPart == "" {
		return ""
	}
	if m.Domain != "" {
		return m.LocalPart + "@" + m.Domain
	}
	return m.LocalPart
}

// UserIDOf returns the owner of an internal mailbox name ("" if shared).
//
// cyrus: imap/mboxname.c mboxname_to_userid (3.6.1)
func (ns Namespace) UserIDOf(intname string) string { return ns.ParseInternal(intname).UserID() }

// UserInbox returns the internal name of a user's INBOX.
func (ns Namespace) UserInbox(userid string) string {
	var m MboxName
	m.LocalPart = userid
	if i := strings.LastIndexByte(userid, '@'); i >= 0 {
		m.LocalPart = userid[:i]
		if d := userid[i+1:]; d != ns.DefaultDomain {
			m.Domain = d
		}
	}
	return ns.Internal(m)
}

// extPart writes one level externally: '.' stays '.' under '/', else '^'.
func (ns Namespace) extPart(s string) string {
	if ns.Sep == '/' {
		return s
	}
	return strings.ReplaceAll(s, ".", "^")
}

// External returns the admin's external name of an internal one, e.g.
// "user/fred.smith/Sent@example.com" for "example.com!user.fred^smith.Sent".
func (ns Namespace) External(intname string) (string, error) {
	m := ns.ParseInternal(intname)
	sep := string(ns.Sep)
	var parts []string
	if m.Deleted != 0 {
		parts = append(parts, ns.DeletedPrefix)
	}
	if m.LocalPart == "" {
		if len(m.Boxes) == 0 || strings.EqualFold(m.Boxes[0], "INBOX") {
			return "", fmt.Errorf("%w: %q has no external form", ErrBadName, intname)
		}
		if !ns.VirtDomains && m.Domain != "" {
			return "", fmt.Errorf("%w: %q is in a domain but virtdomains is off", ErrBadName, intname)
		}
	} else {
		if !ns.VirtDomains && m.Domain != "" {
			return "", fmt.Errorf("%w: %q is in a domain but virtdomains is off", ErrBadName, intname)
		}
		parts = append(parts, "user", ns.extPart(m.LocalPart))
	}
	for _, box := range m.Boxes {
		parts = append(parts, ns.extPart(box))
	}
	if m.Deleted != 0 {
		parts = append(parts, fmt.Sprintf("%X", uint32(m.Deleted)))
	}
	ext := strings.Join(parts, sep)
	if ns.VirtDomains && m.Domain != "" {
		ext += "@" + m.Domain
	}
	return ext, nil
}

// ParseExternal converts an admin's external name to internal form. With
// virtdomains a trailing "@domain" names the domain. A '/' inside a level,
// or a '^' under unixhierarchysep, is an error as in Cyrus.
func (ns Namespace) ParseExternal(ext string) (string, error) {
	if ext == "" {
		return "", fmt.Errorf("%w: empty name", ErrBadName)
	}
	var m MboxName
	name := ext
	if ns.VirtDomains {
		if i := strings.LastIndexByte(name, '@'); i >= 0 {
			if d := name[i+1:]; d != ns.DefaultDomain {
				m.Domain = d
			}
			name = name[:i]
		}
	}
	boxes := strings.Split(name, string(ns.Sep))
	for i, box := range boxes {
		if strings.Contains(box, "/") || ns.Sep == '/' && strings.Contains(box, "^") {
			return "", fmt.Errorf("%w: %q", ErrBadName, ext)
		}
		if ns.Sep != '/' {
			boxes[i] = strings.ReplaceAll(box, "^", ".")
		}
	}
	if strings.EqualFold(boxes[0], "INBOX") {
		return "", fmt.Errorf("%w: %q: INBOX means nothing in the admin namespace", ErrBadName, ext)
	}
	if boxes[0] == ns.DeletedPrefix {
		boxes = boxes[1:]
		if len(boxes) == 0 {
			return "", fmt.Errorf("%w: %q", ErrBadName, ext)
		}
		m.Deleted = hexTime(boxes[len(boxes)-1])
		boxes = boxes[:len(boxes)-1]
	}
	if len(boxes) > 0 && boxes[0] == "user" {
		if len(boxes) > 1 {
			m.LocalPart = boxes[1]
		}
		boxes = boxes[min(2, len(boxes)):]
	}
	m.Boxes = boxes
	return ns.Internal(m), nil
}
