package setuidgid

import (
	"testing"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		spec, user, group, err string
	}{
		{"nobody", "nobody", "", ""},
		{":nogroup", "", "nogroup", ""},
		{"nobody:nogroup", "nobody", "nogroup", ""},
		{"65534:65534", "65534", "65534", ""},
		{":", "", "", `Empty group name: ":"`},
		{"nobody:", "", "", `Empty group name: "nobody:"`},
		{"", "", "", `Need to specify user and/or group: ""`},
	} {
		u, g, err := split(tc.spec)
		var msg string
		if err != nil {
			msg = err.Error()
		}
		if msg != tc.err || (err == nil && (u != tc.user || g != tc.group)) {
			t.Errorf("split(%q) = %q, %q, %q; want %q, %q, %q", tc.spec, u, g, msg, tc.user, tc.group, tc.err)
		}
	}
}

func TestUnknownNames(t *testing.T) {
	if _, err := lookupUser("no-such-user-spiped-test"); err == nil || err.Error() != "No such user: no-such-user-spiped-test" {
		t.Errorf("lookupUser: %v", err)
	}
	if _, err := lookupGroup("no-such-group-spiped-test"); err == nil || err.Error() != "No such group: no-such-group-spiped-test" {
		t.Errorf("lookupGroup: %v", err)
	}
	// A name that is not in the database is taken as a number, as the
	// reference's PARSENUM does (base 0, so hexadecimal works too).
	for _, tc := range []struct {
		name string
		id   int
	}{{"12345", 12345}, {"0x10", 16}, {"4294967295", 4294967295}} {
		if id, err := lookupUser(tc.name); err != nil || id != tc.id {
			t.Errorf("lookupUser(%q) = %d, %v; want %d", tc.name, id, err, tc.id)
		}
	}
	if _, err := lookupUser("4294967296"); err == nil {
		t.Errorf("lookupUser(4294967296) accepted a uid past 32 bits")
	}
}
