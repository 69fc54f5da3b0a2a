// Package defaults holds the values that several packages and the README's
// quick start must agree on: the default ports, the sandbox's public test
// client and the user scopes (docs/design.md, "Sandbox defaults and seed
// data"). Change one here and everything follows; TestDefaultsInDocs
// (cmd/obpm) checks the README still says the same.
package defaults

const (
	// SandboxPort and HelperPort are where `obpm sandbox` and `obpm serve` listen.
	SandboxPort = 8790
	HelperPort  = 8791

	SandboxAddr = "127.0.0.1:8790"
	SandboxURL  = "http://" + SandboxAddr
	HelperURL   = "http://127.0.0.1:8791"
	// HelperCallback is the redirect URI the daemon serves and the sandbox
	// client registers.
	HelperCallback = HelperURL + "/callback"

	// The sandbox's public test client (not a secret).
	SandboxClientID      = "obpm-sandbox"
	SandboxClientSecret  = "obpm-sandbox-secret"
	SandboxClientUseCode = "T990000001"

	OpenBankingUserScope = "login inquiry transfer"
	// SandboxUserScope is every user scope of the embedded spec, so that a
	// whole generated collection runs against the sandbox.
	SandboxUserScope = OpenBankingUserScope + " cardinfo fintechinfo insuinfo loaninfo"
)
