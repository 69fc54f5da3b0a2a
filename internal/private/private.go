// Package private checks that a file or folder whose content decides where
// secrets go (the helper's config names the endpoints that receive the
// client secret and refresh tokens; the insecure store holds the helper
// key) is under this user's control only: owned by this user (or root) and
// writable by nobody else, as ssh's StrictModes asks of ~/.ssh. Another
// local user who could change such a file could send the secrets to
// their own server.
package private

import (
	"fmt"
	"io/fs"
	"os"
)

// Check returns nil when fi, the FileInfo of path (what names it in the
// error: "config", "config folder", …), is owned by this user or root and
// not writable by group or others; otherwise an error naming path and the fix.
func Check(what, path string, fi fs.FileInfo) error {
	if uid, ok := owner(fi); ok && uid != os.Getuid() && uid != 0 {
		return fmt.Errorf("%s %s belongs to another user (uid %d, you are uid %d): other users must not decide where your client secret and tokens go (remove it, or set OBPM_CONFIG_DIR to a folder of your own)",
			what, path, uid, os.Getuid())
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 && checksMode() {
		fix := "chmod go-w " + path
		if fi.IsDir() {
			fix = "chmod 700 " + path
		}
		return fmt.Errorf("%s %s is writable by other users (mode %04o): anyone who can change it can send your client secret and tokens elsewhere (fix: %s)",
			what, path, perm, fix)
	}
	return nil
}

// Dir checks the folder at path; a folder that does not exist yet (it is
// made 0700 when first written) passes.
func Dir(what, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // missing or unreadable: the read that follows reports it
	}
	return Check(what, path, fi)
}
