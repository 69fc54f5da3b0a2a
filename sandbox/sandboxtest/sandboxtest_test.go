package sandboxtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/obpm/obpm/sandbox/sandboxtest"
)

func TestParseForm(t *testing.T) {
	page := `<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title></head><body>
<form method="get" action="/search"><input type="hidden" name="q" value="no"></form>
<form id="consent" method="POST" action="consent?x=1">
<input type="hidden" name="state" value="a&amp;b">
<input type="hidden" name="scope" value="login inquiry">
<label><input type="radio" name="user" value="user1" checked> 홍길동</label>
<label><input type=radio name=user value=user2> 김철수</label>
<input type="radio" name="other" value="zzz">
<button type="submit" name="action" value="approve">동의</button>
</form></body></html>`
	base, _ := url.Parse("http://127.0.0.1:8790/oauth/2.0/authorize?client_id=a")
	f, err := sandboxtest.ParseForm(base, []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	if f.Action != "http://127.0.0.1:8790/oauth/2.0/consent?x=1" {
		t.Errorf("action = %s", f.Action)
	}
	if f.Hidden.Get("state") != "a&b" || f.Hidden.Get("scope") != "login inquiry" || f.Hidden.Get("q") != "" {
		t.Errorf("hidden = %v", f.Hidden)
	}
	if strings.Join(f.Users, ",") != "user1,user2" {
		t.Errorf("users = %v", f.Users)
	}
	if _, err := sandboxtest.ParseForm(base, []byte("<html><body>no form</body></html>")); err == nil {
		t.Error("a page without a form parsed")
	}
}

func TestApproveErrors(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/broken":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/page":
			w.Write([]byte(`<form method="post" action="/post"><input type="radio" name="user" value="user1"></form>`))
		case "/post":
			w.Write([]byte("no redirect"))
		case "/redirect":
			http.Redirect(w, r, "http://127.0.0.1:1/cb?error=invalid_request", http.StatusFound)
		}
	}))
	defer ts.Close()
	ctx := context.Background()
	if _, err := sandboxtest.Approve(ctx, nil, ts.URL+"/broken", "user1"); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("broken page: err = %v", err)
	}
	if _, err := sandboxtest.Approve(ctx, nil, ts.URL+"/page", "user1"); err == nil || !strings.Contains(err.Error(), "not a redirect") {
		t.Errorf("no redirect after submit: err = %v", err)
	}
	loc, err := sandboxtest.Approve(ctx, nil, ts.URL+"/redirect", "user1")
	if err != nil || loc.Query().Get("error") != "invalid_request" {
		t.Errorf("immediate redirect: %v %v", loc, err)
	}
}
