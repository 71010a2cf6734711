package conf

import (
	_ "embed"
	"fmt"
	"strings"
)

// OptionType is the type of a known imapd.conf option, as Cyrus declares it.
type OptionType int

// The option types of lib/imapoptions.
const (
	TypeString OptionType = iota
	TypeInt
	TypeSwitch
	TypeEnum
	TypeStringList
	TypeBitfield
	TypeDuration
)

var typeNames = map[string]OptionType{
	"STRING": TypeString, "INT": TypeInt, "SWITCH": TypeSwitch, "ENUM": TypeEnum,
	"STRINGLIST": TypeStringList, "BITFIELD": TypeBitfield, "DURATION": TypeDuration,
}

func (t OptionType) String() string {
	for n, v := range typeNames {
		if v == t {
			return n
		}
	}
	return fmt.Sprintf("OptionType(%d)", int(t))
}

// Option describes one known imapd.conf option of Cyrus 3.6.
type Option struct {
	// Name is the option's key, lower case.
	Name string
	// Type is how its value is parsed.
	Type OptionType
	// Default is the default value as text; see HasDefault.
	Default string
	// HasDefault is false for options whose default is NULL (unset).
	HasDefault bool
	// Values lists the legal values of an ENUM, STRINGLIST or BITFIELD option.
	Values []string
	// DeprecatedSince is the version that deprecated the option, or "".
	DeprecatedSince string
	// Preferred is the option that replaces a deprecated one, or "".
	Preferred string
}

// The option table of Cyrus 3.6.1 is data read from lib/imapoptions, kept in
// a file of its own so that it can be compared with Cyrus's at a glance.
//
//go:embed imapoptions-3.6.tsv
var optionsTSV string

// options maps every known option name to its description; optionOrder
// lists them in Cyrus's table order (the order cyr_info prints them in).
var options, optionOrder = parseOptionTable(optionsTSV)

func parseOptionTable(tsv string) (map[string]*Option, []string) {
	m := make(map[string]*Option)
	var order []string
	for n, line := range strings.Split(tsv, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			panic(fmt.Sprintf("conf: imapoptions-3.6.tsv line %d: %d fields", n+1, len(f)))
		}
		t, ok := typeNames[f[1]]
		if !ok {
			panic(fmt.Sprintf("conf: imapoptions-3.6.tsv line %d: type %q", n+1, f[1]))
		}
		o := &Option{Name: f[0], Type: t, DeprecatedSince: f[4], Preferred: f[5]}
		if f[2] != "<unset>" {
			o.Default, o.HasDefault = f[2], true
		}
		if f[3] != "" {
			o.Values = strings.Fields(f[3])
		}
		m[o.Name] = o
		order = append(order, o.Name)
	}
	return m, order
}

// LookupOption returns the description of a known option.
func LookupOption(name string) (*Option, bool) {
	o, ok := options[strings.ToLower(name)]
	return o, ok
}

// OptionNames lists every known option in Cyrus's table order.
func OptionNames() []string { return append([]string(nil), optionOrder...) }
