package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/internal/testenv"
)

// Paths and names a real machine may hold: spaces, % (systemd's
// specifiers), $ (which systemd substitutes in arguments), Korean; and, but
// for the program's path, which systemd refuses to run with them, quotes,
// backslashes and a tab.
const (
	awkwardExePart = "a b/100%/%u/$HOME ${USER} $$/한글"
	awkwardPart    = awkwardExePart + " \"q\" 'o' back\\slash\tx"
)

// TestServiceUnitQuoting: whatever the binary's path, the config folder and
// the keyring service name hold, systemd reads back from the unit exactly
// the program, argv and environment `obpm service install` meant, and
// launchd reads back exactly the same strings from the plist.
func TestServiceUnitQuoting(t *testing.T) {
	tests := []struct {
		name            string
		exe, cfg, kring string
	}{
		{"plain", "/usr/bin/obpm", "/home/u/.config/obpm", "obpm"},
		{"awkward", "/opt/" + awkwardExePart + "/obpm", "/home/" + awkwardPart + "/cfg", `obpm "prod" 100% \ $x`},
		{"newline", "/opt/obpm", "/home/u/new\nline", "k\r\nv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": tc.cfg, "OBPM_KEYRING_SERVICE": tc.kring}}
			f, _, _ := w.factory("")
			opts := &ServiceOptions{Port: 8799, GOOS: "linux", Exe: tc.exe}
			unit, err := renderUnit(f, opts)
			if err != nil {
				t.Fatal(err)
			}
			wantArgv := []string{tc.exe, "serve", "--port", "8799"}
			wantEnv := map[string]string{"OBPM_CONFIG_DIR": tc.cfg, "OBPM_KEYRING_SERVICE": tc.kring}
			path, argv, env, err := parseUnit(string(unit))
			if err != nil {
				t.Fatalf("%v\n%s", err, unit)
			}
			if path != tc.exe || !reflect.DeepEqual(argv, wantArgv) || !reflect.DeepEqual(env, wantEnv) {
				t.Errorf("systemd reads program %q argv %q env %q\nwant %q %q %q\n%s", path, argv, env, tc.exe, wantArgv, wantEnv, unit)
			}

			opts.GOOS = "darwin"
			plist, err := renderUnit(f, opts)
			if err != nil {
				t.Fatal(err)
			}
			argv, env, err = parsePlist(plist)
			if err != nil {
				t.Fatalf("%v\n%s", err, plist)
			}
			if !reflect.DeepEqual(argv, wantArgv) || !reflect.DeepEqual(env, wantEnv) {
				t.Errorf("launchd reads argv %q env %q\nwant %q %q\n%s", argv, env, wantArgv, wantEnv, plist)
			}
		})
	}
}

// TestServiceUnitSystemdAnalyze asks systemd itself, where it is installed:
// `systemd-analyze verify` loads the unit as the user manager would, fails
// when the program it parsed is not an executable file, and (at debug
// level) prints the argv and environment it parsed.
func TestServiceUnitSystemdAnalyze(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed; TestServiceUnitQuoting checks the documented rules")
	}
	root := t.TempDir()
	// No newline here: systemd prints Environment= values raw, one a line.
	exe := filepath.Join(root, "opt", awkwardExePart, "obpm")
	cfg := filepath.Join(root, "home", awkwardPart, "cfg")
	kring := `obpm "prod" 100% \ $x`
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": cfg, "OBPM_KEYRING_SERVICE": kring}}
	f, _, _ := w.factory("")
	unit, err := renderUnit(f, &ServiceOptions{Port: 8799, GOOS: "linux", Exe: exe})
	if err != nil {
		t.Fatal(err)
	}
	unitDir := t.TempDir()
	unitFile := filepath.Join(unitDir, "obpm.service")
	if err := os.WriteFile(unitFile, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", "--user", unitFile)
	// The user manager wants a runtime folder; no running systemd is needed.
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir(), "SYSTEMD_LOG_LEVEL=debug", "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "Failed to initialize manager") {
			t.Skipf("systemd-analyze cannot run here: %s", lastLines(out))
		}
		t.Fatalf("systemd-analyze verify: %v (the program is %q)\n%s\nunit:\n%s", err, exe, aboutUnit(out), unit)
	}
	// systemd ignores, with a warning only, a key it does not know or that
	// sits in the wrong section (the start limit in [Service], say).
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "Unknown key") || strings.Contains(line, "Unknown section") || strings.HasSuffix(line, "ignoring.") {
			t.Errorf("systemd ignores part of the unit: %s", line)
		}
	}
	var argv []string
	env := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimLeft(line, "\t ")
		if v, ok := strings.CutPrefix(line, "Command Line: "); ok && argv == nil {
			words, err := splitShellQuoted(v)
			if err != nil {
				t.Fatalf("systemd's command line %q: %v", v, err)
			}
			// systemd prints the argv before $ substitution.
			for _, w := range words {
				argv = append(argv, strings.ReplaceAll(w, "$$", "$"))
			}
		}
		if v, ok := strings.CutPrefix(line, "Environment: "); ok {
			k, val, _ := strings.Cut(v, "=")
			env[k] = val
		}
	}
	if argv == nil {
		t.Skipf("this systemd-analyze prints no parsed command line:\n%s", lastLines(out))
	}
	wantArgv := []string{exe, "serve", "--port", "8799"}
	wantEnv := map[string]string{"OBPM_CONFIG_DIR": cfg, "OBPM_KEYRING_SERVICE": kring}
	if !reflect.DeepEqual(argv, wantArgv) || !reflect.DeepEqual(env, wantEnv) {
		t.Errorf("systemd parsed argv %q env %q\nwant %q %q\nunit:\n%s", argv, env, wantArgv, wantEnv, unit)
	}
}

// TestServiceUnitRefusesWhatItCannotWrite: a value no unit or plist can
// carry is an error naming it, not a broken file.
func TestServiceUnitRefusesWhatItCannotWrite(t *testing.T) {
	for _, tc := range []struct{ goos, exe, want string }{
		{"linux", "/opt/\xff/obpm", "not valid UTF-8"},
		{"linux", "/opt/\"q\"/obpm", "holds a quote, a backslash or a control character"},
		{"linux", "/opt/back\\slash/obpm", "holds a quote, a backslash or a control character"},
		{"linux", "/opt/new\nline/obpm", "holds a quote, a backslash or a control character"},
		{"darwin", "/opt/\x01/obpm", "control character"},
		{"darwin", "/opt/\xff/obpm", "not valid UTF-8"},
	} {
		w := &authWorld{env: map[string]string{}}
		f, _, _ := w.factory("")
		_, err := renderUnit(f, &ServiceOptions{Port: 1, GOOS: tc.goos, Exe: tc.exe})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), strconv.Quote(tc.exe)) {
			t.Errorf("%s %q: %v, want an error naming it and saying %q", tc.goos, tc.exe, err, tc.want)
		}
	}
}

// aboutUnit keeps what systemd said about obpm.service.
func aboutUnit(b []byte) string {
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "obpm.service") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func lastLines(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// parseUnit reads ExecStart= and Environment= as systemd documents it:
// specifiers are expanded over the line first (systemd.unit(5)), then the
// line is split into words with quotes and C escapes (systemd.syntax(7));
// in ExecStart= the first word may carry prefixes, "@" giving argv[0] as the
// next word, and $$ in the arguments becomes $ when the service starts
// while $NAME and ${NAME} are substituted (systemd.service(5)).
func parseUnit(unit string) (path string, argv []string, env map[string]string, err error) {
	env = map[string]string{}
	for _, line := range strings.Split(unit, "\n") {
		key, value, ok := strings.Cut(line, "=")
		if !ok || (key != "ExecStart" && key != "Environment") {
			continue
		}
		value, err := expandSpecifiers(value)
		if err != nil {
			return "", nil, nil, fmt.Errorf("%s: %w", line, err)
		}
		words, err := splitSystemd(value)
		if err != nil {
			return "", nil, nil, fmt.Errorf("%s: %w", line, err)
		}
		if key == "Environment" {
			for _, w := range words {
				k, v, ok := strings.Cut(w, "=")
				if !ok {
					return "", nil, nil, fmt.Errorf("%s: %q is no assignment", line, w)
				}
				env[k] = v
			}
			continue
		}
		if path != "" {
			return "", nil, nil, errors.New("two ExecStart= lines")
		}
		first := words[0]
		separateArgv0 := false
		for first != "" && strings.ContainsRune("@-:+!", rune(first[0])) {
			separateArgv0 = separateArgv0 || first[0] == '@'
			first = first[1:]
		}
		path = first
		if !separateArgv0 {
			words[0] = path
		} else {
			words = words[1:]
		}
		for _, w := range words {
			a, err := substituteEnv(w)
			if err != nil {
				return "", nil, nil, fmt.Errorf("%s: %w", line, err)
			}
			argv = append(argv, a)
		}
	}
	if path == "" {
		return "", nil, nil, errors.New("no ExecStart= line")
	}
	return path, argv, env, nil
}

// expandSpecifiers: %% is %; any other specifier would be replaced by
// something of the machine's (%u the user, %h the home), which is an error
// here since the unit must name exactly what it was given.
func expandSpecifiers(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		return "", fmt.Errorf("specifier %q at byte %d would be expanded", s[i:min(i+2, len(s))], i)
	}
	return b.String(), nil
}

// substituteEnv: $$ is $; $NAME or ${NAME} would be substituted.
func substituteEnv(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if i+1 < len(s) && (s[i+1] == '{' || s[i+1] == '_' || isLetter(s[i+1])) {
			return "", fmt.Errorf("%q would be substituted from the environment", s[i:])
		}
		b.WriteByte('$')
	}
	return b.String(), nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// splitSystemd splits a value into words: whitespace separates words; a
// word may be wrapped in double or single quotes, the closing quote
// followed by whitespace or the end; C escapes are decoded everywhere
// (systemd.syntax(7), "Quoting").
func splitSystemd(s string) ([]string, error) {
	var words []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			return words, nil
		}
		var quote byte
		if s[i] == '"' || s[i] == '\'' {
			quote = s[i]
			i++
		}
		var b strings.Builder
		for {
			if i == len(s) {
				if quote != 0 {
					return nil, fmt.Errorf("unterminated %c quote", quote)
				}
				break
			}
			c := s[i]
			if quote == 0 && (c == ' ' || c == '\t') {
				break
			}
			if quote != 0 && c == quote {
				i++
				if i < len(s) && s[i] != ' ' && s[i] != '\t' {
					return nil, fmt.Errorf("closing quote followed by %q", s[i])
				}
				break
			}
			if c == '\\' {
				r, n, err := cUnescape(s[i+1:])
				if err != nil {
					return nil, err
				}
				b.WriteString(r)
				i += 1 + n
				continue
			}
			b.WriteByte(c)
			i++
		}
		words = append(words, b.String())
	}
}

// cUnescape decodes the escape after a backslash: the table of
// systemd.syntax(7); any other is refused.
func cUnescape(s string) (string, int, error) {
	if s == "" {
		return "", 0, errors.New("backslash at the end of the line")
	}
	if r, ok := map[byte]string{'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v",
		'\\': "\\", '"': "\"", '\'': "'", 's': " "}[s[0]]; ok {
		return r, 1, nil
	}
	hex := func(n int) (string, int, error) {
		if len(s) < 1+n {
			return "", 0, fmt.Errorf("short escape \\%s", s)
		}
		v, err := strconv.ParseUint(s[1:1+n], 16, 32)
		if err != nil || v == 0 {
			return "", 0, fmt.Errorf("bad escape \\%s", s[:1+n])
		}
		if n == 2 {
			return string([]byte{byte(v)}), 1 + n, nil
		}
		return string(rune(v)), 1 + n, nil
	}
	switch s[0] {
	case 'x':
		return hex(2)
	case 'u':
		return hex(4)
	case 'U':
		return hex(8)
	}
	if s[0] >= '0' && s[0] <= '7' && len(s) >= 3 {
		v, err := strconv.ParseUint(s[:3], 8, 8)
		if err == nil && v != 0 {
			return string([]byte{byte(v)}), 3, nil
		}
	}
	return "", 0, fmt.Errorf("unknown escape \\%c", s[0])
}

// splitShellQuoted splits systemd's own printing of a command line (words
// bare, or in double quotes with \ escaping ", \, $ and ` and C escapes for
// control characters).
func splitShellQuoted(s string) ([]string, error) {
	var words []string
	for _, raw := range splitOutsideQuotes(s) {
		if !strings.HasPrefix(raw, `"`) {
			words = append(words, raw)
			continue
		}
		body := strings.TrimSuffix(strings.TrimPrefix(raw, `"`), `"`)
		var b strings.Builder
		for i := 0; i < len(body); i++ {
			if body[i] != '\\' {
				b.WriteByte(body[i])
				continue
			}
			if i+1 < len(body) && strings.IndexByte("$`", body[i+1]) >= 0 {
				b.WriteByte(body[i+1])
				i++
				continue
			}
			r, n, err := cUnescape(body[i+1:])
			if err != nil {
				return nil, err
			}
			b.WriteString(r)
			i += n
		}
		words = append(words, b.String())
	}
	return words, nil
}

func splitOutsideQuotes(s string) []string {
	var words []string
	start, inQuote := -1, false
	for i := 0; i < len(s); i++ {
		switch {
		case start < 0 && s[i] != ' ':
			start, inQuote = i, s[i] == '"'
		case start >= 0 && inQuote && s[i] == '\\':
			i++
		case start >= 0 && inQuote && s[i] == '"' && i > start:
			inQuote = false
		case start >= 0 && !inQuote && s[i] == ' ':
			words, start = append(words, s[start:i]), -1
		}
	}
	if start >= 0 {
		words = append(words, s[start:])
	}
	return words
}

// parsePlist reads ProgramArguments and EnvironmentVariables as launchd
// would: through an XML parser.
func parsePlist(b []byte) ([]string, map[string]string, error) {
	if !utf8.Valid(b) {
		return nil, nil, errors.New("plist is not UTF-8")
	}
	d := xml.NewDecoder(strings.NewReader(string(b)))
	d.Strict = true
	var argv []string
	env := map[string]string{}
	var stack []string
	var text strings.Builder
	var lastKey string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return argv, env, nil
		}
		if err != nil {
			return nil, nil, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			stack = append(stack, el.Name.Local)
			text.Reset()
		case xml.CharData:
			text.Write(el)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			switch {
			case el.Name.Local == "key":
				lastKey = text.String()
			case el.Name.Local == "string" && len(stack) >= 1 && stack[len(stack)-1] == "array":
				argv = append(argv, text.String())
			case el.Name.Local == "string" && len(stack) == 3: // plist > dict > dict
				env[lastKey] = text.String()
			}
		}
	}
}

// TestServiceUnitPinsTheShellsStore: the service starts with the service
// manager's environment, not the shell's. A shell whose config folder comes
// from XDG_CONFIG_HOME, or which keeps secrets in the file store
// (OBPM_INSECURE_STORAGE, a machine without a keyring), must get a daemon
// that reads the same config and the same store as its other commands.
func TestServiceUnitPinsTheShellsStore(t *testing.T) {
	xdg := filepath.Join(t.TempDir(), "xdg config")
	t.Setenv("XDG_CONFIG_HOME", xdg)
	w := &authWorld{env: map[string]string{"OBPM_INSECURE_STORAGE": "true", "OBPM_KEYRING_TIMEOUT": "20s"}}
	f, _, _ := w.factory("")
	want := map[string]string{"OBPM_CONFIG_DIR": filepath.Join(xdg, "obpm"), "OBPM_INSECURE_STORAGE": "1", "OBPM_KEYRING_TIMEOUT": "20s"}
	for _, goos := range []string{"linux", "darwin"} {
		unit, err := renderUnit(f, &ServiceOptions{Port: 8791, GOOS: goos, Exe: "/usr/bin/obpm"})
		if err != nil {
			t.Fatal(err)
		}
		var env map[string]string
		if goos == "linux" {
			_, _, env, err = parseUnit(string(unit))
		} else {
			_, env, err = parsePlist(unit)
		}
		if err != nil || !reflect.DeepEqual(env, want) {
			t.Errorf("%s: the service's environment is %q, %v; want %q\n%s", goos, env, err, want, unit)
		}
	}
}

// TestServiceInstallWithoutUserManager: over su, sudo, an ssh session
// without a login session or in a container, `systemctl --user` cannot
// reach a user manager. install then says that the unit is written, why it
// is not running and what to do, instead of systemctl's bare complaint.
func TestServiceInstallWithoutUserManager(t *testing.T) {
	bin := t.TempDir()
	// A systemctl that answers as it does with no user bus (systemd 252).
	script := "#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	home := t.TempDir()
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir()}}
	f, _, _ := w.factory("")
	opts := &ServiceOptions{Action: "install", Port: 8791, GOOS: "linux", Home: home, Exe: "/usr/bin/obpm", Run: runServiceCommand}
	err := serviceRun(f, opts)
	path, _ := unitPath(opts)
	if err == nil {
		t.Fatal("install succeeded with no user manager")
	}
	for _, want := range []string{"wrote " + path, "no systemd user manager", "Failed to connect to bus", "loginctl enable-linger", "obpm serve"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the unit the error names is not there: %v", err)
	}
}

// TestServiceUnitGivesUp: Restart=on-failure restarts the daemon RestartSec
// after each failure. systemd's default start limit (5 starts in 10s) never
// trips at RestartSec=5, so a failure that stays (a keyring that never
// opens, a broken config, another obpm serve of the same folder) restarted
// the daemon every 5 seconds for ever. The unit must carry a start limit,
// in [Unit] where systemd reads it, that failures at that pace reach.
func TestServiceUnitGivesUp(t *testing.T) {
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": "/home/u/.config/obpm"}}
	f, _, _ := w.factory("")
	unit, err := renderUnit(f, &ServiceOptions{Port: 8791, GOOS: "linux", Exe: "/usr/bin/obpm"})
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]map[string]string{}
	var cur string
	for _, line := range strings.Split(string(unit), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			cur = strings.Trim(line, "[]")
			sections[cur] = map[string]string{}
		default:
			k, v, _ := strings.Cut(line, "=")
			sections[cur][k] = v
		}
	}
	seconds := func(section, key string) int {
		v, ok := sections[section][key]
		if !ok {
			t.Fatalf("[%s] has no %s:\n%s", section, key, unit)
		}
		n, err := strconv.Atoi(strings.TrimSuffix(v, "s"))
		if err != nil {
			t.Fatalf("[%s] %s=%s: want a number of seconds", section, key, v)
		}
		return n
	}
	if sections["Service"]["Restart"] != "on-failure" {
		t.Fatalf("[Service] Restart=%q, want on-failure:\n%s", sections["Service"]["Restart"], unit)
	}
	restartSec := seconds("Service", "RestartSec")
	interval, burst := seconds("Unit", "StartLimitIntervalSec"), seconds("Unit", "StartLimitBurst")
	if burst < 3 || burst*restartSec >= interval {
		t.Errorf("StartLimitBurst=%d in StartLimitIntervalSec=%d with RestartSec=%d: failures that come back at once never reach the limit (or it gives no second chance)",
			burst, interval, restartSec)
	}
}

// TestServiceActionsWithoutUserManager: with no systemd user manager in
// this login, uninstall, start, stop and status used to pass on systemctl's
// bare "Failed to connect to bus", and uninstall removed the unit and then
// failed. Each must say why and what to do; uninstall must remove the unit
// (and the link `disable` would have removed), warn that the manager could
// not be told, and succeed.
func TestServiceActionsWithoutUserManager(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	// A port nobody serves, so that status asks no daemon of this machine.
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir(), "OBPM_HELPER_URL": "http://127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))}}
	newOpts := func(action, home string) *ServiceOptions {
		return &ServiceOptions{Action: action, Port: 8791, GOOS: "linux", Home: home, Exe: "/usr/bin/obpm", Run: runServiceCommand, Output: serviceOutput}
	}

	t.Run("uninstall", func(t *testing.T) {
		home := t.TempDir()
		opts := newOpts("uninstall", home)
		path, _ := unitPath(opts)
		wants := filepath.Join(filepath.Dir(path), "default.target.wants", "obpm.service")
		if err := os.MkdirAll(filepath.Dir(wants), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("[Unit]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(path, wants); err != nil {
			t.Fatal(err)
		}
		f, _, errOut := w.factory("")
		if err := serviceRun(f, opts); err != nil {
			t.Fatalf("uninstall failed: %v\n%s", err, errOut)
		}
		for _, p := range []string{path, wants} {
			if _, err := os.Lstat(p); !os.IsNotExist(err) {
				t.Errorf("%s left behind: %v", p, err)
			}
		}
		for _, want := range []string{"Removed " + path, "no systemd user manager", "Failed to connect to bus", "systemctl --user stop obpm.service"} {
			if !strings.Contains(errOut.String(), want) {
				t.Errorf("uninstall says nothing of %q:\n%s", want, errOut)
			}
		}
	})
	for _, action := range []string{"start", "stop"} {
		t.Run(action, func(t *testing.T) {
			wants := []string{"no systemd user manager", "Failed to connect to bus", "systemctl --user " + action + " obpm.service", "obpm serve"}
			if action == "stop" {
				// This test process stands for a daemon that runs: stop
				// says how to end it without the service manager.
				cfg := w.env["OBPM_CONFIG_DIR"]
				if err := runfile.Write(cfg, runfile.Daemon, runfile.Record{URL: "http://127.0.0.1:45678", Port: 45678}); err != nil {
					t.Fatal(err)
				}
				defer runfile.Remove(cfg, runfile.Daemon, os.Getpid())
				wants = append(wants, fmt.Sprintf("kill %d", os.Getpid()))
			}
			f, _, errOut := w.factory("")
			err := serviceRun(f, newOpts(action, t.TempDir()))
			if err == nil {
				t.Fatalf("%s succeeded with no user manager", action)
			}
			for _, want := range wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s: error lacks %q: %v\n%s", action, want, err, errOut)
				}
			}
		})
	}
	t.Run("status", func(t *testing.T) {
		f, out, _ := w.factory("")
		if err := serviceRun(f, newOpts("status", t.TempDir())); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"service: unknown: this login has no systemd user manager", "Failed to connect to bus", "loginctl enable-linger"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("status lacks %q:\n%s", want, out)
			}
		}
	})
}

// TestServiceStartResetsTheStartLimit: once the unit's start limit gave up
// on a failure that stayed, systemd refuses a plain start until the
// failure is reset, so `obpm service start` (what status tells the user to
// run once the cause is fixed) resets it first.
func TestServiceStartResetsTheStartLimit(t *testing.T) {
	var ran []string
	opts := &ServiceOptions{Action: "start", GOOS: "linux", Home: t.TempDir(), Exe: "/usr/bin/obpm",
		Run: func(name string, args ...string) error {
			ran = append(ran, name+" "+strings.Join(args, " "))
			return nil
		}}
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir()}}
	f, _, _ := w.factory("")
	if err := serviceRun(f, opts); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ran, "; "); got != "systemctl --user reset-failed obpm.service; systemctl --user start obpm.service" {
		t.Errorf("ran %s", got)
	}
}
