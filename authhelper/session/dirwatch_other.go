//go:build !linux

package session

// dirWatch is Linux's inotify watch (dirwatch_linux.go); elsewhere the
// loader stats the file on every read.
type dirWatch struct{}

func newDirWatch(string) *dirWatch { return nil }

func (*dirWatch) state() (uint64, bool) { return 0, false }
