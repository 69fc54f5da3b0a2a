// Package api is the helper daemon's wire contract (docs/design.md, "Helper
// daemon"): the JSON of every route, the token and login states, and the
// key proof a client checks before it sends the helper key. It imports
// nothing of obpm, so a client links neither the server, the OAuth flows nor
// the OS keyring.
package api
