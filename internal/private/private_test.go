//go:build unix

package private

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		dir     bool
		perm    os.FileMode
		chown   int // -1: keep ours
		wantErr string
	}{
		{"private file", false, 0o600, -1, ""},
		{"readable file", false, 0o644, -1, ""},
		{"group-writable file", false, 0o620, -1, "chmod go-w"},
		{"world-writable file", false, 0o666, -1, "writable by other users (mode 0666)"},
		{"private folder", true, 0o700, -1, ""},
		{"listable folder", true, 0o755, -1, ""},
		{"world-writable folder", true, 0o777, -1, "chmod 700"},
		{"sticky world-writable folder", true, 0o777 | os.ModeSticky, -1, "chmod 700"},
		{"another user's file", false, 0o600, 65534, "belongs to another user (uid 65534"},
		{"root's file", false, 0o644, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x")
			var err error
			if tc.dir {
				err = os.Mkdir(p, 0o700)
			} else {
				err = os.WriteFile(p, nil, 0o600)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.perm); err != nil {
				t.Fatal(err)
			}
			if tc.chown >= 0 {
				if os.Geteuid() != 0 {
					t.Skip("chown needs root")
				}
				if err := os.Chown(p, tc.chown, tc.chown); err != nil {
					t.Fatal(err)
				}
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			err = Check("config", p, fi)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Check = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), p)):
				t.Fatalf("Check = %v, want an error naming %s and %q", err, p, tc.wantErr)
			}
			if tc.dir {
				if derr := Dir("config folder", p); (derr == nil) != (err == nil) {
					t.Fatalf("Dir = %v, Check = %v", derr, err)
				}
			}
		})
	}
	if err := Dir("config folder", filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Fatalf("missing folder: %v", err)
	}
}
