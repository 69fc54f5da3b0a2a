package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// systemdWord quotes s as one word of a unit setting that systemd splits
// into words (ExecStart=, Environment=), so that systemd reads back exactly
// s. systemd first expands specifiers over the whole line (systemd.unit(5),
// "Specifiers": a literal % is %%), then splits it into words, removing
// quotes and C escapes (systemd.syntax(7), "Quoting"). A path such as
// /home/a b/100%/obpm otherwise becomes two words and an unknown specifier.
//
// A word of only plain characters is left bare (serve, --port, NAME=value),
// which keeps the unit readable; anything else is quoted.
func systemdWord(s string) (string, error) {
	if s != "" && strings.Trim(s, plainChars) == "" {
		return s, nil
	}
	return systemdQuoted(s)
}

// plainChars need neither quotes nor escapes in a systemd word.
const plainChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,:=@"

// systemdQuoted is systemdWord always in double quotes.
func systemdQuoted(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8: a systemd unit cannot name it (rename the folder, or run `obpm serve` from your session's startup)", s)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case 0:
			return "", fmt.Errorf("%q holds a NUL byte: a systemd unit cannot name it", s)
		case '%':
			b.WriteString("%%")
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				// Any other control byte would end or corrupt the line.
				fmt.Fprintf(&b, `\x%02x`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// systemdExecStart renders an ExecStart= command line whose program is
// argv[0] and whose arguments are argv. systemd substitutes $NAME, ${NAME}
// and $$ in the arguments when it starts the service, argv[0] included, but
// not in the program's path (systemd.service(5), "Command lines"): so $ is
// doubled in the arguments, and when the path itself holds a $ the "@"
// prefix gives argv[0] separately, doubled, while the path stays as it is.
//
// systemd refuses to run a program whose path holds a quote, a backslash or
// a control character ("Executable name contains special characters"), so
// such a path is an error here rather than a unit that never starts.
func systemdExecStart(argv ...string) (string, error) {
	if strings.ContainsFunc(argv[0], func(r rune) bool { return r < 0x20 || r == 0x7f || strings.ContainsRune(`"'\`, r) }) {
		return "", fmt.Errorf("systemd cannot run a program whose path holds a quote, a backslash or a control character: %q (move obpm to another folder and run `obpm service install` from there)", argv[0])
	}
	var words []string
	if strings.Contains(argv[0], "$") {
		w, err := systemdQuoted("@" + argv[0])
		if err != nil {
			return "", err
		}
		words = append(words, w)
	} else {
		// Quoted even when plain: a bare word could start with a prefix
		// character (-, @, :, +, !) that systemd would take as a flag.
		w, err := systemdQuoted(argv[0])
		if err != nil {
			return "", err
		}
		words = append(words, w)
		argv = argv[1:]
	}
	for _, a := range argv {
		w, err := systemdWord(strings.ReplaceAll(a, "$", "$$"))
		if err != nil {
			return "", err
		}
		words = append(words, w)
	}
	return strings.Join(words, " "), nil
}

// systemdEnv renders one Environment= assignment: quoted as a whole, so that
// spaces, quotes and % in the value survive ($ has no meaning there).
func systemdEnv(name, value string) (string, error) {
	return systemdWord(name + "=" + value)
}

// plistString escapes s for the text of a plist <string> element. XML 1.0
// cannot carry most control characters at all, even as character
// references, so a value holding one is refused rather than silently
// changed (launchd would refuse the whole file).
func plistString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8: a launchd plist cannot name it", s)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\n', r == '\t':
			b.WriteRune(r)
		case r == '\r':
			// A raw CR is read back as LF (XML end-of-line handling).
			b.WriteString("&#xD;")
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			return "", fmt.Errorf("%q holds the control character %U, which a launchd plist (XML) cannot hold: rename the folder", s, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}
