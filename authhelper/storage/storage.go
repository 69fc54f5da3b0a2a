// Package storage opens the secret store the helper uses: the OS keyring
// (service obpm, or $OBPM_KEYRING_SERVICE), or, only when the user opts in
// with --insecure-storage (or OBPM_INSECURE_STORAGE=1), a 0600 file.
package storage

import (
	"fmt"
	"path/filepath"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/keyring"
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

// Open returns the store. With insecure set it returns the file store and
// the warning the caller must print (each time it is used).
func Open(getenv func(string) string, insecure bool) (store keyring.Store, warning string, err error) {
	if !insecure {
		return keyring.New(keyring.ServiceFromEnv(getenv)), "", nil
	}
	dir, err := config.Dir(getenv)
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, InsecureFile)
	return keyring.NewFileStore(path), fmt.Sprintf("warning: --insecure-storage: secrets and tokens are kept in plain text in %s (mode 0600), not in the OS keyring", path), nil
}
