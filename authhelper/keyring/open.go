package keyring

import (
	"fmt"
	"path/filepath"
	"time"
)

// InsecureEnv opts into the file store for processes without flags (service units).
const InsecureEnv = "OBPM_INSECURE_STORAGE"

// InsecureFile is the file store's name inside the config folder.
const InsecureFile = "insecure-secrets.json"

// Insecure reports whether the environment opts into the file store.
func Insecure(getenv func(string) string) bool {
	v := getenv(InsecureEnv)
	return v != "" && v != "0" && v != "false"
}

// TimeoutEnv sets the keyring's read timeout (a Go duration such as 10s);
// writes get at least DefaultWriteTimeout. For keyrings that are
// slow rather than hung, e.g. on a loaded CI machine.
const TimeoutEnv = "OBPM_KEYRING_TIMEOUT"

// Open returns the secret store the helper uses: the OS keyring (service
// obpm, or $OBPM_KEYRING_SERVICE), or, only when the user opts in with
// --insecure-storage (or OBPM_INSECURE_STORAGE=1), a 0600 file in configDir. With insecure set it returns the file store and
// the warning the caller must print (each time it is used).
func Open(getenv func(string) string, configDir string, insecure bool) (store Store, warning string, err error) {
	if !insecure {
		k := New(ServiceFromEnv(getenv))
		if v := getenv(TimeoutEnv); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, "", fmt.Errorf("%s=%q: want a duration such as 10s", TimeoutEnv, v)
			}
			k.ReadTimeout, k.WriteTimeout = d, max(d, DefaultWriteTimeout)
		}
		return k, "", nil
	}
	path := filepath.Join(configDir, InsecureFile)
	return NewFileStore(path), fmt.Sprintf("warning: --insecure-storage: secrets and tokens are kept in plain text in %s (mode 0600), not in the OS keyring", path), nil
}
