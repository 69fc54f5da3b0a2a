//go:build dragonfly || freebsd || linux || netbsd || openbsd

package keyring

import "os"

// needsSessionBus is true where go-keyring talks to a Secret Service over D-Bus.
const needsSessionBus = true

// checkBus fails with ErrNoSessionBus when there is no session bus (see
// there). A bus socket found under $XDG_RUNTIME_DIR is handed to godbus in
// DBUS_SESSION_BUS_ADDRESS, which godbus itself would not look at and
// would autolaunch a bus instead.
func checkBus() error {
	addr, ok := SessionBus(os.Getenv)
	if !ok {
		return ErrNoSessionBus
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" && addr != "" {
		_ = os.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	}
	return nil
}
