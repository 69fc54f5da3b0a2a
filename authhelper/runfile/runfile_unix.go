//go:build unix

package runfile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens p for reading; a symbolic link at p fails (ELOOP)
// instead of being followed, and a FIFO does not block the open. Go adds
// O_CLOEXEC itself; it is named here so the intent is plain.
func openNoFollow(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
}

// isLink reports the error of an O_NOFOLLOW open of a symbolic link.
func isLink(err error) bool { return errors.Is(err, syscall.ELOOP) }

func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// alive: signal 0 checks that the process exists (EPERM: it exists but
// belongs to someone else, which the UID check already rules out).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
