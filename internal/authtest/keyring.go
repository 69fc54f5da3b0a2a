package authtest

import (
	"fmt"
	"os"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// KeyringService returns a keyring service name of the test's own (set it as
// OBPM_KEYRING_SERVICE) and deletes every item under it when the test ends,
// so that runs against a real keyring leave nothing behind in it. Call it
// after testenv.RequireKeyring.
func KeyringService(t testing.TB, prefix string) string {
	t.Helper()
	service := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() {
		done := make(chan error, 1)
		go func() { done <- gokeyring.DeleteAll(service) }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("clean up keyring service %s: %v", service, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("clean up keyring service %s: no answer from the keyring", service)
		}
	})
	return service
}
