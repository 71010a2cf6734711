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
	// TypeByteSize is Cyrus 3.8+'s BYTESIZE: a number of bytes with an
	// optional K, M or G.
	TypeByteSize
)

var typeNames = map[string]OptionType{
	"STRING": TypeString, "INT": TypeInt, "SWITCH": TypeSwitch, "ENUM": TypeEnum,
	"STRINGLIST": TypeStringList, "BITFIELD": TypeBitfield, "DURATION": TypeDuration,
	"BYTESIZE": TypeByteSize,
}

func (t OptionType) String() string {
	for n, v := range typeNames {
		if v == t {
			return n
		}
	}
	return fmt.Sprintf("OptionType(%d)", int(t))
}

// Option describes one known imapd.conf option of a Cyrus version.
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

// The option tables of Cyrus 3.6.1 and 3.10.2 are data read from
// lib/imapoptions, kept in files of their own so that they can be compared
// with Cyrus's at a glance.
var (
	//go:embed imapoptions-3.6.tsv
	options36TSV string
	//go:embed imapoptions-3.10.tsv
	options310TSV string
)

// table is one version's options: every known option name to its
// description, and the names in Cyrus's table order (the order cyr_info
// prints them in).
type table struct {
	options map[string]*Option
	order   []string
}

var tables = map[Version]*table{
	V3_6:  parseOptionTable("imapoptions-3.6.tsv", options36TSV),
	V3_10: parseOptionTable("imapoptions-3.10.tsv", options310TSV),
}

func parseOptionTable(file, tsv string) *table {
	m := make(map[string]*Option)
	var order []string
	for n, line := range strings.Split(tsv, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			panic(fmt.Sprintf("conf: %s line %d: %d fields", file, n+1, len(f)))
		}
		t, ok := typeNames[f[1]]
		if !ok {
			panic(fmt.Sprintf("conf: %s line %d: type %q", file, n+1, f[1]))
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
	return &table{options: m, order: order}
}

// LookupOption returns the description of a known option of Cyrus 3.6.
func LookupOption(name string) (*Option, bool) { return LookupOptionOf(V3_6, name) }

// LookupOptionOf returns the description of a known option of version v.
func LookupOptionOf(v Version, name string) (*Option, bool) {
	t := tables[v]
	if t == nil {
		return nil, false
	}
	o, ok := t.options[strings.ToLower(name)]
	return o, ok
}

// OptionNames lists every known option of Cyrus 3.6 in Cyrus's table order.
func OptionNames() []string { return OptionNamesOf(V3_6) }

// OptionNamesOf lists every known option of version v in Cyrus's table
// order (nil for a version without a table).
func OptionNamesOf(v Version) []string {
	if t := tables[v]; t != nil {
		return append([]string(nil), t.order...)
	}
	return nil
}
