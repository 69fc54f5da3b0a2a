package keyring

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
)

// ErrNoSessionBus means there is no D-Bus session bus to reach a Secret
// Service on. go-keyring (through godbus) would then run `dbus-launch`,
// which starts a dbus-daemon, which activates a gnome-keyring-daemon, and
// both outlive the command: one pair per command, behind the user's back.
// obpm checks first and stops with the fix instead.
var ErrNoSessionBus = errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus)")

// SessionBus returns the address of the D-Bus session bus the way godbus
// finds one, without its last resort (dbus-launch): $DBUS_SESSION_BUS_ADDRESS,
// else the socket $XDG_RUNTIME_DIR/bus or /run/user/UID/bus, else the address
// in /run/user/UID/dbus-session. ok is false when there is none.
func SessionBus(getenv func(string) string) (addr string, ok bool) {
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a, true
	}
	var dirs []string
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	uidDir := "/run/user/" + strconv.Itoa(os.Getuid())
	dirs = append(dirs, uidDir)
	for _, d := range dirs {
		p := filepath.Join(d, "bus")
		if st, err := os.Stat(p); err == nil && st.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + p, true
		}
	}
	if _, err := os.Stat(filepath.Join(uidDir, "dbus-session")); err == nil {
		return "", true // godbus reads the address from it
	}
	return "", false
}
