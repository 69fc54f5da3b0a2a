//go:build !unix

package session

import "os"

// statStamp stats path into a stamp (no inode here: size and modification
// time tell edits).
func statStamp(path string) fileStamp {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{exists: true, size: st.Size(), mtime: st.ModTime().UnixNano()}
}
