package defaults

import (
	"strconv"
	"strings"
	"testing"
)

// The composed values must agree with the ports.
func TestComposed(t *testing.T) {
	if !strings.HasSuffix(SandboxAddr, ":"+strconv.Itoa(SandboxPort)) || !strings.HasSuffix(HelperURL, ":"+strconv.Itoa(HelperPort)) {
		t.Fatalf("addresses %s, %s do not use ports %d, %d", SandboxAddr, HelperURL, SandboxPort, HelperPort)
	}
}
