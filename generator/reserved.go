package generator

import (
	"regexp"
	"strings"
)

// Spec text must not read obpm's own variables: a `{{obpm_helper_key}}` in
// an example, default or server variable would otherwise make Postman or
// Newman send the helper key (or a token, a client secret) to the API host
// (issue 12, item 4). Spec-derived text that goes into a request is passed
// through builder.neutral, which turns such references into inert text.

// anyVarRef matches a Postman variable reference as Postman reads it.
var anyVarRef = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

// reservedVar reports whether a variable holds a credential or steers the
// helper: obpm's own variables (obpm_*), tokens, secrets, passwords, keys,
// client credentials and the OAuth variables the generator writes.
func reservedVar(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if strings.HasPrefix(n, "obpm_") || isSecretName(n) {
		return true
	}
	for _, s := range []string{"token", "credential", "username", "client_id", "redirect_uri", "auth_url", "refresh_url", "cookie", "authorization", "key"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// neutral returns s with every {{reserved}} reference written as
// {reserved} (Postman resolves only double braces), warning once per place.
func (b *builder) neutral(s, place string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	changed := false
	out := s
	// Repeat: "{{{obpm_helper_key}}}" would become "{{obpm_helper_key}}"
	// after one pass. Each pass removes two braces, so this ends.
	for range len(s) {
		next := b.neutralOnce(out, &changed)
		if next == out {
			break
		}
		out = next
	}
	if changed {
		b.warn(place, "spec text refers to a reserved variable ({{…}} of a credential or of obpm's helper); written as {name} so that it is never resolved and sent to the API")
	}
	return out
}

func (b *builder) neutralOnce(s string, changed *bool) string {
	var out strings.Builder
	last := 0
	for _, ix := range anyVarRef.FindAllStringIndex(s, -1) {
		i, j := ix[0], ix[1]
		name := s[i+2 : j-2]
		// A variable the document names with x-obpm-variable is its own
		// explicit choice (the Open Banking token request sends client_id).
		if (!reservedVar(name) || b.optIn[name]) && !composes(s, i, j) {
			continue
		}
		*changed = true
		out.WriteString(s[last:i])
		out.WriteString("{" + name + "}")
		last = j
	}
	if last == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

// composes reports whether the reference s[i:j] could, once Postman
// substitutes its value, build another reference with the text around it:
// Postman resolves nested references, so "{{obpm_helper_{{x}}}}" with a
// server variable x = "key" (or "{{{{x}}}}" with x = "obpm_helper_key")
// sends the helper key. That is a reference touching a brace, or one inside
// an open "{{" or before a "}}" with no brace between.
func composes(s string, i, j int) bool {
	before, after := s[:i], s[j:]
	if strings.HasSuffix(before, "{") || strings.HasSuffix(before, "}") ||
		strings.HasPrefix(after, "{") || strings.HasPrefix(after, "}") {
		return true
	}
	if k := strings.LastIndexAny(before, "{}"); k > 0 && before[k] == '{' && before[k-1] == '{' {
		return true
	}
	if k := strings.IndexAny(after, "{}"); k >= 0 && k+1 < len(after) && after[k] == '}' && after[k+1] == '}' {
		return true
	}
	return false
}
