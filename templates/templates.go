// Package templates embeds the script templates and HTML pages that obpm renders,
// one folder per part, so that each owner edits its own folder.
package templates

import "embed"

// Postman holds the text/template sources of the generated Postman scripts.
//
//go:embed postman
var Postman embed.FS

// Sandbox holds the sandbox's HTML pages (the consent screen).
//
//go:embed sandbox
var Sandbox embed.FS

// Helper holds the auth helper's HTML pages (login success and failure).
//
//go:embed helper
var Helper embed.FS
