package generator

import (
	"io/fs"
	"strconv"

	"github.com/obpm/obpm/internal/defaults"
)

// FolderMode says how requests are grouped into folders.
type FolderMode string

// Folder modes: by the operation's first tag (the document's tag order), or by
// the first path segment that is neither a version ("v2.0") nor a parameter.
const (
	FoldersByTag  FolderMode = "tags"
	FoldersByPath FolderMode = "paths"
)

// Default addresses of the local parts (docs/design.md).
const (
	DefaultSandboxURL = defaults.SandboxURL
	DefaultHelperURL  = defaults.HelperURL
	// SandboxEnv is the name of the environment that targets `obpm sandbox`.
	SandboxEnv = "sandbox"
)

// Options tune [Generate]. The zero value is usable.
type Options struct {
	// Name is the collection's name; the file names use its slug.
	// Empty: the document's info.title.
	Name string
	// FileStem names the files (STEM.postman_collection.json). Empty: the
	// slug of the collection's name.
	FileStem string
	// Folders groups requests by tag (default) or by path segment.
	Folders FolderMode
	// Envs keeps only the named environments (e.g. "sandbox", "testbed");
	// empty keeps all: one per server plus "sandbox".
	Envs []string
	// Templates overrides the embedded script templates: a file of the same
	// name in it (e.g. "collection-prerequest.js.tmpl") wins.
	Templates fs.FS
	// HelperKey, when set, is written as obpm_helper_key into every environment
	// (`obpm generate --with-key`). Empty leaves the secret empty.
	HelperKey string
	// SandboxURL and HelperURL override the local defaults.
	SandboxURL, HelperURL string
	// OpenBanking marks the document obpm sandbox serves (the embedded Open
	// Banking API): it gets the sandbox environment and the bank_tran_id /
	// tran_dtime script even without x-obpm-* extensions. Other documents
	// get them only when they carry x-obpm-* extensions.
	OpenBanking bool
}

// File is one generated output file.
type File struct {
	Name string // base name, e.g. "petstore.postman_collection.json"
	Data []byte
}

// Warning names a construct the generator could not represent fully, by its
// place in the document ("paths./pets.post.requestBody").
type Warning struct {
	Place   string
	Message string
}

// String is "place: message", as obpm generate prints it.
func (w Warning) String() string { return w.Place + ": " + w.Message }

// Counts summarises what was generated.
type Counts struct {
	Folders, Requests, Environments, Webhooks, Events int
}

// Result holds the generated files (collection first, then environments in
// name order), warnings in document order, and counts.
type Result struct {
	Files    []File
	Warnings []Warning
	Counts   Counts
	// Webhooks lists the document's webhooks (OpenAPI 3.1) as "name METHOD";
	// they are described in the collection, not generated as requests.
	Webhooks []string
}

// String is "N requests in N folders, N environments".
func (c Counts) String() string {
	return strconv.Itoa(c.Requests) + " requests in " + strconv.Itoa(c.Folders) + " folders, " +
		strconv.Itoa(c.Environments) + " environments"
}

// Condense lists warnings for people: a message that several places share
// is printed once, at its first place, with how many more there are (one
// document gave the same security warning for 328 operations).
func Condense(ws []Warning) []string {
	count := map[string]int{}
	for _, w := range ws {
		count[w.Message]++
	}
	var out []string
	done := map[string]bool{}
	for _, w := range ws {
		if done[w.Message] {
			continue
		}
		done[w.Message] = true
		s := w.String()
		if n := count[w.Message] - 1; n == 1 {
			s += " (and 1 more place)"
		} else if n > 1 {
			s += " (and " + strconv.Itoa(n) + " more places)"
		}
		out = append(out, s)
	}
	return out
}
