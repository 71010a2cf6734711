package pwcheck

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/conf"
)

// How libsasl finds its options in a Cyrus server. Cyrus's getopt callback
// answers option <x> with imapd.conf's sasl_<x> ("<ident>_sasl_<x>"
// first); only when imapd.conf has none does libsasl look in its own
// configuration file, <dir>/Cyrus.conf for the first <dir> of the SASL
// configuration path where that file opens.
//
// cyrus: imap/global.c mysasl_config (3.6.1); libsasl: lib/common.c
// _sasl_conn_getopt, _sasl_global_getopt; lib/server.c load_config;
// lib/config.c sasl_config_init (2.1.28)

// DefaultSASLConfPath is libsasl's configuration path as Debian builds it
// (CONFIGDIR), set at init unless the linker set it (-X needs a variable
// without initialiser); $SASL_CONF_PATH replaces it, as in libsasl, when
// the process is not set-id.
var DefaultSASLConfPath string

func init() {
	if DefaultSASLConfPath == "" {
		DefaultSASLConfPath = "/etc/sasl2:/etc/sasl:/usr/lib/" + debianMultiarch() + "/sasl2:/usr/lib/sasl2"
	}
}

// saslAppName is the application name Cyrus gives sasl_server_init.
const saslAppName = "Cyrus"

func debianMultiarch() string {
	switch runtime.GOARCH {
	case "arm64":
		return "aarch64-linux-gnu"
	case "386":
		return "i386-linux-gnu"
	case "arm":
		return "arm-linux-gnueabihf"
	case "ppc64le":
		return "powerpc64le-linux-gnu"
	case "s390x":
		return "s390x-linux-gnu"
	case "riscv64":
		return "riscv64-linux-gnu"
	case "mips64le":
		return "mips64el-linux-gnuabi64"
	}
	return "x86_64-linux-gnu"
}

// saslOptions answers libsasl's getopt as Cyrus's sync_server sees it.
type saslOptions struct {
	cfg *conf.Config
	// file is Cyrus.conf's options, first occurrence of a key winning.
	file     map[string]string
	filePath string
}

func loadSASLOptions(cfg *conf.Config) (*saslOptions, error) {
	o := &saslOptions{cfg: cfg, file: map[string]string{}}
	path := DefaultSASLConfPath
	if os.Getuid() == os.Geteuid() && os.Getgid() == os.Getegid() {
		if v, ok := os.LookupEnv("SASL_CONF_PATH"); ok {
			path = v
		}
	}
	for _, dir := range strings.Split(path, ":") {
		name := dir + "/" + saslAppName + ".conf"
		f, err := os.Open(name)
		if err != nil {
			continue // libsasl: fopen failed, try the next directory
		}
		err = o.parseFile(f, name)
		f.Close()
		if err != nil {
			return nil, err
		}
		o.filePath = name
		break
	}
	return o, nil
}

// parseFile reads a SASL configuration file as sasl_config_init does:
// "key: value" lines, keys of letters, digits, '-' and '_' folded to lower
// case, '#' comments; anything else makes sasl_server_init fail, and Cyrus
// with it. Lines are read 4095 bytes at a time (fgets into 4096 bytes).
func (o *saslOptions) parseFile(f *os.File, name string) error {
	r := bufio.NewReader(f)
	lineno := 0
	for {
		line, err := readCLine(r, 4095)
		if line == "" && err != nil {
			return nil // EOF, or a read error, which ends fgets the same way
		}
		lineno++
		line = strings.TrimSuffix(line, "\n")
		p := strings.TrimLeft(line, cSpace)
		if p == "" || p[0] == '#' {
			continue
		}
		i := 0
		for i < len(p) && (isCAlnum(p[i]) || p[i] == '-' || p[i] == '_') {
			i++
		}
		if i == len(p) || p[i] != ':' {
			return fmt.Errorf("%s line %d: error when parsing configuration file (no ':' after the key)", name, lineno)
		}
		key := strings.ToLower(p[:i])
		value := strings.TrimRight(strings.TrimLeft(p[i+1:], cSpace), cSpace)
		if value == "" {
			return fmt.Errorf("%s line %d: error when parsing configuration file (empty value)", name, lineno)
		}
		if _, dup := o.file[key]; !dup {
			o.file[key] = value
		}
	}
}

// readCLine reads like fgets: up to and including '\n', at most max bytes.
func readCLine(r *bufio.Reader, max int) (string, error) {
	var b strings.Builder
	for b.Len() < max {
		c, err := r.ReadByte()
		if err != nil {
			return b.String(), err
		}
		b.WriteByte(c)
		if c == '\n' {
			break
		}
	}
	return b.String(), nil
}

// cSpace is what C's isspace accepts in the C locale.
const cSpace = " \t\n\v\f\r"

func isCSpace(c byte) bool { return strings.IndexByte(cSpace, c) >= 0 }

func isCAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// get returns libsasl option name and where it came from.
func (o *saslOptions) get(name string) (value, from string, ok bool) {
	if v, ok := o.cfg.Overflow("sasl_" + name); ok {
		return v, o.cfg.Path, true
	}
	if v, ok := o.file[name]; ok {
		return v, o.filePath, true
	}
	return "", "", false
}
