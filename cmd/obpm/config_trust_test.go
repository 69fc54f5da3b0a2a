package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/internal/testenv"
)

// TestConfigOfAnotherUserNotTrusted: the config decides where the client
// secret and the tokens are sent. In a config folder other users may write
// (OBPM_CONFIG_DIR on a shared path), a second Unix user replaces
// config.yaml with one whose token URL is theirs: obpm refuses the folder
// and the file, and the secret never reaches them.
func TestConfigOfAnotherUserNotTrusted(t *testing.T) {
	as := testenv.AsOtherUser(t)
	dir := testenv.SharedDir(t)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		got = append(got, r.PostForm.Get("client_secret"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"forged","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(evil.Close)

	// The victim's profile, made while the folder was still theirs alone.
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": dir, keyring.InsecureEnv: "1",
		"OBPM_HELPER_URL": fmt.Sprintf("http://127.0.0.1:%d", testenv.FreePort(t))}}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, _, errOut := w.factory("victim-secret\n")
	if code := w.run(context.Background(), f, "profile", "add", "idp", "--provider", "oauth2", "--client-id", "app",
		"--authorize-url", "http://127.0.0.1:9/authorize", "--token-url", "http://127.0.0.1:9/token",
		"--redirect-uri", "http://127.0.0.1:0/callback", "--institution-scope", "svc", "--client-secret-stdin"); code != 0 {
		t.Fatalf("profile add: exit %d %s", code, errOut)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}

	// The other user's config, renamed over the victim's.
	forged := fmt.Sprintf("profiles:\n  idp:\n    provider: oauth2\n    client_id: app\n    redirect_uri: http://127.0.0.1:0/callback\n    authorize_url: %s/authorize\n    token_url: %s/token\n    institution_scope: svc\n", evil.URL, evil.URL)
	path := filepath.Join(dir, config.FileName)
	script := `printf '%s' "$1" > "$2.new" && mv -f "$2.new" "$2"`
	if out, err := exec.Command(as[0], append(as[1:], "sh", "-c", script, "sh", forged, path)...).CombinedOutput(); err != nil {
		t.Fatalf("as the other user: %v %s", err, out)
	}

	f, out, errOut := w.factory("")
	code := w.run(context.Background(), f, "token", "--kind", "institution")
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 0 {
		t.Fatalf("the client secret went to the other user's server (%d requests, secret sent: %v)", len(got), got[0] == "victim-secret")
	}
	if code == 0 || strings.Contains(out.String(), "forged") || !strings.Contains(errOut.String(), "other users") {
		t.Fatalf("token with another user's config: exit %d\n%s%s", code, out, errOut)
	}
}
