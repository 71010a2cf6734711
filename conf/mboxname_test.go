package conf

import (
	"errors"
	"testing"
)

func TestNames(t *testing.T) {
	uhs := Namespace{Sep: '/', DefaultDomain: "internal", DeletedPrefix: "DELETED"}
	dots := Namespace{Sep: '.', DefaultDomain: "internal", DeletedPrefix: "DELETED"}
	vd := Namespace{Sep: '/', VirtDomains: true, DefaultDomain: "example.org", DeletedPrefix: "DELETED"}
	for _, tc := range []struct {
		ns       Namespace
		internal string
		external string
		userid   string
	}{
		{uhs, "user.fred", "user/fred", "fred"},
		{uhs, "user.fred^smith.a^b", "user/fred.smith/a.b", "fred.smith"},
		{uhs, "user.fred.Sent Items", "user/fred/Sent Items", "fred"},
		{uhs, "shared.folder", "shared/folder", ""},
		{uhs, "user.fred.&AOQ-", "user/fred/&AOQ-", "fred"},
		{uhs, "DELETED.user.fred.Trash.5F3A1B2C", "DELETED/user/fred/Trash/5F3A1B2C", "fred"},
		{dots, "user.fred.Sent", "user.fred.Sent", "fred"},
		{dots, "user.fred^smith", "user.fred^smith", "fred.smith"},
		{vd, "example.com!user.fred.Sent", "user/fred/Sent@example.com", "fred@example.com"},
		{vd, "user.bob", "user/bob", "bob"},
		{vd, "example.com!shared", "shared@example.com", ""},
	} {
		if got := tc.ns.UserIDOf(tc.internal); got != tc.userid {
			t.Errorf("UserIDOf(%q) = %q, want %q", tc.internal, got, tc.userid)
		}
		ext, err := tc.ns.External(tc.internal)
		if err != nil || ext != tc.external {
			t.Errorf("External(%q) = %q, %v; want %q", tc.internal, ext, err, tc.external)
		}
		in, err := tc.ns.ParseExternal(tc.external)
		if err != nil || in != tc.internal {
			t.Errorf("ParseExternal(%q) = %q, %v; want %q", tc.external, in, err, tc.internal)
		}
	}
	if _, err := uhs.ParseExternal("user/fred/a^b"); !errors.Is(err, ErrBadName) {
		t.Errorf("'^' under unixhierarchysep must be refused: %v", err)
	}
	if _, err := dots.ParseExternal("user.fred/x"); !errors.Is(err, ErrBadName) {
		t.Errorf("'/' in a name must be refused: %v", err)
	}
	if got := vd.UserIDOf("example.org!user.bob"); got != "bob" {
		t.Errorf("the default domain is dropped: %q", got)
	}
	if got := vd.UserInbox("fred@example.com"); got != "example.com!user.fred" {
		t.Errorf("UserInbox = %q", got)
	}
}
