//go:build !(dragonfly || freebsd || linux || netbsd || openbsd)

package keyring

// needsSessionBus is false where go-keyring uses the OS keychain directly.
const needsSessionBus = false

func checkBus() error { return nil }
