package generator

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/obpm/obpm/internal/defaults"
)

// envValue is one variable of a Postman environment file.
type envValue struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Type    string `json:"type"` // default or secret
	Enabled bool   `json:"enabled"`
}

// environment is the *.postman_environment.json format (the Go library has none).
type environment struct {
	ID     string     `json:"id"`
	Name   string     `json:"name"`
	Values []envValue `json:"values"`
	Scope  string     `json:"_postman_variable_scope"`

	envName string
	data    []byte
}

// sandboxDefault is a value fixed by docs/design.md for the sandbox
// environment: the sandbox's public test client (not a real secret) and the
// helper's callback.
func sandboxDefault(k string) (string, bool) {
	switch k {
	case "client_id":
		return defaults.SandboxClientID, true
	case "client_secret":
		return defaults.SandboxClientSecret, true
	case "redirect_uri":
		return DefaultHelperURL + "/callback", true
	case "client_use_code":
		return defaults.SandboxClientUseCode, true
	}
	return "", false
}

var serverVarRE = regexp.MustCompile(`\{([^{}]+)\}`)

type envTarget struct {
	name    string
	baseURL string
	vars    []envValue // server variables
	local   bool       // obpm sandbox: its documented defaults and the spec's examples
}

// envTargets: one per server (x-obpm-env, else a slug of the description, else
// of the host), then the local sandbox for Open Banking documents (b.obpm).
// Other documents keep their own server names, "sandbox" included.
func (b *builder) envTargets() []envTarget {
	var out []envTarget
	seen := map[string]bool{}
	if b.obpm {
		seen[SandboxEnv] = true
	}
	for i, s := range b.doc.Servers {
		if s == nil {
			continue
		}
		place := fmt.Sprintf("servers[%d]", i)
		name, _ := s.Extensions["x-obpm-env"].(string)
		name = slug(name)
		if name == "" {
			name = slug(s.Description)
		}
		if name == "" {
			expanded := serverVarRE.ReplaceAllStringFunc(s.URL, func(m string) string {
				if v := s.Variables[m[1:len(m)-1]]; v != nil {
					return v.Default
				}
				return "x"
			})
			if u, err := url.Parse(expanded); err == nil && u.Host != "" {
				name = slug(u.Hostname())
			}
		}
		if name == "" {
			name = "server"
		}
		for base, n := name, 2; seen[name]; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		seen[name] = true
		rename := b.serverVarNames(s.Variables, place)
		t := envTarget{name: name, baseURL: b.neutral(strings.TrimRight(serverVarRE.ReplaceAllStringFunc(s.URL, func(m string) string {
			k := m[1 : len(m)-1]
			if r, ok := rename[k]; ok {
				k = r
			}
			return "{{" + k + "}}"
		}), "/"), place+".url")}
		if !strings.Contains(s.URL, "://") {
			b.warn(place, "server URL "+s.URL+" is relative; set base_url in the "+name+" environment to an absolute URL")
		}
		keys := slices.Sorted(maps.Keys(s.Variables))
		for _, k := range keys {
			v := s.Variables[k]
			if v == nil {
				continue
			}
			key := k
			if r, ok := rename[k]; ok {
				key = r
			}
			t.vars = append(t.vars, envValue{Key: key, Value: b.neutral(v.Default, place+".variables."+k), Type: "default", Enabled: true})
		}
		out = append(out, t)
	}
	if !b.obpm {
		if len(out) == 0 {
			b.warn("servers", "no servers; the default environment's base_url is "+noServerURL+": set it to the API's address (or add servers)")
			out = append(out, envTarget{name: "default", baseURL: noServerURL})
		}
		return out
	}
	if len(out) == 0 {
		b.warn("servers", "no servers; only the sandbox environment is written (add servers to get more)")
	}
	out = append(out, envTarget{name: SandboxEnv, baseURL: strings.TrimRight(b.opts.SandboxURL, "/"), local: true})
	return out
}

// noServerURL is base_url for a document without servers (OpenAPI: "/" of
// wherever the document is served, which a collection cannot know).
const noServerURL = "http://localhost"

// serverVarNames renames server variables that collide with a reserved
// variable (a credential, obpm's helper variables) or with base_url: the
// environment would otherwise let the document set, say, obpm_helper_url.
func (b *builder) serverVarNames(vars map[string]*openapi3.ServerVariable, place string) map[string]string {
	out := map[string]string{}
	n := 0
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if !reservedVar(k) && k != "base_url" {
			continue
		}
		n++
		r := "server_" + k
		for reservedVar(r) || vars[r] != nil {
			r = fmt.Sprintf("server_var_%d", n)
			n++
		}
		out[k] = r
		b.warn(place+".variables."+k, "server variable "+k+" has the name of a reserved variable; renamed "+r)
	}
	return out
}

func isSecretName(k string) bool {
	k = strings.ToLower(k)
	if strings.HasSuffix(k, "access_token") || strings.HasSuffix(k, "refresh_token") {
		return true
	}
	for _, s := range []string{"secret", "password", "api_key", "apikey", "helper_key"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// environments writes the selected environments with every variable the
// collection uses.
func (b *builder) environments(name string, used map[string]bool) ([]*environment, error) {
	targets, err := selectTargets(b.envTargets(), b.opts.Envs)
	if err != nil {
		return nil, err
	}
	rest := b.envVariables(used)
	var out []*environment
	for _, t := range targets {
		e, err := b.environment(name, t, rest)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// selectTargets keeps the targets named by --env, in that order (all when
// none is named).
func selectTargets(targets []envTarget, want []string) ([]envTarget, error) {
	if len(want) == 0 {
		return targets, nil
	}
	avail := map[string]envTarget{}
	names := make([]string, 0, len(targets))
	for _, t := range targets {
		avail[t.name] = t
		names = append(names, t.name)
	}
	var keep []envTarget
	for _, w := range want {
		t, ok := avail[w]
		if !ok {
			sort.Strings(names)
			return nil, fmt.Errorf("generate: no environment %q in this document; choose from %s", w, strings.Join(names, ", "))
		}
		keep = append(keep, t)
	}
	return keep, nil
}

// envVariables lists, sorted, the variables an environment holds beyond the
// fixed four: those the requests use (minus the ones the scripts set) and
// those the auth schemes and token scripts need.
func (b *builder) envVariables(used map[string]bool) []string {
	scriptOwned := map[string]bool{"bank_tran_id": true, "tran_dtime": true, "obpm_allow_manual": true}
	fixed := []string{"base_url", "obpm_helper_url", "obpm_helper_key", "obpm_profile"}
	extra := map[string]bool{}
	for k := range used {
		if !scriptOwned[k] {
			extra[k] = true
		}
	}
	if used["bank_tran_id"] {
		extra["client_use_code"] = true // the script's bank_tran_id prefix
	}
	for _, sc := range b.schemeOrder {
		if sc.tokenVar != "" && used[sc.tokenVar] && sc.flowDef != nil {
			extra["client_id"], extra["client_secret"] = true, true
			extra["scope_"+schemeBase(sc.name)] = true
			if sc.flowDef.AuthorizationURL != "" {
				extra["redirect_uri"] = true
			}
		}
	}
	for k := range b.oauthURLValues {
		extra[k] = true
	}
	var rest []string
	for k := range extra {
		if indexOf(fixed, k) < 0 {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return rest
}

// environment builds and encodes the environment of one target: the fixed
// variables, the server's own, then rest with their values for t.
func (b *builder) environment(name string, t envTarget, rest []string) (*environment, error) {
	e := &environment{ID: stableID("environment:" + name + ":" + t.name), Name: name + " (" + t.name + ")",
		Scope: "environment", envName: t.name}
	add := func(k, v string) {
		typ := "default"
		if isSecretName(k) {
			typ = "secret"
		}
		e.Values = append(e.Values, envValue{Key: k, Value: v, Type: typ, Enabled: true})
	}
	add("base_url", t.baseURL)
	serverVars := map[string]bool{}
	for _, v := range t.vars {
		e.Values = append(e.Values, v)
		serverVars[v.Key] = true
	}
	add("obpm_helper_url", b.opts.HelperURL)
	add("obpm_helper_key", b.opts.HelperKey)
	add("obpm_profile", t.name)
	for _, k := range rest {
		if serverVars[k] {
			continue
		}
		add(k, b.envValue(k, t))
	}
	data, err := encode(e)
	if err != nil {
		return nil, fmt.Errorf("generate: write environment %s: %w", t.name, err)
	}
	e.data = data
	return e, nil
}

// envValue is a variable's value in one environment: OAuth URLs and scopes
// everywhere; the sandbox's documented defaults and the spec's examples in
// the sandbox only (the real servers need the user's own values); secrets
// empty except the sandbox's public test client.
//
// Postman resolves references inside a variable's value too, so spec text
// written here (an OAuth URL, a scope name, an example) goes through neutral
// as request text does.
func (b *builder) envValue(k string, t envTarget) string {
	place := "environment variable " + k
	if u, ok := b.oauthURLValues[k]; ok {
		return b.neutral(b.relativeToServer(u), place)
	}
	if strings.HasPrefix(k, "scope_") {
		for _, sc := range b.schemeOrder {
			if "scope_"+schemeBase(sc.name) == k {
				return b.neutral(sc.scopes(), place)
			}
		}
	}
	if !t.local {
		return ""
	}
	if v, ok := sandboxDefault(k); ok {
		return v
	}
	if isSecretName(k) {
		return ""
	}
	return b.neutral(b.varExamples[k], place)
}

// relativeToServer writes an OAuth URL under one of the servers as
// {{base_url}}/…, so each environment points at its own host.
func (b *builder) relativeToServer(u string) string {
	if strings.HasPrefix(u, "/") {
		return "{{base_url}}" + u
	}
	for _, s := range b.doc.Servers {
		if s == nil || strings.Contains(s.URL, "{") {
			continue
		}
		base := strings.TrimRight(s.URL, "/")
		if pu, err := url.Parse(base); err == nil && pu.Host != "" {
			origin := pu.Scheme + "://" + pu.Host
			if strings.HasPrefix(u, origin+"/") {
				// Servers may carry a path (/v2.0); OAuth endpoints usually sit at the host root.
				if strings.HasPrefix(u, base+"/") {
					return "{{base_url}}" + strings.TrimPrefix(u, base)
				}
			}
		}
	}
	return u
}
