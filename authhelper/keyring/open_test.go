package keyring

import (
	"strings"
	"testing"
	"time"
)

func TestOpenTimeoutFromEnv(t *testing.T) {
	tests := []struct {
		value     string
		wantRead  time.Duration
		wantWrite time.Duration
		wantErr   string
	}{
		{"", DefaultReadTimeout, DefaultWriteTimeout, ""},
		{"15s", 15 * time.Second, DefaultWriteTimeout, ""},
		{"1m", time.Minute, time.Minute, ""},
		{"soon", 0, 0, `OBPM_KEYRING_TIMEOUT="soon": want a duration`},
		{"-1s", 0, 0, "want a duration"},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			env := map[string]string{TimeoutEnv: tc.value}
			st, _, err := Open(func(k string) string { return env[k] }, t.TempDir(), false)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			k, ok := st.(*Keyring)
			if err != nil || !ok || k.ReadTimeout != tc.wantRead || k.WriteTimeout != tc.wantWrite {
				t.Fatalf("Open = %#v, %v; want read %s write %s", st, err, tc.wantRead, tc.wantWrite)
			}
		})
	}
}
