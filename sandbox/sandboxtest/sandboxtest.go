// Package sandboxtest plays the browser on the sandbox's consent page, so
// that tests can run the 3-legged OAuth flow without a person.
//
// A test builds its authorize URL as a real client would (for example with
// golang.org/x/oauth2's AuthCodeURL), calls Approve with the test user's id
// ("user1" in the built-in seed data), and gets back the redirect the
// browser would have followed: redirect_uri?code=…&scope=…&client_info=…&state=….
// Approve never follows it, so the test decides whether to deliver it to its
// own callback server (hc.Get(loc.String())) or to read the code directly.
//
//	loc, err := sandboxtest.Approve(ctx, http.DefaultClient, authURL, "user1")
//	code := loc.Query().Get("code")
package sandboxtest

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/obpm/obpm/internal/defaults"
)

// Approve opens authorizeURL, chooses userID on the consent page and
// approves. It returns the Location the sandbox redirects to, without
// following it. When the sandbox redirects at once (a bad request answered
// at the callback with error and error_description), that Location is
// returned as is. hc may be nil (http.DefaultClient); its redirect policy is
// not used.
func Approve(ctx context.Context, hc *http.Client, authorizeURL, userID string) (*url.URL, error) {
	return submit(ctx, hc, authorizeURL, userID, "approve")
}

// Deny opens authorizeURL and presses deny on the consent page. It returns
// the Location the sandbox redirects to (with error=access_denied).
func Deny(ctx context.Context, hc *http.Client, authorizeURL string) (*url.URL, error) {
	return submit(ctx, hc, authorizeURL, "", "deny")
}

// Form is the consent form as parsed from the page.
type Form struct {
	Action string     // where the form posts, resolved against the page URL
	Hidden url.Values // hidden fields
	Users  []string   // the user ids offered as radio choices
}

func submit(ctx context.Context, hc *http.Client, authorizeURL, userID, action string) (*url.URL, error) {
	nc := noFollow(hc)
	pageURL, err := url.Parse(authorizeURL)
	if err != nil {
		return nil, fmt.Errorf("sandboxtest: parse authorize url %q: %w", authorizeURL, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, fmt.Errorf("sandboxtest: authorize request: %w", err)
	}
	resp, err := nc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sandboxtest: open consent page: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("sandboxtest: read consent page: %w", err)
	}
	if loc, ok, err := location(resp, pageURL); ok || err != nil {
		return loc, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("sandboxtest: consent page answered %s: %s", resp.Status, snippet(body))
	}
	form, err := ParseForm(pageURL, body)
	if err != nil {
		return nil, err
	}
	vals := url.Values{}
	for k, v := range form.Hidden {
		vals[k] = append([]string(nil), v...)
	}
	vals.Set("action", action)
	if action == "approve" {
		if !slices.Contains(form.Users, userID) {
			return nil, fmt.Errorf("sandboxtest: user %q is not on the consent page (offered: %s)", userID, strings.Join(form.Users, ", "))
		}
		vals.Set("user", userID)
	}
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, form.Action, strings.NewReader(vals.Encode()))
	if err != nil {
		return nil, fmt.Errorf("sandboxtest: consent request: %w", err)
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = nc.Do(post)
	if err != nil {
		return nil, fmt.Errorf("sandboxtest: submit consent: %w", err)
	}
	body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	postURL, _ := url.Parse(form.Action)
	loc, ok, err := location(resp, postURL)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("sandboxtest: consent answered %s, not a redirect: %s", resp.Status, snippet(body))
	}
	return loc, nil
}

// noFollow copies hc with a policy that stops at the first redirect.
func noFollow(hc *http.Client) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func location(resp *http.Response, base *url.URL) (*url.URL, bool, error) {
	switch resp.StatusCode {
	case http.StatusFound, http.StatusSeeOther, http.StatusMovedPermanently, http.StatusTemporaryRedirect:
	default:
		return nil, false, nil
	}
	l := resp.Header.Get("Location")
	if l == "" {
		return nil, false, fmt.Errorf("sandboxtest: %s without a Location header", resp.Status)
	}
	u, err := base.Parse(l)
	if err != nil {
		return nil, false, fmt.Errorf("sandboxtest: bad Location %q: %w", l, err)
	}
	return u, true, nil
}

// ParseForm reads the consent form from the page HTML: the first form that
// posts, its hidden inputs and the values of its "user" radio buttons.
func ParseForm(pageURL *url.URL, page []byte) (*Form, error) {
	dec := xml.NewDecoder(strings.NewReader(string(page)))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var form *Form
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("sandboxtest: parse consent page: %w", err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(el.Name.Local) {
		case "form":
			if form != nil || !strings.EqualFold(attr(el, "method"), "post") {
				continue
			}
			action, err := pageURL.Parse(attr(el, "action"))
			if err != nil {
				return nil, fmt.Errorf("sandboxtest: consent form action %q: %w", attr(el, "action"), err)
			}
			form = &Form{Action: action.String(), Hidden: url.Values{}}
		case "input":
			if form == nil {
				continue
			}
			switch strings.ToLower(attr(el, "type")) {
			case "hidden":
				form.Hidden.Add(attr(el, "name"), attr(el, "value"))
			case "radio":
				if attr(el, "name") == "user" {
					form.Users = append(form.Users, attr(el, "value"))
				}
			}
		}
	}
	if form == nil {
		return nil, fmt.Errorf("sandboxtest: no consent form (method=post) on the page: %s", snippet(page))
	}
	return form, nil
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if strings.EqualFold(a.Name.Local, name) {
			return a.Value
		}
	}
	return ""
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// Tokens gets the two tokens a collection run needs from the sandbox at base,
// with its built-in client: an institution token (client_credentials, "oob
// sa") and a user token for user1 (authorize, consent, code exchange), both
// as the token endpoint's JSON. Tests that hand tokens to Newman use it.
func Tokens(ctx context.Context, hc *http.Client, base string) (institution, user map[string]any, err error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	grant := func(form url.Values) (map[string]any, error) {
		form.Set("client_id", defaults.SandboxClientID)
		form.Set("client_secret", defaults.SandboxClientSecret)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/oauth/2.0/token", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return nil, fmt.Errorf("token %s: %w", form.Get("grant_type"), err)
		}
		if tok, _ := body["access_token"].(string); tok == "" {
			return nil, fmt.Errorf("token %s: no access_token in %v", form.Get("grant_type"), body)
		}
		return body, nil
	}
	if institution, err = grant(url.Values{"grant_type": {"client_credentials"}, "scope": {"oob sa"}}); err != nil {
		return nil, nil, err
	}
	authURL := base + "/oauth/2.0/authorize?" + url.Values{"response_type": {"code"}, "client_id": {defaults.SandboxClientID},
		"redirect_uri": {defaults.HelperCallback}, "scope": {defaults.SandboxUserScope},
		"state": {strings.Repeat("s", 32)}, "auth_type": {"0"}}.Encode()
	loc, err := Approve(ctx, hc, authURL, "user1")
	if err != nil {
		return nil, nil, err
	}
	user, err = grant(url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {defaults.HelperCallback}})
	return institution, user, err
}
