package session

import "golang.org/x/sys/unix"

// statStamp stats path into a stamp without os.Stat's FileInfo (two
// allocations a connection's first token read would pay).
func statStamp(path string) fileStamp {
	var st unix.Stat_t
	for {
		err := unix.Stat(path, &st)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fileStamp{}
		}
		return fileStamp{exists: true, size: st.Size, mtime: st.Mtim.Nano(), ino: st.Ino}
	}
}
