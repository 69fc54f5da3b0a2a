package generator

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	postman "github.com/rbretecher/go-postman-collection"
)

// scheme is a security scheme mapped to Postman: the auth it produces and the
// variables it needs.
type scheme struct {
	name     string
	def      *openapi3.SecurityScheme
	kind     string // token kind the helper hands out: user, institution or ""
	tokenVar string // bearer variable (oauth2, openIdConnect, http bearer)
	flow     string // chosen OAuth 2.0 flow for Postman's own helper
	flowDef  *openapi3.OAuthFlow
}

// mapSchemes maps every security scheme of the document, in name order.
func (b *builder) mapSchemes() {
	if b.doc.Components == nil {
		return
	}
	names := slices.Sorted(maps.Keys(b.doc.Components.SecuritySchemes))
	for _, n := range names {
		ref := b.doc.Components.SecuritySchemes[n]
		place := "components.securitySchemes." + n
		if ref == nil || ref.Value == nil {
			b.warn(place, "empty security scheme; requests using it get no auth")
			continue
		}
		def := ref.Value
		sc := &scheme{name: n, def: def}
		switch strings.ToLower(def.Type) {
		case "oauth2":
			sc.tokenVar = tokenVariable(n)
			sc.flow, sc.flowDef = chooseFlow(def.Flows)
			sc.kind = defaultKind(def.Flows)
			b.mapFlows(sc, place)
		case "openidconnect":
			sc.tokenVar = tokenVariable(n)
		case "http":
			switch strings.ToLower(def.Scheme) {
			case "bearer":
				sc.tokenVar = tokenVariable(n)
			case "basic":
			default:
				b.warn(place, fmt.Sprintf("http scheme %q has no Postman mapping; requests using it get no auth", def.Scheme))
			}
		case "apikey":
			if def.In == "cookie" {
				b.warn(place, "apiKey in a cookie is sent as a Cookie header")
			}
		default:
			b.warn(place, fmt.Sprintf("security scheme type %q has no Postman mapping; requests using it get no auth", def.Type))
		}
		if k, ok := def.Extensions["x-obpm-token-kind"]; ok {
			switch k {
			case "user", "institution":
				sc.kind = k.(string)
			default:
				b.warn(place, fmt.Sprintf("x-obpm-token-kind %v is not user or institution; ignored", k))
			}
		}
		if sc.tokenVar == "" {
			sc.kind = ""
		}
		b.schemes[n] = sc
		b.schemeOrder = append(b.schemeOrder, sc)
	}
}

// mapFlows gives every flow's URLs a variable (the environments carry them all)
// and says which flow Postman's own OAuth 2.0 helper is set to.
func (b *builder) mapFlows(sc *scheme, place string) {
	f := sc.def.Flows
	if f == nil {
		b.warn(place, "oauth2 scheme without flows; only the bearer token variable is mapped")
		return
	}
	base := schemeBase(sc.name)
	var names []string
	for _, x := range []struct {
		name string
		flow *openapi3.OAuthFlow
	}{{"authorizationCode", f.AuthorizationCode}, {"clientCredentials", f.ClientCredentials}, {"password", f.Password}, {"implicit", f.Implicit}} {
		if x.flow == nil {
			continue
		}
		names = append(names, x.name)
		if x.flow.TokenURL != "" {
			b.urlVar("token_url", x.flow.TokenURL, base)
		}
		if x.flow.AuthorizationURL != "" {
			b.urlVar("auth_url", x.flow.AuthorizationURL, base)
		}
		b.refreshVar(x.flow, base)
	}
	if len(names) > 1 {
		b.warn(place+".flows", fmt.Sprintf("%d flows (%s); Postman's OAuth 2.0 helper is set to %s, pick another grant type there for the others",
			len(names), strings.Join(names, ", "), names[0]))
	}
}

func chooseFlow(f *openapi3.OAuthFlows) (string, *openapi3.OAuthFlow) {
	if f == nil {
		return "", nil
	}
	switch {
	case f.AuthorizationCode != nil:
		return "authorization_code", f.AuthorizationCode
	case f.ClientCredentials != nil:
		return "client_credentials", f.ClientCredentials
	case f.Password != nil:
		return "password_credentials", f.Password
	case f.Implicit != nil:
		return "implicit", f.Implicit
	}
	return "", nil
}

// defaultKind: a user takes part in authorizationCode, implicit and password
// flows; clientCredentials alone is the institution's own token.
func defaultKind(f *openapi3.OAuthFlows) string {
	if f == nil {
		return ""
	}
	if f.AuthorizationCode != nil || f.Implicit != nil || f.Password != nil {
		return "user"
	}
	if f.ClientCredentials != nil {
		return "institution"
	}
	return ""
}

// apiKeyVar, basic variables: named after the scheme.
func apiKeyVar(name string) string {
	base := schemeBase(name)
	if strings.HasSuffix(base, "key") {
		return base
	}
	return base + "_api_key"
}

// auth returns the Postman auth of an operation: the first security
// requirement's first scheme (docs/design.md); noauth where none applies.
func (b *builder) auth(o *operation) *postman.Auth {
	reqs := b.doc.Security
	if o.op.Security != nil {
		reqs = *o.op.Security
	}
	noauth := b.noauth()
	if len(reqs) == 0 || len(reqs[0]) == 0 {
		return noauth
	}
	names := sortedKeys(reqs[0])
	if len(names) > 1 {
		b.warn(o.place+".security", fmt.Sprintf("requirement needs %s together; only %s is applied", strings.Join(names, " and "), names[0]))
	}
	sc := b.schemes[names[0]]
	if sc == nil {
		b.warn(o.place+".security", fmt.Sprintf("security scheme %q is not defined in components.securitySchemes", names[0]))
		return noauth
	}
	def := sc.def
	switch {
	case sc.tokenVar != "":
		return b.schemeAuth(sc, func() *postman.Auth {
			a := &postman.Auth{Type: "bearer", Bearer: []*postman.AuthParam{strParam("token", "{{"+sc.tokenVar+"}}")}}
			if sc.flowDef != nil {
				a.OAuth2 = b.oauth2Params(sc)
			}
			return a
		})
	case strings.EqualFold(def.Type, "http") && strings.EqualFold(def.Scheme, "basic"):
		return b.schemeAuth(sc, func() *postman.Auth {
			base := schemeBase(sc.name)
			return &postman.Auth{Type: "basic", Basic: []*postman.AuthParam{
				strParam("username", "{{"+base+"_username}}"), strParam("password", "{{"+base+"_password}}")}}
		})
	case strings.EqualFold(def.Type, "apiKey"):
		in := "header"
		// The scheme's header, query or cookie name is spec text Postman
		// resolves like any other.
		key := b.neutral(def.Name, o.place+".security")
		val := "{{" + apiKeyVar(sc.name) + "}}"
		switch def.In {
		case "query":
			in = "query"
		case "cookie":
			key, val = "Cookie", key+"="+val
		}
		return &postman.Auth{Type: "apikey", APIKey: []*postman.AuthParam{
			strParam("key", key), strParam("value", val), strParam("in", in)}}
	}
	return noauth
}

func strParam(k, v string) *postman.AuthParam {
	return &postman.AuthParam{Key: k, Value: v, Type: "string"}
}

// oauth2Params fill Postman's own OAuth 2.0 helper (kept beside the bearer
// auth, so switching the type in Postman finds it configured). The redirect URI
// is its own variable, never the flow's refreshUrl.
func (b *builder) oauth2Params(sc *scheme) []*postman.AuthParam {
	base := schemeBase(sc.name)
	ps := []*postman.AuthParam{
		strParam("tokenName", base),
		strParam("grant_type", sc.flow),
		strParam("clientId", "{{client_id}}"),
		strParam("clientSecret", "{{client_secret}}"),
		strParam("scope", "{{scope_"+base+"}}"),
		strParam("client_authentication", "body"),
		strParam("addTokenTo", "header"),
	}
	if sc.flowDef.TokenURL != "" {
		ps = append(ps, strParam("accessTokenUrl", "{{"+b.urlVar("token_url", sc.flowDef.TokenURL, base)+"}}"))
	}
	if sc.flowDef.AuthorizationURL != "" {
		ps = append(ps, strParam("authUrl", "{{"+b.urlVar("auth_url", sc.flowDef.AuthorizationURL, base)+"}}"),
			strParam("redirect_uri", "{{redirect_uri}}"), strParam("useBrowser", "false"))
	}
	if v := b.refreshVar(sc.flowDef, base); v != "" {
		ps = append(ps, strParam("refreshTokenUrl", "{{"+v+"}}"))
	}
	return ps
}

// refreshVar names the variable of a flow's refreshUrl, which Postman's helper
// calls to refresh (its refreshTokenUrl; never the redirect URI): the token
// URL's variable when both are the same endpoint, else "refresh_url…".
func (b *builder) refreshVar(f *openapi3.OAuthFlow, base string) string {
	switch {
	case f.RefreshURL == "":
		return ""
	case f.RefreshURL == f.TokenURL:
		return b.urlVar("token_url", f.TokenURL, base)
	}
	return b.urlVar("refresh_url", f.RefreshURL, base)
}

// urlVar names the variable holding an OAuth URL: "token_url" for the first
// one seen, "token_url_<scheme>" for a different one, then "token_url_<scheme>_2"
// and on, so two URLs never share a variable.
func (b *builder) urlVar(kind, u, base string) string {
	key := kind + " " + u
	if v, ok := b.oauthURLs[key]; ok {
		return v
	}
	name := kind
	for n := 1; ; n++ {
		if _, taken := b.oauthURLValues[name]; !taken {
			break
		}
		name = kind + "_" + base
		if n > 1 {
			name += "_" + strconv.Itoa(n)
		}
	}
	b.oauthURLs[key] = name
	b.oauthURLValues[name] = u
	return name
}

// scopes of a scheme's chosen flow, space-joined in name order.
func (sc *scheme) scopes() string {
	if sc.flowDef == nil {
		return ""
	}
	s := slices.Sorted(maps.Keys(sc.flowDef.Scopes))
	return strings.Join(s, " ")
}
