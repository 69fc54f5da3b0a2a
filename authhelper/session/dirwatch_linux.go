//go:build linux

package session

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dirWatch tells FileLoader, without a stat, that nothing happened in the
// config file's folder since it last asked: an inotify instance read
// without blocking. The kernel queues a write's or a rename's event before
// that call returns, so an `obpm profile add` that finished before a token
// request was sent is seen by that request, as with a stat per read
// (a polling interval would not give that). A stat cost a token read
// about 7% of the daemon's CPU.
type dirWatch struct {
	fd   int
	dead bool // the watch no longer covers the file: changed says yes
	buf  [4096]byte
}

// newDirWatch watches path's folder, or returns nil where a watch would
// miss changes: folders on network or FUSE filesystems (inotify never hears
// of another client's writes) and a config file that is a symbolic link
// (its target is edited elsewhere).
func newDirWatch(path string) *dirWatch {
	dir := filepath.Dir(path)
	var fs unix.Statfs_t
	if unix.Statfs(dir, &fs) != nil || !localFS(int64(fs.Type)) {
		return nil
	}
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSymlink != 0 {
		return nil
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	const mask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
		unix.IN_CREATE | unix.IN_DELETE | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		unix.Close(fd)
		return nil
	}
	w := &dirWatch{fd: fd}
	runtime.AddCleanup(w, func(fd int) { unix.Close(fd) }, fd)
	return w
}

// localFS reports filesystems whose every change inotify reports.
func localFS(magic int64) bool {
	switch magic {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC, unix.TMPFS_MAGIC,
		unix.OVERLAYFS_SUPER_MAGIC, unix.F2FS_SUPER_MAGIC:
		return true
	}
	return false
}

// changed reports whether anything may have changed in the folder since
// the last call (any event, or a watch that no longer works). It drains the
// queued events; the caller holds FileLoader's lock.
func (w *dirWatch) changed() bool {
	if w.dead {
		return true
	}
	seen := false
	for range 64 { // bounded: a folder written to without pause
		n, err := unix.Read(w.fd, w.buf[:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EAGAIN) {
			return seen
		}
		if err != nil || n < unix.SizeofInotifyEvent {
			w.dead = true
			return true
		}
		seen = true
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&w.buf[off]))
			if ev.Mask&(unix.IN_Q_OVERFLOW|unix.IN_IGNORED|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_UNMOUNT) != 0 {
				w.dead = true
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
	}
	return true
}
