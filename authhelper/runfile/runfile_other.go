//go:build !unix

package runfile

import (
	"errors"
	"io/fs"
	"os"
)

var errLink = errors.New("symbolic link")

// openNoFollow refuses a symbolic link at p (there is no O_NOFOLLOW here:
// a check, then the open; the folder's ACL is what keeps others out).
func openNoFollow(p string) (*os.File, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, errLink
	}
	return os.Open(p)
}

func isLink(err error) bool { return errors.Is(err, errLink) }

// Elsewhere the folder's ACL protects the file; the daemon's proof (see
// api.Proof in authhelper/daemon/api) still decides whether a client trusts what answers.
func ownedByMe(fs.FileInfo) bool { return true }

func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
